"""Dates, durations and working time (rules.md 5.4): triggering and just-inside cases."""

from __future__ import annotations

from datetime import date

import pytest

import rules.calendrier  # noqa: F401  (registers the rules)
from rules.referentiel import Referentiel
from rules.registry import Contexte, Moment, Severite, catalogue

CTX = Contexte(aujourdhui=date(2026, 11, 23), referentiel=Referentiel())
B, W = Severite.BLOQUANT, Severite.AVERTISSEMENT
FIN = "cerfa.contrat.dateFinContrat"
CODES = {
    "DATE_END_BEFORE_START": Moment.TRANSMISSION,
    "DATE_SIGNATURE_AFTER_START": Moment.TRANSMISSION,
    "DATE_AVENANT_EFFECT": Moment.TRANSMISSION,
    "CONTRACT_PREVIOUS_MISSING": Moment.TRANSMISSION,
    "WORK_HOURS_MAX": Moment.TRANSMISSION,
    "DUR_TOO_SHORT": Moment.INSTRUCTION,
    "DUR_TOO_LONG": Moment.INSTRUCTION,
    "DATE_PRACTICAL_START_WINDOW": Moment.INSTRUCTION,
    "DATE_CFA_START_LATE": Moment.INSTRUCTION,
    "DATE_CFA_START_EARLY": Moment.INSTRUCTION,
    "DATE_END_BEFORE_EXAMS": Moment.INSTRUCTION,
    "DATE_END_AFTER_EXAMS": Moment.INSTRUCTION,
    "DATE_TRAINING_SPAN": Moment.INSTRUCTION,
    "DUR_TRAINING_HOURS_25PCT": Moment.INSTRUCTION,
}


def resultat(code: str, cerfa: dict) -> list[tuple[str, Severite]]:
    regle = next(r for r in catalogue() if r.code == code)
    return [(v.champ, v.severite) for v in regle.appliquer(cerfa, CTX)]


def avec(cerfa: dict, bloc: str = "contrat", **champs) -> dict:
    cerfa[bloc].update(champs)
    return cerfa


def test_codes_and_moments():
    assert {r.code: r.moment for r in catalogue() if r.code in CODES} == CODES


@pytest.mark.parametrize(("fin", "attendu"), [("2026-09-01", [(FIN, B)]), ("2026-09-02", [])])
def test_end_after_start(cerfa, fin, attendu):
    assert resultat("DATE_END_BEFORE_START", avec(cerfa, dateFinContrat=fin)) == attendu


@pytest.mark.parametrize(
    ("conclusion", "type_contrat", "attendu"),
    [
        ("2026-09-02", 11, [("cerfa.contrat.dateConclusion", B)]),
        ("2026-09-01", 22, []),
        ("2026-09-02", 36, []),  # avenants are signed during the contract
    ],
)
def test_signature_not_after_start(cerfa, conclusion, type_contrat, attendu):
    cerfa = avec(cerfa, dateConclusion=conclusion, typeContratApp=type_contrat)
    assert resultat("DATE_SIGNATURE_AFTER_START", cerfa) == attendu


EFFET = "cerfa.contrat.dateEffetAvenant"


@pytest.mark.parametrize(
    ("type_contrat", "effet", "attendu"),
    [
        (36, None, [(EFFET, B)]),
        (36, "", [(EFFET, B)]),
        (36, "2028-09-01", [(EFFET, B)]),
        (36, "2026-08-31", [(EFFET, B)]),
        (36, "2028-08-31", []),
        (36, "2026-09-01", []),
        (38, None, []),
        (38, "2028-09-01", [(EFFET, B)]),
        (11, None, []),
    ],
)
def test_avenant_effect_date(cerfa, type_contrat, effet, attendu):
    cerfa = avec(cerfa, typeContratApp=type_contrat, dateEffetAvenant=effet)
    assert resultat("DATE_AVENANT_EFFECT", cerfa) == attendu


PRECEDENT = "cerfa.contrat.numeroContratPrecedent"


@pytest.mark.parametrize(
    ("type_contrat", "numero", "attendu"),
    [
        (31, "", [(PRECEDENT, B)]),
        (37, None, [(PRECEDENT, B)]),
        (22, "", [(PRECEDENT, W)]),
        (38, None, [(PRECEDENT, W)]),
        (33, "075202609000123", []),
        (11, "", []),
    ],
)
def test_previous_contract_number(cerfa, type_contrat, numero, attendu):
    cerfa = avec(cerfa, typeContratApp=type_contrat, numeroContratPrecedent=numero)
    assert resultat("CONTRACT_PREVIOUS_MISSING", cerfa) == attendu


HEURES = "cerfa.contrat.dureeTravailHebdoHeures"


@pytest.mark.parametrize(
    ("heures", "minutes", "naissance", "attendu"),
    [
        (40, 1, "2006-05-14", [(HEURES, B)]),
        (40, 0, "2006-05-14", [(HEURES, W)]),
        (35, 1, "2006-05-14", [(HEURES, W)]),
        (35, 0, "2006-05-14", []),
        (35, 30, "2009-01-01", [(HEURES, W)]),  # minor
        (30, 60, "2006-05-14", [(HEURES, B)]),
    ],
)
def test_weekly_working_time(cerfa, heures, minutes, naissance, attendu):
    cerfa["apprenti"]["dateNaissance"] = naissance
    cerfa = avec(cerfa, dureeTravailHebdoHeures=heures, dureeTravailHebdoMinutes=minutes)
    assert resultat("WORK_HOURS_MAX", cerfa) == attendu


@pytest.mark.parametrize(
    ("fin", "derogation", "situation", "attendu"),
    [
        ("2027-02-27", None, 1, [(FIN, B)]),
        ("2027-02-28", None, 1, []),
        ("2027-02-27", 21, 1, [(FIN, W)]),
        ("2027-02-27", None, 8, [(FIN, W)]),
    ],
)
def test_contract_too_short(cerfa, fin, derogation, situation, attendu):
    cerfa = avec(cerfa, dateFinContrat=fin, typeDerogation=derogation)
    cerfa["apprenti"]["situationAvantContrat"] = situation
    assert resultat("DUR_TOO_SHORT", cerfa) == attendu


@pytest.mark.parametrize(
    ("fin", "handicap", "type_contrat", "attendu"),
    [
        ("2029-09-01", False, 11, [(FIN, B)]),
        ("2029-08-31", False, 11, []),
        ("2029-09-01", True, 11, []),
        ("2030-08-31", False, 33, []),
        ("2030-09-01", True, 34, [(FIN, B)]),
    ],
)
def test_contract_too_long(cerfa, fin, handicap, type_contrat, attendu):
    cerfa = avec(cerfa, dateFinContrat=fin, typeContratApp=type_contrat)
    cerfa["apprenti"]["handicap"] = handicap
    assert resultat("DUR_TOO_LONG", cerfa) == attendu


PRATIQUE = "cerfa.contrat.dateDebutFormationPratique"


@pytest.mark.parametrize(
    ("cle", "pratique", "attendu"),
    [
        ("dateDebutFormationPratique", "2026-12-02", [(PRATIQUE, B)]),
        ("dateDebutFormationPratique", "2026-12-01", []),
        ("dateDebutFormationPratique", "2026-08-31", [(PRATIQUE, B)]),
        (
            "dateFormationPratiqueEmployeur",
            "2026-12-02",
            [("cerfa.contrat.dateFormationPratiqueEmployeur", B)],
        ),
    ],
)
def test_practical_training_start_window(cerfa, cle, pratique, attendu):
    del cerfa["contrat"]["dateDebutFormationPratique"]
    assert resultat("DATE_PRACTICAL_START_WINDOW", avec(cerfa, **{cle: pratique})) == attendu


def test_practical_training_starts_before_contract_end(cerfa):
    cerfa = avec(cerfa, dateFinContrat="2026-10-01", dateDebutFormationPratique="2026-10-02")
    assert resultat("DATE_PRACTICAL_START_WINDOW", cerfa) == [(PRATIQUE, B)]


CFA = "cerfa.formation.dateDebutFormation"


@pytest.mark.parametrize(("debut", "attendu"), [("2026-12-02", [(CFA, B)]), ("2026-12-01", [])])
def test_cfa_start_late(cerfa, debut, attendu):
    assert (
        resultat("DATE_CFA_START_LATE", avec(cerfa, "formation", dateDebutFormation=debut))
        == attendu
    )


@pytest.mark.parametrize(("debut", "attendu"), [("2026-05-31", [(CFA, W)]), ("2026-06-01", [])])
def test_cfa_start_early(cerfa, debut, attendu):
    assert (
        resultat("DATE_CFA_START_EARLY", avec(cerfa, "formation", dateDebutFormation=debut))
        == attendu
    )


@pytest.mark.parametrize(("examens", "attendu"), [("2028-09-01", [(FIN, B)]), ("2028-08-31", [])])
def test_contract_ends_after_exams(cerfa, examens, attendu):
    cerfa = avec(cerfa, "formation", dateFinFormation=examens)
    assert resultat("DATE_END_BEFORE_EXAMS", cerfa) == attendu


@pytest.mark.parametrize(
    ("fin", "attendu"),
    [
        ("2028-10-01", [(FIN, B)]),
        ("2028-09-30", [(FIN, W)]),
        ("2028-08-31", [(FIN, W)]),
        ("2028-08-30", []),
    ],
)
def test_contract_end_margin_after_exams(cerfa, fin, attendu):
    cerfa["formation"]["dateFinFormation"] = "2028-06-30"
    assert resultat("DATE_END_AFTER_EXAMS", avec(cerfa, dateFinContrat=fin)) == attendu


@pytest.mark.parametrize(
    ("debut", "fin", "attendu"),
    [
        ("2026-09-07", "2027-03-05", [("cerfa.formation.dateFinFormation", W)]),
        ("2026-09-07", "2027-03-06", []),
        ("2026-09-07", "2030-09-06", []),
        ("2026-09-07", "2030-09-07", [("cerfa.formation.dateFinFormation", W)]),
    ],
)
def test_training_span(cerfa, debut, fin, attendu):
    cerfa = avec(cerfa, "formation", dateDebutFormation=debut, dateFinFormation=fin)
    assert resultat("DATE_TRAINING_SPAN", cerfa) == attendu


@pytest.mark.parametrize(
    ("heures", "attendu"), [(804, [("cerfa.formation.dureeFormation", W)]), (805, [])]
)
def test_training_hours_at_least_a_quarter(cerfa, heures, attendu):
    # 731 days (2026-09-01 → 2028-08-31): 1607 × 731 / 365 / 4 = 804.6 h
    assert (
        resultat("DUR_TRAINING_HOURS_25PCT", avec(cerfa, "formation", dureeFormation=heures))
        == attendu
    )


def test_demo_contract_is_clean(cerfa):
    found = [(code, *v) for code in CODES for v in resultat(code, cerfa)]
    assert found == []
