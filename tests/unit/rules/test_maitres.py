"""Maître d'apprentissage rules (rules.md 5.5): triggering and just-inside cases."""

from __future__ import annotations

from datetime import date

import pytest

import rules.maitres  # noqa: F401  (registers the rules)
from rules.cycle_de_vie import Etat
from rules.referentiel import Referentiel
from rules.registry import Contexte, DossierActif, Moment, Severite, catalogue

CTX = Contexte(aujourdhui=date(2026, 11, 23), referentiel=Referentiel())
B, W = Severite.BLOQUANT, Severite.AVERTISSEMENT
DURAND = ("DURAND", "Paul", date(1978, 12, 3))
CODES = {
    "MA_MISSING": Moment.TRANSMISSION,
    "MA_INCOMPLETE": Moment.TRANSMISSION,
    "MA_UNDER_18": Moment.INSTRUCTION,
    "MA_ATTESTATION_MISSING": Moment.INSTRUCTION,
    "MA_LEVEL_BELOW_TARGET": Moment.INSTRUCTION,
    "MA_CAPACITY_EXCEEDED": Moment.INSTRUCTION,
    "MA_IS_APPRENTICE": Moment.INSTRUCTION,
}


def resultat(code: str, cerfa: dict, ctx: Contexte = CTX) -> list[tuple[str, Severite]]:
    regle = next(r for r in catalogue() if r.code == code)
    return [(v.champ, v.severite) for v in regle.appliquer(cerfa, ctx)]


def dossier(
    n: int, maitre=DURAND, debut="2025-09-01", fin="2027-08-31", type_contrat=11, etat="ENGAGE"
):
    return DossierActif(
        numero_interne=f"D{n}",
        etat=etat,
        maitres=(maitre,),
        date_debut_contrat=date.fromisoformat(debut) if debut else None,
        date_fin_contrat=date.fromisoformat(fin) if fin else None,
        type_contrat_app=type_contrat,
    )


def test_codes_and_moments():
    assert {r.code: r.moment for r in catalogue() if r.code in CODES} == CODES


@pytest.mark.parametrize(
    ("champs", "attendu"),
    [
        ({"nom": "  "}, [("cerfa.maitre1.nom", B)]),
        ({"nom": "", "prenom": ""}, [("cerfa.maitre1.nom", B), ("cerfa.maitre1.prenom", B)]),
        ({"prenom": "P"}, []),
    ],
)
def test_maitre1_identity_is_filled(cerfa, champs, attendu):
    cerfa["maitre1"].update(champs)
    assert resultat("MA_MISSING", cerfa) == attendu


def test_maitre1_absent(cerfa):
    cerfa["maitre1"] = None
    assert len(resultat("MA_MISSING", cerfa)) == 3


@pytest.mark.parametrize(
    ("maitre2", "attendu"),
    [
        (
            {"nom": "ROUX", "prenom": "", "dateNaissance": "1980-01-01"},
            [("cerfa.maitre2.prenom", B)],
        ),
        (
            {"nom": "", "prenom": "", "courriel": "x@y.fr"},
            [
                ("cerfa.maitre2.nom", B),
                ("cerfa.maitre2.prenom", B),
                ("cerfa.maitre2.dateNaissance", B),
            ],
        ),
        ({"nom": "ROUX", "prenom": "Ana", "dateNaissance": "1980-01-01"}, []),
        ({"nom": "", "prenom": ""}, []),
        (None, []),
    ],
)
def test_maitre2_empty_or_complete(cerfa, maitre2, attendu):
    cerfa["maitre2"] = maitre2
    assert resultat("MA_INCOMPLETE", cerfa) == attendu


@pytest.mark.parametrize(
    ("maitre", "naissance", "attendu"),
    [
        ("maitre1", "2008-09-02", [("cerfa.maitre1.dateNaissance", B)]),
        ("maitre1", "2008-09-01", []),
        ("maitre2", "2008-09-02", [("cerfa.maitre2.dateNaissance", B)]),
    ],
)
def test_maitre_is_of_age_at_contract_start(cerfa, maitre, naissance, attendu):
    cerfa["maitre2"] = {"nom": "ROUX", "prenom": "Ana", "dateNaissance": "1980-01-01"}
    cerfa[maitre]["dateNaissance"] = naissance
    assert resultat("MA_UNDER_18", cerfa) == attendu


@pytest.mark.parametrize(
    ("attestation", "attendu"),
    [
        (None, [("cerfa.employeur.attestationEligibilite", B)]),
        (False, [("cerfa.employeur.attestationEligibilite", B)]),
        (True, []),
    ],
)
def test_employer_attests_maitre_eligibility(cerfa, attestation, attendu):
    cerfa["employeur"]["attestationEligibilite"] = attestation
    assert resultat("MA_ATTESTATION_MISSING", cerfa) == attendu


@pytest.mark.parametrize(
    ("niveau", "diplome_vise", "attendu"),
    [
        (4, 54, [("cerfa.maitre1.niveauDiplomeObtenu", W)]),
        (5, 54, []),
        (0, 33, [("cerfa.maitre1.niveauDiplomeObtenu", W)]),
        (6, 62, []),
        (None, 54, []),
    ],
)
def test_maitre_level_below_target(cerfa, niveau, diplome_vise, attendu):
    cerfa["maitre1"]["niveauDiplomeObtenu"] = niveau
    cerfa["formation"]["typeDiplome"] = diplome_vise
    assert resultat("MA_LEVEL_BELOW_TARGET", cerfa) == attendu


CAPACITE = [("cerfa.maitre1.nom", W)]


@pytest.mark.parametrize(
    ("autres", "attendu"),
    [
        ([dossier(1), dossier(2)], CAPACITE),
        ([dossier(1)], []),
        ([dossier(1), dossier(2, maitre=("Durand", "Paul", date(1978, 12, 4)))], []),
        ([dossier(1), dossier(2, maitre=("durand ", "PAUL", date(1978, 12, 3)))], CAPACITE),
        ([dossier(1), dossier(2, fin="2026-08-31")], []),  # ended before this contract
        ([dossier(1), dossier(2, fin=None)], CAPACITE),
        ([dossier(1), dossier(2, etat="REFUSE")], []),
        ([dossier(1), dossier(2, type_contrat=33)], []),  # +1 for a prolongation
        ([dossier(1), dossier(2, type_contrat=33), dossier(3)], CAPACITE),
    ],
)
def test_maitre_capacity(cerfa, autres, attendu):
    ctx = Contexte(aujourdhui=CTX.aujourdhui, referentiel=Referentiel(), dossiers_actifs=autres)
    assert resultat("MA_CAPACITY_EXCEEDED", cerfa, ctx) == attendu


@pytest.mark.parametrize("etat", list(Etat))
def test_only_running_contracts_take_the_maitre(cerfa, etat):
    """A maître is taken by a contract received, under instruction or engaged; a refused,
    cancelled, broken-off (RUPTURE, once misspelt RUPTU beside it) or solded one frees him."""
    ctx = Contexte(
        aujourdhui=CTX.aujourdhui,
        referentiel=Referentiel(),
        dossiers_actifs=[dossier(1), dossier(2, etat=etat)],
    )
    occupe = etat in (Etat.TRANSMIS, Etat.EN_COURS_INSTRUCTION, Etat.ENGAGE)
    assert resultat("MA_CAPACITY_EXCEEDED", cerfa, ctx) == (
        [("cerfa.maitre1.nom", W)] if occupe else []
    )


def test_capacity_severity_is_configurable(cerfa):
    ctx = Contexte(
        aujourdhui=CTX.aujourdhui,
        referentiel=Referentiel(),
        severites={"MA_CAPACITY_EXCEEDED": B},
        dossiers_actifs=[dossier(1), dossier(2)],
    )
    assert resultat("MA_CAPACITY_EXCEEDED", cerfa, ctx) == [("cerfa.maitre1.nom", B)]


@pytest.mark.parametrize(
    ("naissance", "attendu"), [("1978-12-03", [("cerfa.maitre1.nom", B)]), ("1978-12-04", [])]
)
def test_maitre_is_not_the_apprentice(cerfa, naissance, attendu):
    cerfa["apprenti"].update(nom="Durand", prenom="PAUL", dateNaissance=naissance)
    assert resultat("MA_IS_APPRENTICE", cerfa) == attendu


def test_demo_contract_has_no_maitre_violation(cerfa):
    assert [v for code in CODES for v in resultat(code, cerfa)] == []
