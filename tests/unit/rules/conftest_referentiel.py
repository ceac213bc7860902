"""Shared helpers for the identifier / eligibility / referential tests (imported explicitly)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import rules.eligibilite
import rules.formats
import rules.identifiants  # noqa: F401  (registration)
from opco_server.donnees.referentiel import charger_referentiel
from rules.referentiel import Referentiel
from rules.registry import Contexte, Moment, Violation, catalogue, evaluer

ROOT = Path(__file__).resolve().parents[3]
REFERENTIEL = charger_referentiel(ROOT / "fixtures")
MODULES = {"rules.identifiants", "rules.formats", "rules.eligibilite"}
CODES = frozenset(r.code for r in catalogue() if r.fonction.__module__ in MODULES)
AUJOURDHUI = date(2026, 11, 23)
RECEPTION = date(2026, 8, 25)


def contexte(referentiel: Referentiel = REFERENTIEL, **changes: object) -> Contexte:
    """The demo context: sandbox date 2026-11-23, received 2026-08-25, OPCO akto."""
    base = Contexte(
        aujourdhui=AUJOURDHUI, referentiel=referentiel, opco_id="akto", date_reception=RECEPTION
    )
    return replace(base, **changes)


def nos_violations(
    cerfa: dict, ctx: Contexte | None = None, moment: Moment | None = None
) -> list[Violation]:
    """Violations of the three modules under test only."""
    return [v for v in evaluer(cerfa, ctx or contexte(), moment) if v.code in CODES]


def champs(cerfa: dict, code: str, ctx: Contexte | None = None) -> list[str]:
    """Fields flagged by rule `code`."""
    return [v.champ for v in evaluer(cerfa, ctx or contexte()) if v.code == code]
