"""Applying the lifecycle table to a dossier: one place, always with its history event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from opco_server.errors import ErrorItem, NormError
from opco_server.models import Dossier, EvenementDossier
from rules.cycle_de_vie import (
    TERMINAUX,
    Etat,
    Evenement,
    TransitionInterdite,
    evenement_vers,
    prochain_etat,
)


class Conflict(NormError):
    status = 409


def transition_interdite(exc: TransitionInterdite) -> Conflict:
    return Conflict.one(
        "STA_TRANSITION_ILLEGAL",
        f"Transition impossible : « {exc.evenement.value} » depuis l'état {exc.etat.value}.",
        "etat",
    )


def appliquer(
    session: Session,
    dossier: Dossier,
    evenement: Evenement,
    *,
    at: datetime,
    cause: str,
    acteur: str,
) -> Etat:
    """Move the dossier along the table (or raise Conflict) and record why, when and by whom."""
    try:
        nouveau = prochain_etat(dossier.etat, evenement)
    except TransitionInterdite as exc:
        raise transition_interdite(exc) from exc
    dossier.evenements.append(
        EvenementDossier(
            horodatage=at,
            etat_avant=dossier.etat,
            etat_apres=nouveau.value,
            cause=cause,
            acteur=acteur,
        )
    )
    dossier.etat = nouveau.value
    dossier.maj_le = at
    if nouveau in (Etat.REFUSE, Etat.ANNULE):
        # A refused or cancelled contract no longer blocks a corrected transmission.
        dossier.cle_doublon = None
    if nouveau in TERMINAUX:
        dossier.prochaine_action = dossier.prochaine_action_le = None
    session.flush()
    return nouveau


def evenement_pour(dossier: Dossier, cible: str) -> Evenement:
    """The event that forces `dossier` into `cible`, or Conflict when the table forbids it."""
    try:
        etat_cible = Etat(cible)
    except ValueError as exc:
        raise Conflict(ErrorItem("STA_UNKNOWN_STATE", f"État inconnu : {cible}.", "etat")) from exc
    ev = evenement_vers(dossier.etat, etat_cible)
    if ev is None:
        raise Conflict.one(
            "STA_TRANSITION_ILLEGAL",
            f"Transition impossible de {dossier.etat} vers {etat_cible.value}.",
            "etat",
        )
    return ev
