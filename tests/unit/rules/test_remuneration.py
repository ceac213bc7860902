"""Pay rules (rules.md 5.6) with the SMIC and grid of rules.md 1.5; demo contract at both moments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rules.age
import rules.calendrier
import rules.maitres
import rules.remuneration
from rules.calculs import ajouter_mois
from rules.referentiel import PeriodeSmic, Referentiel
from rules.registry import Contexte, Moment, Severite, catalogue

SMIC = (
    PeriodeSmic(date(2024, 1, 1), D("11.65"), D("1766.92"), D("8.80"), D("1334.67")),
    PeriodeSmic(date(2024, 11, 1), D("11.88"), D("1801.80"), D("8.98"), D("1361.97")),
    PeriodeSmic(date(2026, 1, 1), D("12.02"), D("1823.03"), D("9.33"), D("1415.05")),
)
TAUX = {
    "moins_18": (27, 39, 55),
    "18_20": (43, 51, 67),
    "21_25": (53, 61, 78),
    "26_plus": (100,) * 3,
}
GRILLE = {(a + 1, t): D(v[a]) for t, v in TAUX.items() for a in range(3)}
CTX = Contexte(aujourdhui=date(2026, 11, 23), referentiel=Referentiel(smic=SMIC, grille=GRILLE))
B, W = Severite.BLOQUANT, Severite.AVERTISSEMENT
LIGNES = "cerfa.contrat.remunerationsAnnuelles"
MES_MODULES = (rules.age, rules.calendrier, rules.maitres, rules.remuneration)


def resultat(code: str, cerfa: dict) -> list[tuple[str, Severite]]:
    regle = next(r for r in catalogue() if r.code == code)
    return [(v.champ, v.severite) for v in regle.appliquer(cerfa, CTX)]


def periode(ordre: str, debut: str, fin: str, taux: float, type_salaire: str = "SMIC") -> dict:
    return {
        "ordre": ordre,
        "dateDebut": debut,
        "dateFin": fin,
        "taux": taux,
        "typeSalaire": type_salaire,
    }


def test_codes_and_moments():
    codes = {r.code: r.moment for r in catalogue() if r.code.startswith("REM_")}
    assert codes == {
        "REM_PERIODS_COVERAGE": Moment.TRANSMISSION,
        "REM_BELOW_MINIMUM": Moment.INSTRUCTION,
        "REM_BRACKET_CHANGE_LATE": Moment.INSTRUCTION,
        "REM_SMC_NOT_APPLIED": Moment.INSTRUCTION,
        "REM_SALARY_INCONSISTENT": Moment.INSTRUCTION,
        "REM_AVENANT_33_DECREASE": Moment.INSTRUCTION,
        "REM_SUCCESSION_DECREASE": Moment.INSTRUCTION,
    }


@pytest.mark.parametrize("moment", list(Moment))
def test_demo_contract_has_no_blocking_violation(cerfa, moment):
    modules = {m.__name__ for m in MES_MODULES}
    mes_regles = [r for r in catalogue() if r.fonction.__module__ in modules and r.moment == moment]
    bloquants = [v for r in mes_regles for v in r.appliquer(cerfa, CTX) if v.severite == B]
    assert bloquants == []


@pytest.mark.parametrize(
    ("index", "champ", "valeur", "attendu"),
    [
        (1, "dateDebut", "2027-06-02", [(f"{LIGNES}[1].dateDebut", W)]),  # gap of one day
        (1, "dateDebut", "2027-05-31", [(f"{LIGNES}[1].dateDebut", W)]),  # overlap
        (2, "dateFin", "2028-08-30", [(LIGNES, W)]),  # stops short of the contract end
        (2, "dateFin", None, [(f"{LIGNES}[2].dateFin", W)]),
        (2, "ordre", "1.2", [(f"{LIGNES}[2].ordre", W)]),  # duplicate and outside year 1
        (0, "dateDebut", "2026-09-01", []),
    ],
)
def test_periods_tile_the_contract(cerfa, index, champ, valeur, attendu):
    cerfa["contrat"]["remunerationsAnnuelles"][index][champ] = valeur
    assert resultat("REM_PERIODS_COVERAGE", cerfa) == attendu


def test_periods_are_required(cerfa):
    cerfa["contrat"]["remunerationsAnnuelles"] = []
    assert resultat("REM_PERIODS_COVERAGE", cerfa) == [(LIGNES, W)]


def test_one_line_covering_a_390_day_contract_only_warns_and_the_minimum_still_applies(cerfa):
    """Accepted by the OPCOs: a warning at transmission; the year-2 floor is judged at
    instruction by REM_BELOW_MINIMUM (18-20 bracket: 51 % in year 2)."""
    cerfa["contrat"]["dateFinContrat"] = "2027-09-25"
    cerfa["contrat"]["remunerationsAnnuelles"] = [periode("1.1", "2026-09-01", "2027-09-25", 53)]
    assert {s for _, s in resultat("REM_PERIODS_COVERAGE", cerfa)} == {W}
    assert resultat("REM_BELOW_MINIMUM", cerfa) == []
    cerfa["contrat"]["remunerationsAnnuelles"][0]["taux"] = 43
    assert resultat("REM_BELOW_MINIMUM", cerfa) == [(f"{LIGNES}[0].taux", B)]


@st.composite
def contrats_decoupes(draw):
    """A contract and pay periods split at contiguous points, one or two per contract year."""
    debut = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
    fin = ajouter_mois(debut, draw(st.integers(6, 47))) + timedelta(days=draw(st.integers(0, 27)))
    lignes, annee, jour = [], 1, debut
    while jour <= fin:
        fin_annee = min(ajouter_mois(debut, 12 * annee) - timedelta(days=1), fin)
        coupe = jour + timedelta(days=draw(st.integers(0, (fin_annee - jour).days)))
        bornes = [(jour, coupe), (coupe + timedelta(days=1), fin_annee)]
        for n, (d, f) in enumerate((b for b in bornes if b[0] <= b[1]), start=1):
            lignes.append(periode(f"{annee}.{n}", d.isoformat(), f.isoformat(), 100))
        annee, jour = annee + 1, fin_annee + timedelta(days=1)
    return debut, fin, draw(st.permutations(lignes))


@given(contrats_decoupes())
def test_any_contiguous_split_covers_the_contract(decoupe):
    debut, fin, lignes = decoupe
    cerfa = {
        "contrat": {
            "dateDebutContrat": str(debut),
            "dateFinContrat": str(fin),
            "remunerationsAnnuelles": lignes,
        }
    }
    assert resultat("REM_PERIODS_COVERAGE", cerfa) == []
    lignes[0] = {
        **lignes[0],
        "dateFin": str(date.fromisoformat(lignes[0]["dateFin"]) - timedelta(days=1)),
    }
    assert resultat("REM_PERIODS_COVERAGE", cerfa) != []


@pytest.mark.parametrize(
    ("index", "taux", "attendu"),
    [
        (0, 42.99, [(f"{LIGNES}[0].taux", B)]),
        (0, 43, []),
        (1, 52, [(f"{LIGNES}[1].taux", B)]),  # 21-25, 1st year
        (2, 60.9, [(f"{LIGNES}[2].taux", B)]),  # 21-25, 2nd year
        (2, 61, []),
    ],
)
def test_rate_not_below_the_grid(cerfa, index, taux, attendu):
    cerfa["contrat"]["remunerationsAnnuelles"][index]["taux"] = taux
    assert resultat("REM_BELOW_MINIMUM", cerfa) == attendu


def test_a_period_crossing_a_contract_year_uses_the_later_year(cerfa):
    cerfa["contrat"]["remunerationsAnnuelles"][1].update(dateFin="2027-09-30", taux=53)
    assert resultat("REM_BELOW_MINIMUM", cerfa) == [(f"{LIGNES}[1].taux", B)]


def test_fourth_year_uses_third_year_rate(cerfa):
    cerfa["contrat"].update(dateDebutContrat="2023-09-01")
    cerfa["contrat"]["remunerationsAnnuelles"] = [periode("4.1", "2026-09-01", "2027-08-31", 66)]
    assert resultat("REM_BELOW_MINIMUM", cerfa) == [(f"{LIGNES}[0].taux", B)]  # 18-20: 67 %
    cerfa["contrat"]["remunerationsAnnuelles"][0]["taux"] = 67
    assert resultat("REM_BELOW_MINIMUM", cerfa) == []


@pytest.mark.parametrize(
    ("fin_1_1", "taux_1_1", "attendu"),
    [
        ("2027-05-31", 43, []),
        ("2027-06-01", 43, [(f"{LIGNES}[0].dateFin", B)]),  # one day at 43 % instead of 53 %
        ("2027-06-01", 53, [(f"{LIGNES}[0].dateFin", W)]),  # late split but paid enough
    ],
)
def test_bracket_change_on_the_first_of_the_following_month(cerfa, fin_1_1, taux_1_1, attendu):
    lignes = cerfa["contrat"]["remunerationsAnnuelles"]
    lignes[0].update(dateFin=fin_1_1, taux=taux_1_1)
    lignes[1]["dateDebut"] = str(date.fromisoformat(fin_1_1) + timedelta(days=1))
    assert resultat("REM_BRACKET_CHANGE_LATE", cerfa) == attendu


@pytest.mark.parametrize(
    ("smc", "type_salaire", "attendu"),
    [
        (1900, "SMIC", [(f"{LIGNES}[1].typeSalaire", W), (f"{LIGNES}[2].typeSalaire", W)]),
        (1900, "SMC", []),
        (1823.03, "SMIC", []),  # not above the SMIC
        (None, "SMIC", []),
    ],
)
def test_smc_applies_from_21(cerfa, smc, type_salaire, attendu):
    cerfa["contrat"]["smc"] = smc
    for ligne in cerfa["contrat"]["remunerationsAnnuelles"]:
        ligne["typeSalaire"] = type_salaire
    assert resultat("REM_SMC_NOT_APPLIED", cerfa) == attendu


SALAIRE = "cerfa.contrat.salaireEmbauche"


@pytest.mark.parametrize(
    ("salaire", "heures", "code_postal", "attendu"),
    [
        (783.89, 35, "13002", [(SALAIRE, B)]),
        (783.90, 35, "13002", []),  # within 0.01 €
        (784.91, 35, "13002", []),
        (784.92, 35, "13002", [(SALAIRE, W)]),
        (873.48, 39, "13002", [(SALAIRE, B)]),
        (873.49, 39, "13002", []),
        (608.48, 35, "97600", []),  # 43 % of Mayotte's 1 415.05
        (608.46, 35, "97600", [(SALAIRE, B)]),
    ],
)
def test_hiring_salary_matches_first_rate(cerfa, salaire, heures, code_postal, attendu):
    cerfa["contrat"].update(salaireEmbauche=salaire, dureeTravailHebdoHeures=heures)
    cerfa["employeur"]["adresse"]["codePostal"] = code_postal
    assert resultat("REM_SALARY_INCONSISTENT", cerfa) == attendu
