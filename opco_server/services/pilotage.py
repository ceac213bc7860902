"""The back office's control actions (control API and console): run the instruction of a
dossier now, force a legal transition, settle or reject an invoice now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, NotFound
from opco_server.models import Dossier, Facture
from opco_server.services import cycle_de_vie, engagements, factures, ruptures, simulateur
from rules.cycle_de_vie import Etat, Evenement, evenements_possibles, prochain_etat

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

ACTEUR = "pilotage"


def sante(session: Session, sandbox: Sandbox) -> dict[str, object]:
    """The sandbox and its database answer (the control API's liveness probe)."""
    session.execute(text("SELECT 1"))
    dialecte = sandbox.engine.dialect.name
    return {"status": "ok", "database": dialecte, "opcos": len(sandbox.opcos.ids)}


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


@dataclass(frozen=True)
class Instruction:
    """What « instruire maintenant » did: decided, or why the OPCO is still waiting."""

    dossier: Dossier
    decide: bool
    attente: str | None  # the OPCO's commentaireEtat when nothing was decided


def instruction_possible(dossier: Dossier) -> bool:
    return dossier.etat in (Etat.TRANSMIS, Etat.EN_COURS_INSTRUCTION)


def cibles_possibles(dossier: Dossier) -> list[str]:
    """The states a forced transition may reach from the dossier's state now."""
    return [prochain_etat(dossier.etat, e).value for e in evenements_possibles(dossier.etat)]


def instruire_maintenant(session: Session, sandbox: Sandbox, dossier: Dossier) -> Instruction:
    """Take the dossier into instruction and decide now, whatever the delays say; without a
    decision (no convention yet, a magic value that waits) the OPCO's comment says why."""
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
    decide = dossier.etat != Etat.EN_COURS_INSTRUCTION
    return Instruction(dossier, decide, None if decide else dossier.commentaire_etat)


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


# --- invoices ----------------------------------------------------------------------------


def regler_facture(session: Session, sandbox: Sandbox, opco_id: str, numero: str) -> Facture:
    """Settle the invoice now (an avoir is imputed on the overpayment); 409 once decided."""
    facture = factures.trouver(session, opco_id, numero)
    factures.regler(session, sandbox, facture, sandbox.horloge.maintenant(), acteur=ACTEUR)
    return facture


def rejeter_facture(
    session: Session, sandbox: Sandbox, opco_id: str, numero: str, motif: str
) -> Facture:
    """Reject the invoice now with a reason the CFA reads; 409 once decided."""
    facture = factures.trouver(session, opco_id, numero)
    motif = motif.strip()
    if not motif:
        raise BadRequest.one(
            "INV_REJECTION_REASON_REQUIRED",
            "Indiquez le motif du rejet : il est communiqué au CFA.",
            "motif",
        )
    factures.rejeter(session, facture, sandbox.horloge.maintenant(), motif)
    return facture
