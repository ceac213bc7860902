"""System operations (norm.md E1, E2): the service status and the check of a CFA key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from opco_server.donnees.opcos import Opco
from opco_server.horloge import Horloge
from opco_server.services import cles, partage
from opco_server.services.identites import cle_connue, etat_cle


@dataclass(frozen=True)
class Statut:
    opco: str
    versions: tuple[str, ...]
    date_heure: datetime


def statut(opco: Opco, horloge: Horloge) -> Statut:
    """GET /v1/status: the OPCO answers, with the norm versions it speaks and its time."""
    return Statut(opco.nom, tuple(opco.versions), horloge.maintenant())


@dataclass(frozen=True)
class KeyInfo:
    status: str
    date_fin_validite: date | None
    comment: str | None


def info_cle(
    commun: partage.Instantane, horloge: Horloge, opco_id: str, siren: str, key: str
) -> KeyInfo:
    """cfakeyinfo (norm.md E2): is this key the valid key of this SIREN at this OPCO?"""
    found = cle_connue(commun, opco_id, key)
    etat = None if found is None or found.siren != siren else etat_cle(found, horloge)
    if etat in (None, cles.REVOQUEE):
        return KeyInfo("error", None, "Clé inconnue pour ce SIREN auprès de cet OPCO.")
    if etat == cles.EXPIREE:
        return KeyInfo("error", found.date_fin_validite, "Clé expirée.")
    return KeyInfo("success", found.date_fin_validite, None)
