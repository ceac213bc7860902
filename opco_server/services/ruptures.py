"""Rupture of an engaged contract: POST /v2/dossiers/rupture/employeur or contrat.dateRupture."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, ErrorItem
from opco_server.models import Dossier
from opco_server.services import cycle_de_vie, engagements, facturation_vues, factures
from rules.calculs import euros
from rules.cerfa import CerfaVue
from rules.cycle_de_vie import Etat, Evenement

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

MOTIFS = {
    "PERIODE_ESSAI": "rupture pendant les 45 premiers jours de formation pratique",
    "ACCORD_COMMUN": "rupture d'un commun accord",
    "FORCE_MAJEURE": "force majeure",
    "FAUTE_GRAVE": "faute grave",
    "INAPTITUDE": "inaptitude médicale",
    "EXCLUSION_CFA": "exclusion définitive du CFA",
    "DEMISSION_APPRENTI": "démission de l'apprenti",
    "OBTENTION_DIPLOME": "obtention du diplôme",
    "LIQUIDATION": "liquidation judiciaire de l'employeur",
    "DECES_EMPLOYEUR": "décès de l'employeur maître d'apprentissage",
    "AUTRE": "autre motif",
}


def rompre(
    session: Session,
    sandbox: Sandbox,
    dossier: Dossier,
    date_rupture: date | None,
    motif: str | None,
    acteur: str,
    champ: str = "dateRupture",
) -> Dossier:
    """ENGAGE -> RUPTURE with the échéancier prorated; 400 when the state or date is wrong."""
    items = []
    if dossier.etat != Etat.ENGAGE:
        items.append(
            ErrorItem(
                "RUP_STATE_INVALID",
                f"Seul un dossier engagé peut être rompu (état actuel : {dossier.etat}).",
                "etat",
            )
        )
    debut = dossier.date_debut_contrat
    fin = CerfaVue.de(dossier.cerfa).date_fin_contrat
    if date_rupture is None or date_rupture < debut or (fin and date_rupture > fin):
        items.append(
            ErrorItem(
                "RUP_DATE_OUT_OF_RANGE",
                f"La date de rupture doit être comprise entre le début ({debut:%d/%m/%Y}) et la fin "
                "du contrat.",
                champ,
            )
        )
    if items:
        raise BadRequest(*items)
    at = sandbox.horloge.maintenant()
    libelle = MOTIFS.get(motif or "AUTRE", motif or "")
    cycle_de_vie.appliquer(
        session,
        dossier,
        Evenement.ROMPRE,
        at=at,
        acteur=acteur,
        cause=f"Rupture au {date_rupture:%d/%m/%Y} ({libelle}).",
    )
    contrat = dict(dossier.cerfa["contrat"])
    contrat["dateRupture"] = date_rupture.isoformat()
    dossier.cerfa = {**dossier.cerfa, "contrat": contrat}
    dossier.commentaire_etat = f"Contrat rompu le {date_rupture:%d/%m/%Y} : {libelle}."
    engagements.rompre(session, sandbox, dossier, date_rupture, at, acteur)
    excedent = facturation_vues.trop_percu(dossier)
    if excedent > 0:
        dossier.commentaire_etat += (
            f" [INV_OVERPAID_CREDIT_NOTE_REQUIRED] Trop-perçu de {euros(excedent)} à régulariser "
            "par un avoir (POST /v1/factures, typeFacture AVOIR)."
        )
    factures.solder_si_tout_regle(session, dossier, at, acteur)
    return dossier
