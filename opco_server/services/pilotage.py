"""Control actions on dossiers: run the instruction now, force a legal transition."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import NotFound
from opco_server.models import Dossier
from opco_server.services import cycle_de_vie, engagements, ruptures, simulateur
from rules.cycle_de_vie import Etat, Evenement

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

ACTEUR = "pilotage"


def trouver(session: Session, opco_id: str, numero_interne: str) -> Dossier:
    dossier = session.scalar(
        select(Dossier).where(Dossier.opco_id == opco_id, Dossier.numero_interne == numero_interne)
    )
    if dossier is None:
        raise NotFound.one(
            "DOSSIER_NOT_FOUND",
            f"Aucun dossier « {numero_interne} » chez « {opco_id} ».",
            "numeroInterne",
        )
    return dossier


def instruire_maintenant(session: Session, sandbox: Sandbox, dossier: Dossier) -> Dossier:
    """Take the dossier into instruction and decide now, whatever the delays say."""
    now = sandbox.horloge.maintenant()
    if dossier.etat == Etat.TRANSMIS:
        simulateur.instruire(session, sandbox, dossier, now, acteur=ACTEUR)
    elif dossier.etat != Etat.EN_COURS_INSTRUCTION:
        raise cycle_de_vie.Conflict.one(
            "STA_TRANSITION_ILLEGAL",
            f"Le dossier est déjà décidé (état {dossier.etat}) : rien à instruire.",
            "etat",
        )
    if dossier.prochaine_action == simulateur.DECIDER:
        simulateur.planifier(dossier, None, None)
        simulateur.decider(session, sandbox, dossier, now, acteur=ACTEUR)
    session.flush()
    return dossier


def forcer(
    session: Session,
    sandbox: Sandbox,
    dossier: Dossier,
    cible: str,
    motif: str | None,
    date_rupture: date | None,
) -> Dossier:
    """Force a legal transition (409 otherwise), doing what the OPCO does on that edge."""
    evenement = cycle_de_vie.evenement_pour(dossier, cible)
    now = sandbox.horloge.maintenant()
    # The journal says who forced what; the norm's commentaireEtat reads as a real OPCO's.
    raison = f"Transition forcée par l'API de pilotage{f' : {motif}' if motif else ''}."
    avant = len(dossier.evenements)
    if evenement == Evenement.INSTRUIRE:
        simulateur.instruire(session, sandbox, dossier, now, acteur=ACTEUR)
    elif evenement == Evenement.ENGAGER:
        simulateur.planifier(dossier, None, None)
        engagements.engager(session, sandbox, dossier, now)
        dossier.commentaire_etat = commentaire_opco(evenement, motif)
        cycle_de_vie.appliquer(session, dossier, evenement, at=now, acteur=ACTEUR, cause=raison)
    elif evenement == Evenement.REFUSER:
        simulateur.refuser(session, dossier, now, ACTEUR, commentaire_opco(evenement, motif))
    elif evenement == Evenement.ROMPRE:
        ruptures.rompre(session, sandbox, dossier, date_rupture or now.date(), "AUTRE", ACTEUR)
    else:
        dossier.commentaire_etat = commentaire_opco(evenement, motif)
        cycle_de_vie.appliquer(session, dossier, evenement, at=now, acteur=ACTEUR, cause=raison)
    force = dossier.evenements[avant]
    if force.cause != raison:
        force.cause = f"{force.cause} {raison}"
    session.flush()
    return dossier


LIBELLES = {
    Evenement.ENGAGER: "Dossier engagé",
    Evenement.REFUSER: "Dossier refusé",
    Evenement.ANNULER: "Dossier annulé",
    Evenement.SOLDER: "Dossier soldé",
}


def commentaire_opco(evenement: Evenement, motif: str | None) -> str:
    """What the OPCO writes in commentaireEtat on a forced edge: « Dossier refusé : <motif>. »"""
    libelle = LIBELLES.get(evenement, "Dossier mis à jour")
    motif = (motif or "").strip().rstrip(".")
    return f"{libelle} : {motif}." if motif else f"{libelle}."
