"""REM_AVENANT_33_DECREASE and REM_SUCCESSION_DECREASE: rates compared with the contract that
a new one amends or follows (numeroContratPrecedent, as the OPCO holds it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from opco_server.donnees.referentiel import charger_referentiel
from rules.registry import Contexte, ContratPrecedent, Moment, evaluer

REFERENTIEL = charger_referentiel(Path(__file__).resolve().parents[3] / "fixtures")
DECA = "013202609000001"


def _ctx(dernier_taux: str | None) -> Contexte:
    precedent = (
        None
        if dernier_taux is None
        else ContratPrecedent(DECA, 11, date(2026, 8, 31), Decimal(dernier_taux))
    )
    return Contexte(
        aujourdhui=date(2026, 11, 23),
        referentiel=REFERENTIEL,
        opco_id="akto",
        contrat_precedent=precedent,
    )


def _codes(cerfa: dict, ctx: Contexte) -> dict[str, tuple[str, str]]:
    return {
        v.code: (v.champ, v.severite.value)
        for v in evaluer(cerfa, ctx, Moment.INSTRUCTION)
        if v.code in {"REM_AVENANT_33_DECREASE", "REM_SUCCESSION_DECREASE"}
    }


def _avec(cerfa: dict, type_contrat: int, taux: int) -> dict:
    cerfa["contrat"]["typeContratApp"] = type_contrat
    cerfa["contrat"]["numeroContratPrecedent"] = DECA
    cerfa["contrat"]["remunerationsAnnuelles"][0]["taux"] = taux
    return cerfa


@pytest.mark.parametrize(("taux", "attendu"), [(44, True), (45, False), (60, False)])
def test_avenant_33_may_not_lower_the_rate(cerfa, taux, attendu):
    found = _codes(_avec(cerfa, 33, taux), _ctx("45"))
    assert ("REM_AVENANT_33_DECREASE" in found) is attendu
    if attendu:
        assert found["REM_AVENANT_33_DECREASE"] == (
            "cerfa.contrat.remunerationsAnnuelles[0].taux",
            "bloquant",
        )


def test_avenant_33_without_a_known_previous_contract_is_not_judged(cerfa):
    assert _codes(_avec(cerfa, 33, 10), _ctx(None)) == {}


@pytest.mark.parametrize(("taux", "attendu"), [(50, True), (51, False)])
def test_successive_contract_keeps_the_last_rate(cerfa, taux, attendu):
    # Apprentice aged 20 at the start: the age-based minimum (43 %) is below the previous 51 %.
    found = _codes(_avec(cerfa, 22, taux), _ctx("51"))
    assert ("REM_SUCCESSION_DECREASE" in found) is attendu
    if attendu:
        assert found["REM_SUCCESSION_DECREASE"][1] == "avertissement"


def test_succession_is_fine_when_the_age_minimum_is_higher(cerfa):
    # Previous last rate 40 % (<= the 43 % minimum for an 18-20 year-old): no warning at 43 %.
    assert _codes(_avec(cerfa, 21, 43), _ctx("40")) == {}


def test_other_contract_types_are_not_concerned(cerfa):
    assert _codes(_avec(cerfa, 11, 10), _ctx("90")) == {}
