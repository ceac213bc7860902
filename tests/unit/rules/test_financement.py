"""OPCO engagement and échéancier: hand-computed examples (rules.md §2) and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rules.calculs import UN_JOUR, ajouter_mois
from rules.echeancier import annees
from rules.financement import (
    Engagement,
    FraisAnnexe,
    Parametres,
    calculer_engagement,
    frais_annexes,
    plafond_frais,
    proratiser_rupture,
    regime_financement,
)

D = Decimal
REFORME = date(2025, 7, 1)


def montants(e: Engagement) -> list[Decimal]:
    return [x.montant for x in e.echeances]


def ouvertures(e: Engagement) -> list[date]:
    return [x.date_ouverture for x in e.echeances]


def contrat_2025(**kw) -> Parametres:
    """The rules.md 2.2 worked example: NPEC 8 000 €, 2025-09-01 → 2027-08-31, level 5."""
    valeurs = dict(
        npec_annuel=D(8000),
        date_conclusion=date(2025, 8, 1),
        date_debut=date(2025, 9, 1),
        date_fin=date(2027, 8, 31),
        niveau=5,
    )
    return Parametres(**(valeurs | kw))


# --- regime ---


def test_regime_changes_on_1_july_2025():
    assert regime_financement(date(2025, 6, 30)) == "2020"
    assert regime_financement(REFORME) == "2025"


# --- regime 2025: rules.md 2.2 worked example ---


def test_worked_example_2025_schedule():
    e = calculer_engagement(contrat_2025(iban="FR7630006000011234567890189"))
    assert e.regime == "2025"
    assert e.montant_total == D("16000.00")
    assert montants(e) == [D(x) for x in ("3200", "2400", "1600", "800") * 2]
    assert [x.nature for x in e.echeances[:4]] == ["AVANCE", "M7", "M10", "SOLDE"]
    assert [x.codification for x in e.echeances] == [f"E{i}" for i in range(1, 9)]
    assert ouvertures(e) == [
        date(2025, 9, 1),
        date(2026, 3, 1),
        date(2026, 6, 1),
        date(2026, 9, 1),  # year-1 solde: with the year-2 advance
        date(2026, 9, 1),
        date(2027, 3, 1),
        date(2027, 6, 1),
        date(2027, 8, 31),  # final solde: at the contract end
    ]
    assert e.echeances[3].date_debut == date(2025, 9, 1)  # the solde balances the whole year
    assert e.echeances[0].date_fin == date(2026, 2, 28)
    assert {x.iban for x in e.echeances} == {"FR7630006000011234567890189"}
    assert e.participation_employeur == e.majoration_rqth == D(0)


def test_worked_example_2025_rupture_137_days():
    p = contrat_2025()
    r = proratiser_rupture(calculer_engagement(p), p, date(2026, 1, 15))
    assert r.montant_total == D("3002.74")  # 8 000 × 137 / 365
    assert montants(r) == [D("3002.74")] + [D(0)] * 7
    assert r.echeances[0].date_fin == date(2026, 1, 15)
    assert "3\u202f002,74\u00a0€" in r.remarques[-1]


def test_rupture_before_7th_month_goes_to_the_solde():
    """Day 170: 8 000 × 170 / 365 = 3 726.03 → advance 3 200 kept, solde 526.03 at the rupture."""
    p = contrat_2025()
    r = proratiser_rupture(calculer_engagement(p), p, date(2026, 2, 17))
    assert montants(r)[:4] == [D("3200"), D(0), D(0), D("526.03")]
    assert r.echeances[3].date_ouverture == date(2026, 2, 17)
    assert r.montant_total == D("3726.03")


# --- (a), (b) regime 2020 ---


def test_regime_2020_two_years():
    p = Parametres(D(7000), date(2024, 9, 1), date(2024, 9, 1), date(2026, 8, 31), 5)
    e = calculer_engagement(p)
    assert e.regime == "2020"
    assert montants(e) == [D(x) for x in ("2800", "2100", "2100") * 2]
    assert [x.nature for x in e.echeances[:3]] == ["AVANCE", "M7", "SOLDE"]
    assert ouvertures(e) == [
        date(2024, 9, 1),
        date(2025, 3, 1),
        date(2025, 6, 1),
        date(2025, 9, 1),
        date(2026, 3, 1),
        date(2026, 6, 1),
    ]
    assert e.montant_total == D("14000.00")


def test_regime_2020_nine_months():
    """9/12 × 7 000 = 5 250: 2 625 at the start + 2 625 at the end (ensuplr example)."""
    p = Parametres(D(7000), date(2024, 9, 1), date(2024, 9, 1), date(2025, 5, 31), 4)
    e = calculer_engagement(p)
    assert montants(e) == [D("2625.00"), D("2625.00")]
    assert ouvertures(e) == [date(2024, 9, 1), date(2025, 5, 31)]
    assert [x.nature for x in e.echeances] == ["AVANCE", "SOLDE"]


def test_regime_2020_month_started_is_due():
    """28 Sept → 3 Oct N+1 = 13 months: 7 000 + 7 000/12 (583.33 = 233.33 + 175 + 175)."""
    p = Parametres(D(7000), date(2023, 9, 1), date(2023, 9, 28), date(2024, 10, 3), 5)
    e = calculer_engagement(p)
    assert e.montant_total == D("7583.33")
    assert montants(e)[3:] == [D("233.33"), D("175.00"), D("175.00")]
    assert ouvertures(e)[3:] == [date(2024, 9, 28), date(2024, 10, 3), date(2024, 10, 3)]


def test_regime_2020_rupture_months_started():
    """Rupture 15 Jan: 5 months started → 7 000 × 5/12 = 2 916.67 = advance 2 800 + solde 116.67."""
    p = Parametres(D(7000), date(2024, 9, 1), date(2024, 9, 1), date(2026, 8, 31), 5)
    r = proratiser_rupture(calculer_engagement(p), p, date(2025, 1, 15))
    assert r.montant_total == D("2916.67")
    assert montants(r) == [D("2800"), D(0), D("116.67"), D(0), D(0), D(0)]
    assert r.echeances[2].date_ouverture == date(2025, 1, 15)


def test_no_2025_adjustments_before_reform():
    p = Parametres(
        D(8000),
        date(2025, 6, 30),
        date(2025, 9, 1),
        date(2026, 8, 31),
        7,
        heures_formation=D(800),
        heures_distanciel=D(800),
    )
    e = calculer_engagement(p)
    assert (e.npec_retenu, e.participation_employeur, e.montant_total) == (D(8000), 0, D(8000))


# --- (c) regime 2025, extra days ---


def test_one_year_and_three_days_is_funded_on_368_days():
    e = calculer_engagement(contrat_2025(date_fin=date(2026, 9, 3)))
    assert e.montant_total == D("8065.75")  # 8 000 × 368 / 365
    # year 2: 8 000 × 3/365 = 65.75; cumulative 40/70/90 % = 26.30, 46.03, 59.18
    assert montants(e)[4:] == [D("26.30"), D("19.73"), D("13.15"), D("6.57")]
    assert ouvertures(e)[4:] == [date(2026, 9, 1)] + [date(2026, 9, 3)] * 3


def test_two_years_and_three_days():
    e = calculer_engagement(contrat_2025(date_fin=date(2027, 9, 3)))
    assert e.montant_total == D("16065.75")
    assert len(e.echeances) == 12
    assert e.echeances[-1].date_ouverture == date(2027, 9, 3)


# --- (d) employer participation ---


def test_level_6_first_advance_reduced_by_750():
    e = calculer_engagement(contrat_2025(date_conclusion=REFORME, niveau=6))
    assert montants(e)[:2] == [D("2450.00"), D("2400.00")]
    assert e.participation_employeur == D("750.00")
    assert e.montant_total == D("15250.00")
    assert any("750,00\u00a0€" in r for r in e.remarques)


def test_participation_larger_than_advance_is_carried_over():
    """5 000 × 122/365 = 1 671.23 → 668.49 / 501.37 / 334.25 / 167.12; 750 = 668.49 + 81.51."""
    p = contrat_2025(npec_annuel=D(5000), niveau=7, date_fin=date(2025, 12, 31))
    e = calculer_engagement(p)
    assert montants(e) == [D(0), D("419.86"), D("334.25"), D("167.12")]
    assert e.montant_total == D("921.23")
    assert ouvertures(e) == [date(2025, 9, 1)] + [date(2025, 12, 31)] * 3


def test_participation_during_trial_period_and_after():
    p = contrat_2025(niveau=6)
    e = calculer_engagement(p)
    essai = proratiser_rupture(e, p, date(2025, 9, 30))  # 30 days
    assert essai.participation_employeur == D("328.77")  # 8 000 × 30 / 365 / 2
    assert essai.montant_total == D("328.76")  # 657.53 − 328.77
    apres = proratiser_rupture(e, p, date(2025, 12, 9))  # 100 days: 2 191.78 − 750
    assert apres.montant_total == D("1441.78")
    # day 60, trial period still running (45 days of practical training, not calendar days)
    assert proratiser_rupture(e, p, date(2025, 10, 30)).montant_total == D("565.07")
    essai_long = proratiser_rupture(e, p, date(2025, 10, 30), periode_essai=True)
    assert essai_long.participation_employeur == D("657.53")  # 8 000 × 60 / 365 / 2 < 750
    assert essai_long.montant_total == D("657.54")  # 1 315.07 − 657.53


def test_new_employer_after_rupture_pays_200():
    e = calculer_engagement(contrat_2025(niveau=6, reprise_apres_rupture=True))
    assert e.participation_employeur == D("200.00")
    assert e.echeances[0].montant == D("3000.00")


def test_unknown_level_has_no_participation_and_a_remark():
    e = calculer_engagement(contrat_2025(niveau=None))
    assert e.participation_employeur == 0
    assert any("Niveau" in r for r in e.remarques)


# --- (e) RQTH ---


def test_rqth_majoration_capped_and_spread():
    p = contrat_2025(rqth=True, majorations_rqth=(D(3000), D(5000)))
    e = calculer_engagement(p)
    assert e.majoration_rqth == D("7000.00")
    assert montants(e) == [
        D(x) for x in ("4400", "3300", "2200", "1100", "4800", "3600", "2400", "1200")
    ]
    assert e.montant_total == D("23000.00")
    assert any("année 2 plafonnée" in r for r in e.remarques)
    r = proratiser_rupture(e, p, date(2026, 1, 15))  # 3 002.74 + 3 000 × 137/365 = 1 126.03
    assert (r.montant_total, r.majoration_rqth) == (D("4128.77"), D("1126.03"))


def test_rqth_part_of_each_echeance():
    p = contrat_2025(rqth=True, majorations_rqth=(D(3000), D(5000)), niveau=6)
    e = calculer_engagement(p)
    parts = [x.majoration_rqth for x in e.echeances]
    # 40/30/20/10 of 3 000 then of 4 000; the 750 € participation comes off pedagogy first.
    assert parts == [D(x) for x in ("1200", "900", "600", "300", "1600", "1200", "800", "400")]
    assert all(0 <= x.majoration_rqth <= x.montant for x in e.echeances)
    r = proratiser_rupture(e, p, date(2026, 1, 15))
    assert sum(x.majoration_rqth for x in r.echeances) == r.majoration_rqth == D("1126.03")
    assert all(0 <= x.majoration_rqth <= x.montant for x in r.echeances)


@given(
    st.decimals(min_value=0, max_value=6000, places=2),
    st.decimals(min_value=0, max_value=6000, places=2),
    st.dates(min_value=date(2025, 9, 2), max_value=date(2027, 8, 30)),
)
def test_rqth_parts_sum_to_the_majoration(m1, m2, rupture):
    p = contrat_2025(rqth=True, majorations_rqth=(m1, m2), niveau=6)
    e = calculer_engagement(p)
    assert sum(x.majoration_rqth for x in e.echeances) == e.majoration_rqth
    assert all(0 <= x.majoration_rqth <= x.montant for x in e.echeances)
    r = proratiser_rupture(e, p, rupture)
    assert all(0 <= x.majoration_rqth <= x.montant for x in r.echeances)
    assert sum(x.majoration_rqth for x in r.echeances) == r.majoration_rqth


def test_rqth_majorations_ignored_without_rqth():
    e = calculer_engagement(contrat_2025(majorations_rqth=(D(3000),)))
    assert (e.majoration_rqth, e.montant_total) == (D(0), D(16000))
    assert any("ignorées" in r for r in e.remarques)


# --- (f) distance learning ---


@pytest.mark.parametrize(
    ("npec", "distanciel", "retenu"),
    [
        (8000, 720, "6400.00"),  # 90 % → × 0.8
        (4500, 720, "4000.00"),  # 3 600 → floor 4 000
        (3500, 720, "3500.00"),  # already below the floor
        (8000, 639, "8000.00"),  # 79.9 % → no minoration
        (8000, 640, "6400.00"),  # exactly 80 %
    ],
)
def test_distance_minoration(npec, distanciel, retenu):
    p = contrat_2025(npec_annuel=D(npec), heures_formation=D(800), heures_distanciel=D(distanciel))
    e = calculer_engagement(p)
    assert e.npec_retenu == D(retenu)
    assert e.montant_total == 2 * D(retenu)
    assert any("Minoration distanciel" in r for r in e.remarques) == (D(retenu) < D(npec))


# --- (g) three years starting mid-month ---


def test_three_years_from_mid_november_level_7():
    p = Parametres(D(9000), date(2025, 10, 1), date(2025, 11, 17), date(2028, 11, 16), 7)
    e = calculer_engagement(p)
    annuel = [D("3600"), D("2700"), D("1800"), D("900")]
    assert montants(e) == [D("2850.00"), *annuel[1:], *annuel, *annuel]
    assert e.montant_total == D("26250.00")  # 3 × 9 000 − 750; year 3 holds 29 Feb 2028
    assert ouvertures(e) == [
        date(2025, 11, 17),
        date(2026, 5, 17),
        date(2026, 8, 17),
        date(2026, 11, 17),
        date(2026, 11, 17),
        date(2027, 5, 17),
        date(2027, 8, 17),
        date(2027, 11, 17),
        date(2027, 11, 17),
        date(2028, 5, 17),
        date(2028, 8, 17),
        date(2028, 11, 16),
    ]
    assert [x.annee for x in e.echeances] == [1] * 4 + [2] * 4 + [3] * 4


def test_invalid_parameters_are_rejected():
    with pytest.raises(ValueError):
        calculer_engagement(contrat_2025(date_fin=date(2025, 8, 31)))


# --- frais annexes ---


def test_frais_annexes_at_ceilings():
    assert frais_annexes(10, 20, D(650), False) == [
        FraisAnnexe("HEBERGEMENT", 10, D("6.00"), D("60.00")),
        FraisAnnexe("RESTAURATION", 20, D("3.00"), D("60.00")),
        FraisAnnexe("PREMIER_EQUIPEMENT", 1, D("500.00"), D("500.00")),
    ]
    assert frais_annexes(0, 0, None, False) == []


def test_frais_annexes_mobility():
    assert frais_annexes(0, 0, None, True) == [FraisAnnexe("MOBILITE", 1, None, None)]
    assert frais_annexes(0, 0, None, True, forfait_mobilite=D(300)) == [
        FraisAnnexe("MOBILITE", 1, D("300.00"), D("300.00"))
    ]
    with pytest.raises(ValueError):
        frais_annexes(-1, 0, None, False)


@pytest.mark.parametrize(
    ("nature", "plafond"),
    [
        ("HEBERGEMENT", D(6)),
        ("RESTAURATION", D(3)),
        ("PREMIER_EQUIPEMENT", D(500)),
        ("Premierequipement", D(500)),
        ("MAJORATION_RQTH", D(4000)),
        ("MOBILITE", None),
        ("PEDAGOGIE", None),
    ],
)
def test_plafond_frais(nature, plafond):
    assert plafond_frais(nature) == plafond


# --- properties ---


@st.composite
def parametres(draw, annees_entieres: bool = False) -> Parametres:
    debut = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    if annees_entieres:
        fin = ajouter_mois(debut, 12 * draw(st.integers(1, 4))) - UN_JOUR
    else:
        mois, jours = draw(st.integers(1, 47)), draw(st.integers(0, 30))
        fin = min(
            ajouter_mois(debut, mois) - UN_JOUR + timedelta(days=jours),
            ajouter_mois(debut, 48) - UN_JOUR,
        )
    heures = draw(st.none() | st.integers(1, 2000).map(D))
    return Parametres(
        npec_annuel=D(draw(st.integers(100_000, 3_000_000))) / 100,
        date_conclusion=debut - timedelta(days=draw(st.integers(0, 90))),
        date_debut=debut,
        date_fin=fin,
        niveau=draw(st.none() | st.integers(3, 8)),
        rqth=draw(st.booleans()),
        majorations_rqth=tuple(
            draw(st.lists(st.integers(0, 600_000).map(lambda c: D(c) / 100), max_size=4))
        ),
        heures_formation=heures,
        heures_distanciel=None
        if heures is None
        else heures * draw(st.sampled_from([D(0), D("0.5"), D("0.8"), D(1)])),
        reprise_apres_rupture=draw(st.booleans()),
    )


def verifier_echeancier(e: Engagement) -> None:
    assert sum(montants(e), D(0)) == e.montant_total
    assert all(m >= 0 and m.as_tuple().exponent == -2 for m in montants(e))
    assert e.montant_total >= 0


@given(parametres())
def test_schedule_is_consistent(p):
    e = calculer_engagement(p)
    verifier_echeancier(e)
    assert [x.numero for x in e.echeances] == list(range(1, len(e.echeances) + 1))
    assert ouvertures(e) == sorted(ouvertures(e))
    assert all(p.date_debut <= d <= p.date_fin for d in ouvertures(e))
    assert all(p.date_debut <= x.date_debut <= x.date_fin <= p.date_fin for x in e.echeances)
    assert e.echeances[-1].nature == "SOLDE"


@given(parametres(annees_entieres=True))
def test_whole_years_cost_years_times_npec(p):
    e = calculer_engagement(p)
    n = len(annees(e.regime, p.date_debut, p.date_fin))
    majorations = sum((min(m, D(4000)) for m in p.majorations_rqth[:n]), D(0)) if p.rqth else 0
    assert e.montant_total == n * e.npec_retenu + majorations - e.participation_employeur
    attendue = 0
    if e.regime == "2025" and (p.niveau or 0) >= 6:
        attendue = D(200) if p.reprise_apres_rupture else D(750)
    assert e.participation_employeur == attendue


@given(parametres(), st.data())
def test_rupture_keeps_the_schedule_consistent(p, data):
    e = calculer_engagement(p)
    jour = data.draw(st.dates(p.date_debut - timedelta(days=5), p.date_fin))
    r = proratiser_rupture(e, p, jour)
    verifier_echeancier(r)
    assert r.montant_total <= e.montant_total
    assert [x.numero for x in r.echeances] == [x.numero for x in e.echeances]
    assert all(x.montant == 0 for x in r.echeances if x.date_debut > jour)
    assert all(x.date_ouverture <= max(jour, p.date_debut) for x in r.echeances if x.montant)


@given(parametres())
def test_rupture_on_the_planned_end_changes_nothing(p):
    e = calculer_engagement(p)
    assert proratiser_rupture(e, p, p.date_fin) == e


@given(parametres(), st.data())
def test_later_rupture_never_funds_less_without_participation(p, data):
    p = Parametres(**(vars(p) | {"niveau": 5}))
    e = calculer_engagement(p)
    premier = data.draw(st.dates(p.date_debut, p.date_fin))
    second = data.draw(st.dates(premier, p.date_fin))
    assume(second < p.date_fin)
    assert (
        proratiser_rupture(e, p, premier).montant_total
        <= proratiser_rupture(e, p, second).montant_total
    )
