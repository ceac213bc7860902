"""The OPCO's simulated back office: instruction, decision, implicit refusal, on the clock.

Each dossier carries its next action and when it is due. `traiter` runs every action that
became due, in order of due time, each "as of" its own due time; actions may schedule the
next one. Claims are optimistic (UPDATE ... WHERE the action is still the same), so several
workers never apply an action twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from opco_server.horloge import aware
from opco_server.models import Dossier, Facture
from opco_server.services import controles, cycle_de_vie, engagements, factures
from rules.champs import normaliser_nom
from rules.cycle_de_vie import Evenement

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox
    from rules.registry import DossierActif

logger = logging.getLogger("opco_server.simulateur")
INSTRUIRE, DECIDER, REFUS_IMPLICITE = "instruire", "decider", "refus_implicite"
MAX_ACTIONS = 10_000

# Documented magic apprentice last names (README): force an outcome without the control API.
MAGIE_ATTENTE = "SANDBOX ATTENTE"  # stays in instruction forever
MAGIE_ENGAGE = "SANDBOX ENGAGE"  # engaged without waiting for the convention
MAGIE_DOUBLON = "SANDBOX DOUBLON"  # cancelled as a duplicate at instruction
MAGIES_REFUS = {
    "SANDBOX REFUS AGE": (
        "AGE_OVER_29_NO_EXCEPTION",
        "l'apprenti a plus de 29 ans sans cas d'exception (L6222-1, L6222-2)",
    ),
    "SANDBOX REFUS RNCP": (
        "ELIG_RNCP_INACTIVE",
        "la certification n'est pas active au RNCP à la date du contrat",
    ),
    "SANDBOX REFUS REMUNERATION": (
        "REM_BELOW_MINIMUM",
        "la rémunération est inférieure au minimum légal (D6222-26)",
    ),
}


@dataclass(frozen=True)
class Transition:
    opco: str
    numero_interne: str
    de: str | None
    vers: str
    horodatage: datetime
    cause: str


def magie(dossier: Dossier) -> str:
    return normaliser_nom(str(dossier.cerfa.get("apprenti", {}).get("nom", "")))


def planifier_reception(dossier: Dossier, sandbox: Sandbox) -> None:
    """A received dossier is taken into instruction after the OPCO's start delay."""
    opco = sandbox.opcos[dossier.opco_id]
    planifier(dossier, INSTRUIRE, dossier.recu_le + opco.delai_debut_instruction)


def planifier(dossier: Dossier, action: str | None, at: datetime | None) -> None:
    dossier.prochaine_action, dossier.prochaine_action_le = action, at


def traiter(session: Session, sandbox: Sandbox, jusqu_a: datetime) -> list[Transition]:
    """Run every action due up to `jusqu_a` (dossiers and invoice payments), in order of due
    time. Each action is its own unit of work (committed here): one that fails is rolled
    back and parked with a comment, it never blocks the others or the next requests."""
    done: list[Transition] = []
    for _ in range(MAX_ACTIONS):
        dossier = session.scalar(
            select(Dossier)
            .where(Dossier.prochaine_action_le.is_not(None), Dossier.prochaine_action_le <= jusqu_a)
            .order_by(Dossier.prochaine_action_le, Dossier.id)
            .limit(1)
        )
        facture = factures.prochaine_due(session, jusqu_a)
        if dossier is None and facture is None:
            break
        if facture is not None and (
            dossier is None
            or aware(facture.reglement_prevu_le) < aware(dossier.prochaine_action_le)
        ):
            cible, ident = Facture, facture.id
            etape = lambda f=facture: _payer(session, sandbox, f)  # noqa: E731
        else:
            cible, ident = Dossier, dossier.id
            etape = lambda d=dossier: _action(session, sandbox, d)  # noqa: E731
        try:
            done += etape()
            session.commit()
        except OperationalError:
            # The database, not the action, failed (lock timeout, connection lost, deadlock):
            # the action stays due and runs again on a later request.
            session.rollback()
            raise
        except Exception:
            logger.exception("simulated back-office action failed (%s %s)", cible.__name__, ident)
            session.rollback()
            _parquer(session, cible, ident)
            session.commit()
    return done


def _action(session: Session, sandbox: Sandbox, dossier: Dossier) -> list[Transition]:
    action, at = dossier.prochaine_action, aware(dossier.prochaine_action_le)
    if not _claim(session, dossier):
        return []
    before = len(dossier.evenements)
    executer(session, sandbox, dossier, action, at)
    return [_transition(dossier, e) for e in dossier.evenements[before:]]


def _parquer(session: Session, cible: type, ident: int) -> None:
    """A failed action is not retried forever: it is dropped, with a comment saying so."""
    if cible is Facture:
        session.execute(
            update(Facture)
            .where(Facture.id == ident)
            .values(
                reglement_prevu_le=None,
                commentaire="Traitement interrompu par un incident technique : règlement à relancer.",
            )
        )
    else:
        session.execute(
            update(Dossier)
            .where(Dossier.id == ident)
            .values(
                prochaine_action=None,
                prochaine_action_le=None,
                commentaire_etat="Instruction interrompue par un incident technique : dossier "
                "en attente de reprise.",
            )
        )


def _payer(session: Session, sandbox: Sandbox, facture: Facture) -> list[Transition]:
    """Pay an invoice whose delay is over (claimed first, as dossier actions are)."""
    at = aware(facture.reglement_prevu_le)
    claimed = session.execute(
        update(Facture)
        .where(Facture.id == facture.id, Facture.reglement_prevu_le == facture.reglement_prevu_le)
        .values(reglement_prevu_le=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(facture)
    if claimed != 1:
        return []
    dossiers = [
        session.get(Dossier, i) for i in sorted({ligne.dossier_id for ligne in facture.lignes})
    ]
    before = {d.id: len(d.evenements) for d in dossiers}
    factures.regler(session, sandbox, facture, at, acteur="simulateur")
    return [_transition(d, e) for d in dossiers for e in d.evenements[before[d.id] :]]


def _claim(session: Session, dossier: Dossier) -> bool:
    claimed = session.execute(
        update(Dossier)
        .where(
            Dossier.id == dossier.id,
            Dossier.prochaine_action == dossier.prochaine_action,
            Dossier.prochaine_action_le == dossier.prochaine_action_le,
        )
        .values(prochaine_action=None, prochaine_action_le=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(dossier)
    return claimed == 1


def executer(
    session: Session, sandbox: Sandbox, dossier: Dossier, action: str | None, at: datetime
) -> None:
    if action == INSTRUIRE:
        instruire(session, sandbox, dossier, at, acteur="simulateur")
    elif action == DECIDER:
        decider(session, sandbox, dossier, at, acteur="simulateur")
    elif action == REFUS_IMPLICITE:
        refus_implicite(session, dossier, at)


def instruire(
    session: Session, sandbox: Sandbox, dossier: Dossier, at: datetime, acteur: str
) -> None:
    """TRANSMIS -> EN_COURS_INSTRUCTION; then decide later, or wait for the convention."""
    cycle_de_vie.appliquer(
        session,
        dossier,
        Evenement.INSTRUIRE,
        at=at,
        acteur=acteur,
        cause="Prise en charge du dossier par le service instruction.",
    )
    attendre_ou_decider(sandbox, dossier, at)


def attendre_ou_decider(sandbox: Sandbox, dossier: Dossier, at: datetime) -> None:
    opco = sandbox.opcos[dossier.opco_id]
    if magie(dossier) == MAGIE_ATTENTE:
        dossier.commentaire_etat = "Dossier en cours d'instruction."
        planifier(dossier, None, None)
    elif dossier.conventions or magie(dossier) == MAGIE_ENGAGE:
        dossier.commentaire_etat = "Dossier complet, décision en cours."
        planifier(dossier, DECIDER, at + opco.delai_decision)
    else:
        limite = aware(dossier.recu_le) + opco.delai_refus_implicite
        dossier.commentaire_etat = (
            "Dossier incomplet : en attente de la convention de formation. Sans elle, refus "
            f"implicite le {limite:%d/%m/%Y} (le silence de l'OPCO vaut refus)."
        )
        planifier(dossier, REFUS_IMPLICITE, max(limite, at))


def decider(
    session: Session,
    sandbox: Sandbox,
    dossier: Dossier,
    at: datetime,
    acteur: str,
    actifs: Sequence[DossierActif] | None = None,
) -> None:
    """The funding decision: cancel, refuse with reasons, or engage with DECA and schedule.

    `actifs`: see controles.evaluer_instruction."""
    nom = magie(dossier)
    if nom == MAGIE_DOUBLON:
        dossier.commentaire_etat = (
            "[DOSSIER_DUPLICATE] Doublon détecté à l'instruction : ce "
            "contrat est déjà pris en charge."
        )
        cycle_de_vie.appliquer(
            session,
            dossier,
            Evenement.ANNULER,
            at=at,
            acteur=acteur,
            cause=dossier.commentaire_etat,
        )
        return
    if nom in MAGIES_REFUS:
        code, raison = MAGIES_REFUS[nom]
        refuser(session, dossier, at, acteur, f"Refus : [{code}] {raison}.")
        return
    resultat = controles.evaluer_instruction(session, sandbox, dossier, at.date(), actifs)
    if resultat.refuse:
        refuser(session, dossier, at, acteur, resultat.commentaire())
        return
    remarques = engagements.engager(session, sandbox, dossier, at)
    notes = [resultat.commentaire(), *(f"Engagement : {r}" for r in remarques)]
    dossier.commentaire_etat = " | ".join(n for n in notes if n) or None
    cycle_de_vie.appliquer(
        session,
        dossier,
        Evenement.ENGAGER,
        at=at,
        acteur=acteur,
        cause=f"Prise en charge accordée ; dépôt n° {dossier.numero_deca}.",
    )


def refuser(session: Session, dossier: Dossier, at: datetime, acteur: str, motif: str) -> None:
    dossier.commentaire_etat = motif
    cycle_de_vie.appliquer(session, dossier, Evenement.REFUSER, at=at, acteur=acteur, cause=motif)


def refus_implicite(session: Session, dossier: Dossier, at: datetime) -> None:
    refuser(
        session,
        dossier,
        at,
        "simulateur",
        "Refus : [ELIG_DECISION_TIMEOUT] Refus implicite : aucun dossier complet (convention "
        "de formation manquante) 20 jours après la réception.",
    )


def _transition(dossier: Dossier, event) -> Transition:  # type: ignore[no-untyped-def]
    return Transition(
        dossier.opco_id,
        dossier.numero_interne,
        event.etat_avant,
        event.etat_apres,
        aware(event.horodatage),
        event.cause,
    )
