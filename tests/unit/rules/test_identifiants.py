"""Rules of rules.md 5.1: identifiers (rules/identifiants.py) and formats (rules/formats.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import luhn

from rules.identifiants import ALPHABET_UAI, cle_nir, iban_valide, lettre_uai
from rules.registry import Severite
from tests.unit.rules.conftest_referentiel import champs, contexte, nos_violations

EMPLOYEUR = "cerfa.employeur.siret"
NIR = "cerfa.apprenti.nir"


def test_demo_contract_has_no_identifier_or_format_violation(cerfa):
    assert nos_violations(cerfa) == []


# --------------------------------------------------------------------------- SIRET


@pytest.mark.parametrize(
    ("siret", "attendu"), [("8056789190001", [EMPLOYEUR]), ("80567891900012", [])]
)
def test_siret_format(cerfa, siret, attendu):
    cerfa["employeur"]["siret"] = siret
    assert champs(cerfa, "ID_SIRET_FORMAT") == attendu


@pytest.mark.parametrize(
    ("siret", "attendu"),
    [
        ("80567891900013", [EMPLOYEUR]),
        ("73282932000079", [EMPLOYEUR]),
        ("73282932000074", []),
        ("13002526500013", []),
        ("35600000000048", []),  # La Poste head office: plain Luhn
        ("35600000049837", []),  # La Poste: digit sum 40, multiple of 5
        ("35600000049838", [EMPLOYEUR]),
    ],
)
def test_siret_checksum(cerfa, siret, attendu):
    cerfa["employeur"]["siret"] = siret
    assert champs(cerfa, "ID_SIRET_CHECKSUM") == attendu


def test_siret_checksum_checks_the_training_site_too(cerfa):
    cerfa["organismeFormationLieuFormationPrincipal"] = {"siret": "91234567500018", "uaiCfa": ""}
    assert champs(cerfa, "ID_SIRET_CHECKSUM") == [
        "cerfa.organismeFormationLieuFormationPrincipal.siret"
    ]


def _siret(siren8: str, nic4: str) -> str:
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


def chiffres(n: int) -> st.SearchStrategy[str]:
    """n ASCII digits (from_regex's \\d would also draw other Unicode digits)."""
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@given(chiffres(8), chiffres(4))
def test_any_luhn_valid_siret_passes_the_checksum(siren8, nic4):
    siret = _siret(siren8, nic4)
    assume(not siret.startswith("356000000"))
    cerfa = {"employeur": {"siret": siret}}
    assert champs(cerfa, "ID_SIRET_CHECKSUM") == []


@given(
    chiffres(8),
    chiffres(4),
    st.integers(0, 13),
    st.integers(1, 9),
)
def test_changing_one_digit_breaks_the_checksum(siren8, nic4, position, delta):
    siret = _siret(siren8, nic4)
    faux = siret[:position] + str((int(siret[position]) + delta) % 10) + siret[position + 1 :]
    assume(not siret.startswith("356000000") and not faux.startswith("356000000"))
    assert champs({"employeur": {"siret": faux}}, "ID_SIRET_CHECKSUM") == [EMPLOYEUR]


@pytest.mark.parametrize(
    ("code", "siret", "conclusion", "attendu"),
    [
        ("ID_SIRET_UNKNOWN", "99000002800011", "2026-08-20", [EMPLOYEUR]),
        ("ID_SIRET_UNKNOWN", "80567891900012", "2026-08-20", []),
        ("ID_SIRET_UNKNOWN", "80234567800022", "2026-08-20", []),  # outside the stub: exists
        ("ID_SIRET_CLOSED", "99000001000019", "2026-08-20", [EMPLOYEUR]),
        ("ID_SIRET_CLOSED", "99000007700018", "2026-12-31", []),  # closes 2027-01-01
        ("ID_SIRET_CLOSED", "99000007700018", "2027-01-01", [EMPLOYEUR]),
        ("ID_SIRET_NON_DIFFUSIBLE", "99000003600014", "2026-08-20", [EMPLOYEUR]),
        ("ID_SIRET_NON_DIFFUSIBLE", "99000001000019", "2026-08-20", []),
    ],
)
def test_sirene_stub(cerfa, code, siret, conclusion, attendu):
    cerfa["employeur"]["siret"] = siret
    cerfa["contrat"]["dateConclusion"] = conclusion
    assert champs(cerfa, code) == attendu


def test_sirene_checks_the_cfa_and_training_site(cerfa):
    cerfa["organismeFormation"]["siret"] = "99000002800011"
    cerfa["organismeFormationLieuFormationPrincipal"] = {"siret": "99000001000019"}
    assert champs(cerfa, "ID_SIRET_UNKNOWN") == ["cerfa.organismeFormation.siret"]
    assert champs(cerfa, "ID_SIRET_CLOSED") == [
        "cerfa.organismeFormationLieuFormationPrincipal.siret"
    ]


def test_non_diffusible_is_a_warning(cerfa):
    cerfa["employeur"]["siret"] = "99000003600014"
    (v,) = [v for v in nos_violations(cerfa) if v.code == "ID_SIRET_NON_DIFFUSIBLE"]
    assert v.severite == Severite.AVERTISSEMENT


# --------------------------------------------------------------------------- UAI

UAI = "cerfa.organismeFormation.uaiCfa"


@pytest.mark.parametrize(
    ("uai", "attendu"),
    [("075123J", [UAI]), ("07512345J", [UAI]), ("0751234J", []), ("0751234j", []), ("", [])],
)
def test_uai_format(cerfa, uai, attendu):
    cerfa["organismeFormation"]["uaiCfa"] = uai
    assert champs(cerfa, "ID_UAI_FORMAT") == attendu


@pytest.mark.parametrize(
    ("uai", "attendu"),
    [
        ("0010856A", []),
        ("0751234J", []),
        ("0561910X", []),
        ("0123456A", [UAI]),
        ("0751234K", [UAI]),
    ],
)
def test_uai_checksum(cerfa, uai, attendu):
    cerfa["organismeFormation"]["uaiCfa"] = uai
    assert champs(cerfa, "ID_UAI_CHECKSUM") == attendu


def test_uai_checksum_of_the_training_site(cerfa):
    cerfa["organismeFormationLieuFormationPrincipal"] = {"uaiCfa": "0123456A"}
    assert champs(cerfa, "ID_UAI_CHECKSUM") == [
        "cerfa.organismeFormationLieuFormationPrincipal.uaiCfa"
    ]


@given(chiffres(7), st.sampled_from(ALPHABET_UAI))
def test_uai_letter_property(chiffres7, lettre):
    cerfa = {"organismeFormation": {"uaiCfa": chiffres7 + lettre}}
    attendu = [] if lettre == lettre_uai(chiffres7) else [UAI]
    assert champs(cerfa, "ID_UAI_CHECKSUM") == attendu
    assert lettre_uai(chiffres7) == ALPHABET_UAI[int(chiffres7) % 23]


# --------------------------------------------------------------------------- NIR


def _nir(sexe: str, yy: str, mm: str, dept: str, reste: str = "056123") -> str:
    n13 = sexe + yy + mm + dept + reste
    return n13 + cle_nir(n13)


@pytest.mark.parametrize(
    ("nir", "attendu"),
    [
        ("20605750561", [NIR]),
        ("206057A05612329", [NIR]),  # A/B only in 2A / 2B
        ("2060575056123", []),  # 13 characters, no key
        ("206057505612329", []),
        ("253072B07300470", []),
        ("", []),
    ],
)
def test_nir_format(cerfa, nir, attendu):
    cerfa["apprenti"]["nir"] = nir
    assert champs(cerfa, "ID_NIR_FORMAT") == attendu


def test_nir_format_message_masks_the_nir(cerfa):
    cerfa["apprenti"]["nir"] = "2060575056123X9"
    (violation,) = [v for v in nos_violations(cerfa) if v.code == "ID_NIR_FORMAT"]
    assert "2060575056123X9" not in violation.message
    assert "2************** (15 caractère(s))" in violation.message


@pytest.mark.parametrize(
    ("nir", "attendu"),
    [
        ("206057505612328", [NIR]),
        ("206057505612329", []),
        ("295109912611193", []),
        ("253072B07300470", []),
        ("253072A07300443", []),
        ("255081416802538", []),
        ("101010100100153", []),
        ("2060575056123", []),
    ],
)
def test_nir_key(cerfa, nir, attendu):
    cerfa["apprenti"]["nir"] = nir
    assert champs(cerfa, "ID_NIR_KEY") == attendu


@given(
    st.sampled_from("12378"),
    chiffres(4),
    st.one_of(chiffres(2), st.sampled_from(["2A", "2B"])),
    chiffres(6),
)
def test_nir_with_computed_key_is_valid(premier, yymm, dept, reste):
    n13 = premier + yymm + dept + reste
    corse = n13.replace("2A", "19").replace("2B", "18")
    assert cle_nir(n13) == f"{97 - int(corse) % 97:02d}"
    cerfa = {"apprenti": {"nir": n13 + cle_nir(n13)}}
    assert champs(cerfa, "ID_NIR_KEY") == []
    assert champs(cerfa, "ID_NIR_FORMAT") == []


@pytest.mark.parametrize(
    ("nir", "sexe", "attendu"),
    [
        ("206057505612329", "M", [NIR]),
        ("206057505612329", "F", []),
        (_nir("7", "06", "05", "75"), "M", []),  # temporary number: not checked
    ],
)
def test_nir_sex_mismatch(cerfa, nir, sexe, attendu):
    cerfa["apprenti"].update(nir=nir, sexe=sexe)
    assert champs(cerfa, "ID_NIR_SEX_MISMATCH") == attendu


@pytest.mark.parametrize(
    ("nir", "naissance", "attendu"),
    [
        (_nir("2", "06", "05", "75"), "2006-06-14", [NIR]),
        (_nir("2", "07", "05", "75"), "2006-05-14", [NIR]),
        (_nir("2", "06", "05", "75"), "2006-05-31", []),
        (_nir("2", "06", "30", "75"), "2006-05-14", []),  # unknown month (20-42, 50+)
    ],
)
def test_nir_birth_mismatch(cerfa, nir, naissance, attendu):
    cerfa["apprenti"].update(nir=nir, dateNaissance=naissance)
    assert champs(cerfa, "ID_NIR_BIRTH_MISMATCH") == attendu


@pytest.mark.parametrize(
    ("dept_nir", "departement", "attendu"),
    [
        ("75", "13", [NIR]),
        ("75", "75", []),
        ("97", "971", []),  # DROM: 3rd digit in the commune part
        ("97", "974", []),
        ("97", "13", [NIR]),
        ("20", "2A", []),  # Corsica before 1976
        ("2B", "2B", []),
        ("2A", "2B", [NIR]),
        ("99", "99", []),
        ("93", "99", []),  # Algeria before 1962
        ("01", "1", []),
    ],
)
def test_nir_dept_mismatch(cerfa, dept_nir, departement, attendu):
    cerfa["apprenti"].update(nir=_nir("2", "06", "05", dept_nir), departementNaissance=departement)
    assert champs(cerfa, "ID_NIR_DEPT_MISMATCH") == attendu


def test_nir_consistency_findings_are_warnings(cerfa):
    cerfa["apprenti"].update(nir=_nir("1", "07", "06", "13"), departementNaissance="75")
    vus = {v.code: v.severite for v in nos_violations(cerfa)}
    assert vus == {
        "ID_NIR_SEX_MISMATCH": Severite.AVERTISSEMENT,
        "ID_NIR_BIRTH_MISMATCH": Severite.AVERTISSEMENT,
        "ID_NIR_DEPT_MISMATCH": Severite.AVERTISSEMENT,
    }


# --------------------------------------------------------------------------- IBAN helper


@pytest.mark.parametrize(
    ("iban", "valide"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", True),
        ("FR14 2004 1010 0505 0001 3M02 606", True),
        ("FR7630004000010001234567830", True),  # demo CFA
        ("FR76 3000 6000 0112 3456 7890 188", False),
        ("FR76 3000 6000 0112 3456 7890 18", False),  # FR length 27
    ],
)
def test_iban_valide(iban, valide):
    assert iban_valide(iban) is valide


# --------------------------------------------------------------------------- formats

RNCP, CFD, NAF, IDCC = (
    "cerfa.formation.rncp",
    "cerfa.formation.codeDiplome",
    "cerfa.employeur.naf",
    "cerfa.employeur.codeIdcc",
)


@pytest.mark.parametrize(
    ("rncp", "attendu"),
    [
        ("RNCP38369", []),
        ("38369", []),
        ("RNCP123", []),
        ("RNCP12", [RNCP]),
        ("12", [RNCP]),
        ("RNCP123456", [RNCP]),
        ("RS5198", [RNCP]),
        ("", []),
    ],
)
def test_rncp_format(cerfa, rncp, attendu):
    cerfa["formation"]["rncp"] = rncp
    assert champs(cerfa, "ID_RNCP_FORMAT") == attendu


@pytest.mark.parametrize(
    ("cfd", "attendu"),
    [("32033422", []), ("32033422A", []), ("3203342", [CFD]), ("320A3422", [CFD])],
)
def test_cfd_format(cerfa, cfd, attendu):
    cerfa["formation"]["codeDiplome"] = cfd
    assert champs(cerfa, "ID_CFD_FORMAT") == attendu


@pytest.mark.parametrize(
    ("naf", "attendu"),
    [("55.10Z", []), ("5510Z", []), ("55.10z", []), ("55.1Z", [NAF]), ("55", [NAF])],
)
def test_naf_format(cerfa, naf, attendu):
    cerfa["employeur"]["naf"] = naf
    assert champs(cerfa, "ID_NAF_FORMAT") == attendu


@pytest.mark.parametrize(
    ("naf", "attendu"), [("99.99Z", [NAF]), ("10.71C", []), ("99.00Z", []), ("55.1Z", [])]
)
def test_naf_unknown(cerfa, naf, attendu):
    cerfa["employeur"]["naf"] = naf
    assert champs(cerfa, "ID_NAF_UNKNOWN") == attendu


@pytest.mark.parametrize(
    ("idcc", "attendu"),
    [
        ("0", [IDCC]),  # 0000: magic unknown
        ("0000", [IDCC]),
        ("9999", []),
        ("9998", []),
        ("1979", []),
        (1979, []),
        ("16", []),  # 0016 transports routiers
        ("2691", []),  # outside the sample: accepted
    ],
)
def test_idcc_unknown(cerfa, idcc, attendu):
    cerfa["employeur"]["codeIdcc"] = idcc
    assert champs(cerfa, "ID_IDCC_UNKNOWN") == attendu


@pytest.mark.parametrize(("idcc", "attendu"), [("650", [IDCC]), ("0054", [IDCC]), ("3248", [])])
def test_idcc_not_in_force(cerfa, idcc, attendu):
    cerfa["employeur"]["codeIdcc"] = idcc
    assert champs(cerfa, "ID_IDCC_NOT_IN_FORCE") == attendu


@pytest.mark.parametrize(
    ("champ", "numero", "attendu"),
    [
        ("numeroContratPrecedent", "02B202212000000", []),
        ("numeroContratPrecedent", "075202401NC0001", []),
        ("numeroContratPrecedent", "02B202213000000", ["cerfa.contrat.numeroContratPrecedent"]),
        ("numeroContratPrecedent", "07520240100001", ["cerfa.contrat.numeroContratPrecedent"]),
        ("numeroContratPrecedent", "", []),
        ("noContrat", 0, []),
        ("noContrat", "0", []),
        ("noContrat", "075202401000001", []),
        ("noContrat", "75202401000001", ["cerfa.contrat.noContrat"]),
    ],
)
def test_deca_format(cerfa, champ, numero, attendu):
    cerfa["contrat"][champ] = numero
    assert champs(cerfa, "ID_DECA_FORMAT") == attendu


@pytest.mark.parametrize(
    ("bloc", "cp", "attendu"),
    [
        ("apprenti", "1300", ["cerfa.apprenti.adresse.codePostal"]),
        ("organismeFormation", "7501A", ["cerfa.organismeFormation.adresse.codePostal"]),
        ("apprenti", "01000", []),
        ("apprenti", "", []),
    ],
)
def test_postcode_format(cerfa, bloc, cp, attendu):
    cerfa[bloc]["adresse"]["codePostal"] = cp
    assert champs(cerfa, "ID_POSTCODE_FORMAT") == attendu


def test_postcode_of_the_legal_representative(cerfa):
    cerfa["apprenti"]["responsableLegal"] = {"adresse": {"codePostal": "130"}}
    assert champs(cerfa, "ID_POSTCODE_FORMAT") == [
        "cerfa.apprenti.responsableLegal.adresse.codePostal"
    ]


@pytest.mark.parametrize(
    ("bloc", "courriel", "attendu"),
    [
        ("apprenti", "lea.martin@example", ["cerfa.apprenti.courriel"]),
        ("apprenti", "lea martin@example.org", ["cerfa.apprenti.courriel"]),
        ("maitre1", "p.durand@@hotel.example", ["cerfa.maitre1.courriel"]),
        ("apprenti", "lea+cfa@mail.example.org", []),
        ("employeur", "rh@hotel-du-port.example", []),
    ],
)
def test_email_format(cerfa, bloc, courriel, attendu):
    cerfa[bloc]["courriel"] = courriel
    assert champs(cerfa, "ID_EMAIL_FORMAT") == attendu


# --------------------------------------------------------------------------- required fields


def test_one_finding_per_missing_field(cerfa):
    del cerfa["employeur"]["telephone"]
    cerfa["formation"]["rncp"] = ""
    cerfa["apprenti"]["courriel"] = None
    assert sorted(champs(cerfa, "REQ_FIELD_MISSING")) == [
        "cerfa.apprenti.courriel",
        "cerfa.employeur.telephone",
        "cerfa.formation.rncp",
    ]


def test_false_and_zero_count_as_filled(cerfa):
    cerfa["apprenti"]["handicap"] = False
    cerfa["formation"]["nombreHeuresEnDistanciel"] = 0
    cerfa["contrat"]["dureeTravailHebdoMinutes"] = 0
    assert champs(cerfa, "REQ_FIELD_MISSING") == []


def test_alternative_fields(cerfa):
    cerfa["employeur"].update(denomination=None, nom="DUPONT")
    cerfa["contrat"]["dateFormationPratiqueEmployeur"] = cerfa["contrat"].pop(
        "dateDebutFormationPratique"
    )
    assert champs(cerfa, "REQ_FIELD_MISSING") == []
    cerfa["employeur"]["nom"] = ""
    cerfa["contrat"]["remunerationsAnnuelles"] = []
    assert champs(cerfa, "REQ_FIELD_MISSING") == [
        "cerfa.employeur.denomination",
        "cerfa.contrat.remunerationsAnnuelles",
    ]


def test_training_site_required_when_different(cerfa):
    cerfa["organismeFormation"]["lieuFormationIdentique"] = False
    assert champs(cerfa, "REQ_FIELD_MISSING") == [
        "cerfa.organismeFormationLieuFormationPrincipal.denomination",
        "cerfa.organismeFormationLieuFormationPrincipal.siret",
        "cerfa.organismeFormationLieuFormationPrincipal.adresse.codePostal",
        "cerfa.organismeFormationLieuFormationPrincipal.adresse.commune",
    ]
    cerfa["organismeFormationLieuFormationPrincipal"] = {
        "denomination": "Site de Saint-Denis",
        "siret": "91234567500025",
        "adresse": {"codePostal": "93200", "commune": "Saint-Denis"},
    }
    assert champs(cerfa, "REQ_FIELD_MISSING") == []


# --------------------------------------------------------------------------- Cerfa version


@pytest.mark.parametrize(
    ("version", "conclusion", "distanciel", "attendu"),
    [
        ("10103*13", date(2025, 7, 1), 0, ["cerfa.versionCERFA"]),
        ("10103*13", date(2025, 6, 30), 0, []),
        ("10103*14", date(2025, 7, 1), None, ["cerfa.formation.nombreHeuresEnDistanciel"]),
        (None, date(2026, 8, 20), None, ["cerfa.formation.nombreHeuresEnDistanciel"]),
        (None, date(2026, 8, 20), 12, []),
        ("10103*14", date(2026, 8, 20), 0, []),
    ],
)
def test_cerfa_version_outdated(cerfa, version, conclusion, distanciel, attendu):
    cerfa["versionCERFA"] = version
    cerfa["contrat"]["dateConclusion"] = conclusion.isoformat()
    cerfa["formation"]["nombreHeuresEnDistanciel"] = distanciel
    assert champs(cerfa, "CERFA_VERSION_OUTDATED") == attendu
    assert all(
        v.severite == Severite.AVERTISSEMENT
        for v in nos_violations(cerfa, contexte())
        if v.code == "CERFA_VERSION_OUTDATED"
    )
