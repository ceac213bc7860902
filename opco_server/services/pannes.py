"""Fault injection settings per OPCO (control API and console), read on every request of
that OPCO: latency, error rate, quota (429), maintenance window (503)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest
from opco_server.horloge import aware
from opco_server.models import Panne
from opco_server.services.horloge import lire_instant

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

# Field -> its name on the wire (spec/sandbox.yaml, Pannes).
CHAMPS = {
    "latence_ms": "latenceMs",
    "taux_erreur": "tauxErreur",
    "quota_par_minute": "quotaParMinute",
    "retry_after": "retryAfter",
    "maintenance_debut": "maintenanceDebut",
    "maintenance_fin": "maintenanceFin",
}
# Bounds of the numeric fields (the control API's schema says the same).
BORNES = {
    "latence_ms": (0, 60_000),
    "taux_erreur": (0, 1),
    "quota_par_minute": (1, 1_000_000),
    "retry_after": (1, 86_400),
}


def lire(sandbox: Sandbox, opco_id: str) -> Panne | None:
    with sandbox.session(lecture=True) as session:
        panne = session.get(Panne, opco_id)
        if panne is not None:
            session.expunge(panne)
        return panne


def toutes(sandbox: Sandbox) -> Mapping[str, Panne]:
    """Every OPCO's faults, by OPCO id (from this request's copy of the shared state)."""
    return sandbox.etat.courant().pannes


def depuis_json(corps: dict[str, Any]) -> dict[str, Any]:
    """The fields a request names (wire names), its instants read; the others stay as they are."""
    valeurs = {champ: corps[nom] for champ, nom in CHAMPS.items() if nom in corps}
    for champ in ("maintenance_debut", "maintenance_fin"):
        if champ in valeurs:
            valeurs[champ] = lire_instant(valeurs[champ], CHAMPS[champ])
    return valeurs


def _verifier(valeurs: dict[str, Any]) -> None:
    for champ, (bas, haut) in BORNES.items():
        if champ not in valeurs or (champ == "quota_par_minute" and valeurs[champ] is None):
            continue  # unchanged, or no quota
        valeur = valeurs[champ]
        if (
            isinstance(valeur, bool)
            or not isinstance(valeur, int | float)
            or not bas <= valeur <= haut
        ):
            raise BadRequest.one(
                "FAULT_VALUE_OUT_OF_RANGE",
                f"« {CHAMPS[champ]} » doit être un nombre entre {bas} et {haut}.",
                CHAMPS[champ],
            )


def regler(session: Session, opco_id: str, valeurs: dict[str, Any]) -> Panne:
    """Set the named fields (see CHAMPS) of this OPCO's faults; 400 when a value is out of
    bounds."""
    _verifier(valeurs)
    panne = session.get(Panne, opco_id) or Panne(
        opco_id=opco_id, latence_ms=0, taux_erreur=0.0, retry_after=30
    )
    for champ in CHAMPS:
        if champ in valeurs:
            setattr(panne, champ, valeurs[champ])
    session.merge(panne)
    session.flush()
    return panne


def supprimer(session: Session, opco_id: str) -> None:
    panne = session.get(Panne, opco_id)
    if panne is not None:
        session.delete(panne)
        session.flush()


def en_json(opco_id: str, panne: Panne | None) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return aware(value).isoformat(timespec="seconds") if value else None

    return {
        "opco": opco_id,
        "latenceMs": panne.latence_ms if panne else 0,
        "tauxErreur": panne.taux_erreur if panne else 0.0,
        "quotaParMinute": panne.quota_par_minute if panne else None,
        "retryAfter": panne.retry_after if panne else 30,
        "maintenanceDebut": iso(panne.maintenance_debut) if panne else None,
        "maintenanceFin": iso(panne.maintenance_fin) if panne else None,
    }
