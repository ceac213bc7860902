"""CFA keys seen from the OPCO's portal and the control API: their state, revocation, expiry.

Generating a key (and checking one on a request) is services.identites' work; this module
decides what state a stored key is in, once for every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import NotFound
from opco_server.horloge import Horloge
from opco_server.models import CfaEnregistre, CleCfa

AUCUNE, ACTIVE, REVOQUEE, EXPIREE = "AUCUNE", "ACTIVE", "REVOQUEE", "EXPIREE"


def etat(revoquee: bool, date_fin_validite: date, aujourdhui: date) -> str:
    """A key is revoked, expired (its last valid day is past on the sandbox clock) or active."""
    if revoquee:
        return REVOQUEE
    if date_fin_validite < aujourdhui:
        return EXPIREE
    return ACTIVE


@dataclass(frozen=True)
class CleDuCfa:
    """A registered CFA and the state of its key at one OPCO (no key: AUCUNE)."""

    cfa: CfaEnregistre
    etat: str
    date_fin_validite: date | None
    cree_le: datetime | None


def par_cfa(session: Session, opco_id: str, aujourdhui: date) -> list[CleDuCfa]:
    """Every registered CFA (by SIREN) with the state of its key at this OPCO."""
    cles = {c.siren: c for c in session.scalars(select(CleCfa).where(CleCfa.opco_id == opco_id))}
    resultat = []
    for cfa in session.scalars(select(CfaEnregistre).order_by(CfaEnregistre.siren)):
        cle = cles.get(cfa.siren)
        if cle is None:
            resultat.append(CleDuCfa(cfa, AUCUNE, None, None))
        else:
            valeur = etat(cle.revoquee_le is not None, cle.date_fin_validite, aujourdhui)
            resultat.append(CleDuCfa(cfa, valeur, cle.date_fin_validite, cle.cree_le))
    return resultat


def cfa(session: Session, siren: str) -> CfaEnregistre:
    """A registered CFA (404 otherwise)."""
    trouve = session.scalar(select(CfaEnregistre).where(CfaEnregistre.siren == siren))
    if trouve is None:
        raise NotFound.one("CFA_NOT_FOUND", f"Aucun CFA de SIREN « {siren} ».", "siren")
    return trouve


def trouver(session: Session, opco_id: str, siren: str) -> CleCfa:
    cle = session.scalar(select(CleCfa).where(CleCfa.opco_id == opco_id, CleCfa.siren == siren))
    if cle is None:
        raise NotFound.one("KEY_NOT_FOUND", f"Aucune clé pour le SIREN « {siren} ».", "siren")
    return cle


def revoquer(session: Session, horloge: Horloge, opco_id: str, siren: str) -> CleCfa:
    """The CFA's key at this OPCO stops working now (403 AUTH_KEY_INVALID)."""
    cle = trouver(session, opco_id, siren)
    cle.revoquee_le = horloge.maintenant()
    session.flush()
    return cle


def expirer(session: Session, horloge: Horloge, opco_id: str, siren: str) -> CleCfa:
    """The key's last valid day becomes yesterday on the sandbox clock (403 AUTH_KEY_EXPIRED)."""
    cle = trouver(session, opco_id, siren)
    cle.date_fin_validite = horloge.aujourdhui() - timedelta(days=1)
    session.flush()
    return cle
