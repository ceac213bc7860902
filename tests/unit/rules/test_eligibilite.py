"""Rules of rules.md 5.2 (rules/eligibilite.py) and the working-day helpers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.eligibilite import est_ouvrable, jours_feries, jours_ouvrables_entre, paques
from rules.referentiel import Certification
from rules.registry import Moment, Severite
from tests.unit.rules.conftest_referentiel import REFERENTIEL, champs, contexte, nos_violations

RNCP = "cerfa.formation.rncp"
CFA = "cerfa.organismeFormation.siret"


@pytest.mark.parametrize("moment", [Moment.TRANSMISSION, Moment.INSTRUCTION])
def test_demo_contract_sent_to_akto_has_no_violation(cerfa, moment):
    assert nos_violations(cerfa, contexte(), moment) == []


def test_demo_contract_sent_to_atlas_is_the_wrong_opco(cerfa):
    (v,) = nos_violations(cerfa, contexte(opco_id="atlas"))
    assert (v.code, v.champ, v.severite, v.moment) == (
        "ELIG_WRONG_OPCO",
        "cerfa.employeur.codeIdcc",
        Severite.BLOQUANT,
        Moment.INSTRUCTION,
    )


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    ("type_employeur", "attendu"),
    [
        (21, ["cerfa.employeur.typeEmployeur"]),
        (29, ["cerfa.employeur.typeEmployeur"]),
        (30, []),
        (16, []),
        (None, []),
    ],
)
def test_public_employer(cerfa, type_employeur, attendu):
    cerfa["employeur"]["typeEmployeur"] = type_employeur
    assert champs(cerfa, "ELIG_PUBLIC_EMPLOYER") == attendu


@pytest.mark.parametrize(
    ("idcc", "opco", "attendu"),
    [
        ("1979", "atlas", ["cerfa.employeur.codeIdcc"]),
        ("843", "akto", ["cerfa.employeur.codeIdcc"]),  # 0843 -> opcoep
        ("1979", "akto", []),
        ("843", "opcoep", []),
        ("9999", "atlas", []),
        ("9998", "atlas", []),
        ("2691", "atlas", []),  # outside the sample: no mapping
        ("0000", "atlas", []),  # magic unknown
        ("1979", "", []),
    ],
)
def test_wrong_opco(cerfa, idcc, opco, attendu):
    cerfa["employeur"]["codeIdcc"] = idcc
    assert champs(cerfa, "ELIG_WRONG_OPCO", contexte(opco_id=opco)) == attendu


# --------------------------------------------------------------------------- RNCP


@pytest.mark.parametrize(
    ("code", "rncp", "attendu"),
    [
        ("ELIG_RNCP_UNKNOWN", "RNCP99999", [RNCP]),
        ("ELIG_RNCP_UNKNOWN", "99999", [RNCP]),
        ("ELIG_RNCP_UNKNOWN", "RNCP99995", []),  # outside the sample: exists
        ("ELIG_RNCP_INACTIVE", "RNCP99998", [RNCP]),
        ("ELIG_RNCP_INACTIVE", "RNCP99996", [RNCP]),
        ("ELIG_RNCP_INACTIVE", "RNCP31114", [RNCP]),
        ("ELIG_RNCP_INACTIVE", "RNCP37674", []),
        ("ELIG_RNCP_INACTIVE", "RNCP99999", []),  # unknown, not "inactive"
        ("ELIG_RNCP_NOT_APPRENTICESHIP", "RNCP99997", [RNCP]),
        ("ELIG_RNCP_NOT_APPRENTICESHIP", "RS5198", [RNCP]),
        ("ELIG_RNCP_NOT_APPRENTICESHIP", "RNCP38369", []),
        ("ELIG_RNCP_NOT_APPRENTICESHIP", "RNCP99995", []),
    ],
)
def test_rncp_eligibility(cerfa, code, rncp, attendu):
    cerfa["formation"]["rncp"] = rncp
    assert champs(cerfa, code) == attendu


def _referentiel_avec(certification: Certification):
    certifications = {**REFERENTIEL.certifications, certification.code: certification}
    return replace(REFERENTIEL, certifications=certifications)


@pytest.mark.parametrize(
    ("debut_contrat", "debut_formation", "attendu"),
    [
        ("2026-09-01", "2026-09-07", []),  # active from 2026-09-01 (inclusive)
        ("2026-09-01", "2026-08-31", [RNCP]),  # cycle started before the contract
        ("2026-08-31", "2026-09-07", [RNCP]),
    ],
)
def test_rncp_active_at_the_earliest_start(cerfa, debut_contrat, debut_formation, attendu):
    ref = _referentiel_avec(
        Certification("RNCP38369", "BTS MHR", 5, date(2026, 9, 1), date(2028, 8, 31), True)
    )
    cerfa["contrat"]["dateDebutContrat"] = debut_contrat
    cerfa["formation"]["dateDebutFormation"] = debut_formation
    assert champs(cerfa, "ELIG_RNCP_INACTIVE", contexte(ref)) == attendu


def test_rncp_active_until_its_last_day(cerfa):
    ref = _referentiel_avec(Certification("RNCP38369", "BTS MHR", 5, None, date(2026, 9, 1), True))
    assert champs(cerfa, "ELIG_RNCP_INACTIVE", contexte(ref)) == []
    cerfa["contrat"]["dateDebutContrat"] = "2026-09-02"
    cerfa["formation"]["dateDebutFormation"] = "2026-09-02"
    assert champs(cerfa, "ELIG_RNCP_INACTIVE", contexte(ref)) == [RNCP]


@pytest.mark.parametrize(
    ("rncp", "cfd", "attendu"),
    [
        ("RNCP38369", "32033423", ["cerfa.formation.codeDiplome"]),
        ("RNCP38369", "32033422", []),
        ("RNCP38369", "32033422A", []),  # speciality letter ignored
        ("RNCP37674", "32033423", []),  # no CFD known for this RNCP
        ("RNCP99995", "32033423", []),  # outside the sample
        ("RNCP38369", "", []),
    ],
)
def test_cfd_rncp_mismatch(cerfa, rncp, cfd, attendu):
    cerfa["formation"].update(rncp=rncp, codeDiplome=cfd)
    assert champs(cerfa, "ELIG_CFD_RNCP_MISMATCH") == attendu


def test_cfd_rncp_mismatch_is_a_warning(cerfa):
    cerfa["formation"]["codeDiplome"] = "32033423"
    (v,) = nos_violations(cerfa)
    assert (v.code, v.severite) == ("ELIG_CFD_RNCP_MISMATCH", Severite.AVERTISSEMENT)


# --------------------------------------------------------------------------- décret 2024-631


@pytest.mark.parametrize(
    ("code", "bloc", "siret", "conclusion", "attendu"),
    [
        ("ELIG_CFA_NOT_QUALIOPI", "organismeFormation", "99000005100013", "2024-08-01", [CFA]),
        ("ELIG_CFA_NOT_QUALIOPI", "organismeFormation", "99000005100013", "2024-07-31", []),
        ("ELIG_CFA_NOT_QUALIOPI", "organismeFormation", "91234567500017", "2026-08-20", []),
        ("ELIG_CFA_NOT_HABILITATED", "organismeFormation", "99000006900015", "2024-08-01", [CFA]),
        ("ELIG_CFA_NOT_HABILITATED", "organismeFormation", "99000006900015", "2024-07-31", []),
        ("ELIG_CFA_NOT_HABILITATED", "organismeFormation", "91234567500017", "2026-08-20", []),
        (
            "ELIG_EMPLOYER_OPPOSITION",
            "employeur",
            "99000004400018",
            "2024-08-01",
            ["cerfa.employeur.siret"],
        ),
        ("ELIG_EMPLOYER_OPPOSITION", "employeur", "99000004400018", "2024-07-31", []),
        ("ELIG_EMPLOYER_OPPOSITION", "employeur", "80567891900012", "2026-08-20", []),
    ],
)
def test_decret_2024_631_checks(cerfa, code, bloc, siret, conclusion, attendu):
    cerfa[bloc]["siret"] = siret
    cerfa["contrat"]["dateConclusion"] = conclusion
    assert champs(cerfa, code) == attendu


def test_habilitated_cfa_for_its_certification(cerfa):
    cerfa["organismeFormation"]["siret"] = "99000006900015"
    cerfa["formation"]["rncp"] = "35340"
    assert champs(cerfa, "ELIG_CFA_NOT_HABILITATED") == []


# --------------------------------------------------------------------------- deposit deadline

DEBUT = "cerfa.contrat.dateDebutContrat"


@pytest.mark.parametrize(
    ("debut", "reception", "attendu"),
    [
        ("2026-09-01", date(2026, 9, 7), []),  # Tue -> Mon: Wed Thu Fri Sat Mon = 5
        ("2026-09-01", date(2026, 9, 8), [DEBUT]),  # 6 working days
        ("2026-09-01", date(2026, 8, 25), []),  # received before the start
        ("2026-05-04", date(2026, 5, 11), []),  # 8 May 2026 (Friday) is a holiday
        ("2026-05-04", date(2026, 5, 12), [DEBUT]),
        ("2026-05-12", date(2026, 5, 19), []),  # Ascension 14 May 2026
        ("2026-05-20", date(2026, 5, 27), []),  # Whit Monday 25 May 2026
    ],
)
def test_deposit_late(cerfa, debut, reception, attendu):
    cerfa["contrat"]["dateDebutContrat"] = debut
    assert champs(cerfa, "ELIG_DEPOSIT_LATE", contexte(date_reception=reception)) == attendu


def test_deposit_late_is_a_warning_and_needs_a_reception_date(cerfa):
    cerfa["contrat"]["dateDebutContrat"] = "2026-07-01"
    assert champs(cerfa, "ELIG_DEPOSIT_LATE", contexte(date_reception=None)) == []
    (v,) = nos_violations(cerfa, contexte())
    assert (v.code, v.severite) == ("ELIG_DEPOSIT_LATE", Severite.AVERTISSEMENT)


@pytest.mark.parametrize(
    ("annee", "attendu"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter(annee, attendu):
    assert paques(annee) == attendu


def test_public_holidays_2026():
    assert sorted(jours_feries(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),  # lundi de Pâques
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # lundi de Pentecôte
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


annees = st.integers(1900, 2200)
jours = st.dates(date(1950, 1, 1), date(2150, 12, 31))


@given(annees)
def test_easter_is_a_sunday_between_22_march_and_25_april(annee):
    p = paques(annee)
    assert p.weekday() == 6
    assert date(annee, 3, 22) <= p <= date(annee, 4, 25)
    assert len(jours_feries(annee)) in (10, 11)  # Ascension may fall on 1 or 8 May


@given(jours, st.integers(0, 400), st.integers(0, 400))
def test_working_days_are_additive(debut, a, b):
    milieu, fin = debut + timedelta(days=a), debut + timedelta(days=a + b)
    assert jours_ouvrables_entre(debut, fin) == jours_ouvrables_entre(
        debut, milieu
    ) + jours_ouvrables_entre(milieu, fin)


@given(jours, st.integers(0, 60))
def test_working_days_bounds(debut, n):
    fin = debut + timedelta(days=n)
    compte = jours_ouvrables_entre(debut, fin)
    semaines = n // 7
    assert 6 * semaines - len(jours_feries(debut.year) | jours_feries(fin.year)) <= compte <= n
    assert jours_ouvrables_entre(fin, debut) == 0 or n == 0


@given(jours)
def test_sundays_and_holidays_are_never_working_days(jour):
    if jour.weekday() == 6 or jour in jours_feries(jour.year):
        assert not est_ouvrable(jour)
    else:
        assert est_ouvrable(jour)
    assert jours_ouvrables_entre(jour - timedelta(days=1), jour) == int(est_ouvrable(jour))
