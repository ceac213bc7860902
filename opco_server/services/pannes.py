"""Fault injection settings per OPCO (control API), read on every request of that OPCO."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.clock import aware
from opco_server.models import Panne

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

CHAMPS = (
    "latence_ms",
    "taux_erreur",
    "quota_par_minute",
    "retry_after",
    "maintenance_debut",
    "maintenance_fin",
)


def lire(sandbox: Sandbox, opco_id: str) -> Panne | None:
    with sandbox.session(lecture=True) as session:
        panne = session.get(Panne, opco_id)
        if panne is not None:
            session.expunge(panne)
        return panne


def regler(session: Session, opco_id: str, valeurs: dict[str, Any]) -> Panne:
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
