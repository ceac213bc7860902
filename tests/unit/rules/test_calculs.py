"""Arithmetic helpers of the rules: examples from rules.md and hypothesis properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rules.calculs import (
    TRANCHES,
    age_au,
    ajouter_mois,
    annee_execution,
    anniversaire,
    changement_tranche,
    chevauchent,
    debut_annee,
    duree_mois,
    en_decimal,
    identite,
    mois_entre,
    niveau_diplome,
    premier_du_mois_suivant,
    salaire_minimal,
    tranche_au,
)
from rules.referentiel import Referentiel

JOURS = st.dates(min_value=date(1950, 1, 1), max_value=date(2080, 12, 31))
GRILLE = {
    (annee, tranche): Decimal(taux)
    for tranche, taux_par_annee in zip(
        TRANCHES, ((27, 39, 55), (43, 51, 67), (53, 61, 78), (100, 100, 100)), strict=True
    )
    for annee, taux in enumerate(taux_par_annee, start=1)
}


@pytest.mark.parametrize(
    ("naissance", "jour", "age"),
    [
        (date(2006, 5, 14), date(2026, 9, 1), 20),
        (date(2006, 5, 14), date(2027, 5, 13), 20),
        (date(2006, 5, 14), date(2027, 5, 14), 21),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2008, 2, 29), date(2028, 2, 28), 19),
    ],
)
def test_age_in_whole_years(naissance, jour, age):
    assert age_au(naissance, jour) == age


@given(JOURS, JOURS, JOURS)
def test_age_is_monotone(naissance, a, b):
    assume(naissance <= min(a, b))
    a, b = sorted((a, b))
    assert age_au(naissance, a) <= age_au(naissance, b)


@given(JOURS, st.integers(1, 60))
def test_age_changes_exactly_on_the_birthday(naissance, age):
    assume(naissance.year + age <= 2100)
    jour = anniversaire(naissance, age)
    assert age_au(naissance, jour) == age
    assert age_au(naissance, jour - timedelta(days=1)) == age - 1


@given(st.integers(1952, 2048).filter(lambda y: y % 4 == 0), st.integers(1, 40))
def test_29_february_births_age_on_1_march_in_common_years(annee, age):
    naissance, cible = date(annee, 2, 29), annee + age
    bissextile = cible % 4 == 0 and (cible % 100 != 0 or cible % 400 == 0)
    attendu = date(cible, 2, 29) if bissextile else date(cible, 3, 1)
    assert anniversaire(naissance, age) == attendu
    assert age_au(naissance, attendu - timedelta(days=1)) == age - 1


@pytest.mark.parametrize(
    ("jour", "mois", "attendu"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), -6, date(2026, 2, 28)),
        (date(2028, 6, 30), 2, date(2028, 8, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(jour, mois, attendu):
    assert ajouter_mois(jour, mois) == attendu


@given(JOURS, st.integers(-240, 240))
def test_add_months_round_trip(jour, mois):
    aller = ajouter_mois(jour, mois)
    retour = ajouter_mois(aller, -mois)
    assert mois_entre(jour, aller) == mois
    assert (retour.year, retour.month) == (jour.year, jour.month)
    assert retour <= jour
    if jour.day <= 28:
        assert retour == jour


@given(JOURS, JOURS)
def test_months_between_is_the_floor(a, b):
    k = mois_entre(a, b)
    assert ajouter_mois(a, k) <= b < ajouter_mois(a, k + 1)


@pytest.mark.parametrize(
    ("debut", "fin", "mois"),
    [
        (date(2026, 9, 1), date(2028, 8, 31), 24),
        (date(2026, 9, 1), date(2027, 2, 28), 6),
        (date(2026, 9, 1), date(2027, 2, 27), 5),
        (date(2026, 1, 31), date(2026, 2, 26), 0),
        (date(2026, 1, 31), date(2026, 2, 27), 1),
    ],
)
def test_contract_duration_in_months_counts_the_end_date(debut, fin, mois):
    assert duree_mois(debut, fin) == mois


@given(JOURS)
def test_first_of_next_month(jour):
    suivant = premier_du_mois_suivant(jour)
    assert suivant.day == 1
    assert 1 <= (suivant - jour).days <= 31


@given(JOURS, st.sampled_from([18, 21, 26]))
def test_bracket_changes_on_the_first_of_the_month_after_the_birthday(naissance, age):
    change = changement_tranche(naissance, age)
    veille = change - timedelta(days=1)
    assert change.day == 1
    assert (
        change
        > anniversaire(naissance, age)
        >= date(change.year, change.month, 1) - timedelta(days=31)
    )
    index = TRANCHES.index(tranche_au(naissance, change))
    assert TRANCHES[index - 1] == tranche_au(naissance, veille)


def test_bracket_of_a_birthday_on_the_first_changes_a_month_later():
    naissance = date(2006, 6, 1)
    assert tranche_au(naissance, date(2027, 6, 1)) == "18_20"
    assert tranche_au(naissance, date(2027, 7, 1)) == "21_25"


@given(JOURS, JOURS)
def test_contract_years_are_twelve_month_slices(debut, jour):
    assume(jour >= debut)
    annee = annee_execution(debut, jour)
    assert debut_annee(debut, annee) <= jour < debut_annee(debut, annee + 1)


@pytest.mark.parametrize(
    ("annee", "age", "taux"),
    [
        *[(1, 17, 27), (2, 17, 39), (3, 17, 55), (1, 20, 43), (2, 19, 51), (3, 18, 67)],
        *[(1, 21, 53), (2, 25, 61), (3, 22, 78), (1, 26, 100), (4, 22, 78), (4, 16, 55)],
    ],
)
def test_grid_minimum_by_bracket_and_year(annee, age, taux):
    naissance, jour = date(2000, 1, 15), date(2000 + age, 6, 1)
    assert Referentiel(grille=GRILLE).taux_minimal(annee, tranche_au(naissance, jour)) == taux


@given(
    JOURS, st.dates(date(2000, 1, 1), date(2040, 1, 1)), st.integers(0, 1500), st.integers(0, 90)
)
def test_grid_minimum_never_decreases_during_a_contract(naissance, debut, j1, j2):
    assume(naissance <= debut)
    ref = Referentiel(grille=GRILLE)
    a, b = sorted((debut + timedelta(days=j1), debut + timedelta(days=j1 + j2)))

    def minimum(jour):
        return ref.taux_minimal(annee_execution(debut, jour), tranche_au(naissance, jour))

    assert minimum(a) <= minimum(b)


@pytest.mark.parametrize(
    ("smic", "taux", "attendu"),
    [
        *[("1823.03", 27, "492.22"), ("1823.03", 43, "783.91"), ("1823.03", 78, "1421.97")],
        *[("1801.80", 27, "486.49"), ("1801.80", 61, "1099.10"), ("1766.92", 55, "971.81")],
    ],
)
def test_worked_minima_of_rules_md(smic, taux, attendu):
    assert salaire_minimal(Decimal(taux), Decimal(smic), 35 * 60) == Decimal(attendu)


def test_salary_is_prorated_to_weekly_hours():
    assert salaire_minimal(Decimal(43), Decimal("1823.03"), 39 * 60) == Decimal("873.50")


@pytest.mark.parametrize(
    ("v", "attendu"),
    [
        *[(43, Decimal(43)), (783.91, Decimal("783.91")), ("12.5", Decimal("12.5"))],
        *[(True, None), (None, None), ("x", None), ("NaN", None)],
    ],
)
def test_wire_numbers_become_decimals_without_float_noise(v, attendu):
    assert en_decimal(v) == attendu


@pytest.mark.parametrize(("code", "niveau"), [(33, 3), (41, 4), (54, 5), (62, 6), (74, 7)])
def test_diploma_level_is_the_first_digit(code, niveau):
    assert niveau_diplome(code) == niveau


def test_identity_ignores_case_accents_and_hyphens():
    assert identite(" Lefèvre ", "Jean-Éric", None) == identite("LEFEVRE", "jean éric", None)


def test_periods_without_bounds_overlap():
    assert chevauchent((date(2026, 1, 1), None), (None, date(2026, 1, 1)))
    assert not chevauchent((date(2026, 1, 2), None), (None, date(2026, 1, 1)))
