"""Age rules (rules.md 5.3): one triggering case and one just-inside case per code."""

from __future__ import annotations

from datetime import date

import pytest

import rules.age  # noqa: F401  (registers the rules)
from rules.referentiel import Referentiel
from rules.registry import Contexte, Moment, Severite, catalogue

CTX = Contexte(aujourdhui=date(2026, 11, 23), referentiel=Referentiel())
B, W = Severite.BLOQUANT, Severite.AVERTISSEMENT
NAISSANCE = "cerfa.apprenti.dateNaissance"


def verifier(code: str, cerfa: dict, ctx: Contexte = CTX):
    regle = next(r for r in catalogue() if r.code == code)
    return regle.appliquer(cerfa, ctx)


def resultat(code: str, cerfa: dict) -> list[tuple[str, Severite]]:
    return [(v.champ, v.severite) for v in verifier(code, cerfa)]


def ne_le(cerfa: dict, naissance: str, **apprenti) -> dict:
    cerfa["apprenti"].update(dateNaissance=naissance, **apprenti)
    return cerfa


def test_moments_follow_the_brief():
    moments = {r.code: r.moment for r in catalogue() if r.code.startswith("AGE_")}
    transmission = {c for c, m in moments.items() if m == Moment.TRANSMISSION}
    assert transmission == {"AGE_BIRTHDATE_FUTURE", "AGE_MINOR_NO_REPRESENTATIVE"}
    assert len(moments) == 9


@pytest.mark.parametrize(
    ("naissance", "attendu"), [("2026-11-24", [(NAISSANCE, B)]), ("2026-11-23", [])]
)
def test_birthdate_in_the_future(cerfa, naissance, attendu):
    assert resultat("AGE_BIRTHDATE_FUTURE", ne_le(cerfa, naissance)) == attendu


@pytest.mark.parametrize(
    ("naissance", "attendu"), [("2011-09-02", [(NAISSANCE, B)]), ("2011-09-01", [])]
)
def test_under_15_at_contract_start(cerfa, naissance, attendu):
    assert resultat("AGE_UNDER_15", ne_le(cerfa, naissance)) == attendu


@pytest.mark.parametrize(
    ("classe", "diplome", "derogation", "attendu"),
    [
        (41, 25, 11, [("cerfa.apprenti.derniereClasse", B)]),
        (None, None, 11, [("cerfa.apprenti.derniereClasse", B)]),
        (40, 13, None, [("cerfa.contrat.typeDerogation", W)]),
        (40, 13, 11, []),
        (None, 25, 50, []),
    ],
)
def test_15_year_old_needs_college_and_derogation(cerfa, classe, diplome, derogation, attendu):
    ne_le(cerfa, "2011-09-01", derniereClasse=classe, diplome=diplome)
    cerfa["contrat"]["typeDerogation"] = derogation
    assert resultat("AGE_15_WITHOUT_COLLEGE", cerfa) == attendu


def test_16_year_old_needs_nothing(cerfa):
    ne_le(cerfa, "2010-09-01", derniereClasse=41)
    assert resultat("AGE_15_WITHOUT_COLLEGE", cerfa) == []


@pytest.mark.parametrize(
    ("naissance", "type_contrat", "derogation", "declaration", "attendu"),
    [
        ("1996-09-01", 11, None, None, [(NAISSANCE, B)]),
        ("1996-09-02", 11, None, None, []),  # 29 the day the contract starts
        ("1996-09-01", 11, None, "handicap", []),
        ("1996-09-01", 22, 12, None, []),  # succession exception
        ("1996-09-01", 11, 12, None, [(NAISSANCE, B)]),  # derogation without succession
        ("1990-08-21", 22, 12, None, []),  # 35 at conclusion: succession still possible
        ("1990-08-20", 11, None, None, []),  # 36 at conclusion: AGE_OVER_35 reports it
    ],
)
def test_over_29_needs_an_exception(
    cerfa, naissance, type_contrat, derogation, declaration, attendu
):
    ne_le(cerfa, naissance, **({declaration: True} if declaration else {}))
    cerfa["contrat"].update(typeContratApp=type_contrat, typeDerogation=derogation)
    assert resultat("AGE_OVER_29_NO_EXCEPTION", cerfa) == attendu


@pytest.mark.parametrize(
    ("naissance", "type_contrat", "attendu"),
    [
        ("1996-09-01", 23, [("cerfa.contrat.typeContratApp", W)]),
        ("1990-08-21", 23, [("cerfa.contrat.typeContratApp", W)]),  # 35 at conclusion
        ("1990-08-20", 23, []),  # 36 at conclusion
        ("1996-09-02", 23, []),  # 29
        ("1996-09-01", 11, []),
    ],
)
def test_over_29_succession_needs_proof(cerfa, naissance, type_contrat, attendu):
    ne_le(cerfa, naissance)
    cerfa["contrat"].update(typeContratApp=type_contrat, typeDerogation=12)
    assert resultat("AGE_OVER_29_NEEDS_PROOF", cerfa) == attendu


@pytest.mark.parametrize(
    ("naissance", "declaration", "attendu"),
    [
        ("1990-08-20", None, [(NAISSANCE, B)]),  # 36 on dateConclusion 2026-08-20
        ("1990-08-21", None, []),
        ("1970-01-01", "inscriptionSportifDeHautNiveau", []),
        ("1970-01-01", "projetCreationRepriseEntreprise", []),
    ],
)
def test_over_35(cerfa, naissance, declaration, attendu):
    ne_le(cerfa, naissance, **({declaration: True} if declaration else {}))
    assert resultat("AGE_OVER_35", cerfa) == attendu


@pytest.mark.parametrize(
    ("naissance", "handicap", "attendu"),
    [
        ("1996-09-01", False, [("cerfa.apprenti.projetCreationRepriseEntreprise", W)]),
        ("1996-09-02", False, []),
        ("1996-09-01", True, []),
    ],
)
def test_creation_project_needs_a_sworn_statement(cerfa, naissance, handicap, attendu):
    ne_le(cerfa, naissance, projetCreationRepriseEntreprise=True, handicap=handicap)
    assert resultat("AGE_CREATION_ATTESTATION", cerfa) == attendu


@pytest.mark.parametrize(
    ("naissance", "derogation", "attendu"),
    [
        ("2010-09-01", 11, [("cerfa.contrat.typeDerogation", B)]),
        ("2010-09-02", 11, []),
        ("1996-09-02", 12, [("cerfa.contrat.typeDerogation", B)]),
        ("1996-09-01", 12, []),
        ("2010-09-01", 50, []),
    ],
)
def test_age_derogation_matches_age(cerfa, naissance, derogation, attendu):
    ne_le(cerfa, naissance)
    cerfa["contrat"]["typeDerogation"] = derogation
    assert resultat("AGE_DEROGATION_INCONSISTENT", cerfa) == attendu


REPRESENTANT = "cerfa.apprenti.responsableLegal"


@pytest.mark.parametrize(
    ("naissance", "non_emancipe", "responsable", "attendu"),
    [
        ("2008-08-21", None, None, [(REPRESENTANT, B)]),  # 17 at conclusion 2026-08-20
        ("2008-08-21", True, {"nom": "MARTIN", "prenom": ""}, [(REPRESENTANT, B)]),
        ("2008-08-20", None, None, []),  # 18 on the day of conclusion
        ("2008-08-21", False, None, []),  # emancipated
        ("2008-08-21", True, {"nom": "MARTIN", "prenom": "Anne"}, []),
    ],
)
def test_minor_needs_a_legal_representative(cerfa, naissance, non_emancipe, responsable, attendu):
    ne_le(cerfa, naissance, apprentiMineurNonEmancipe=non_emancipe, responsableLegal=responsable)
    assert resultat("AGE_MINOR_NO_REPRESENTATIVE", cerfa) == attendu


def test_demo_contract_has_no_age_violation(cerfa):
    codes = [r.code for r in catalogue() if r.code.startswith("AGE_")]
    assert [v for c in codes for v in verifier(c, cerfa)] == []
