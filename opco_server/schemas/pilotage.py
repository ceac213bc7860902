"""The control API's answers (spec/sandbox.yaml): an OPCO served, a dossier and an invoice seen
from the back office, a transition the back office ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opco_server.models import Dossier, Facture
from opco_server.services.simulateur import Transition

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco


def opco(o: Opco, racine: str) -> dict[str, Any]:
    """One OPCO served, with its URLs under `racine` (the server's own URL)."""
    return {
        "id": o.id,
        "nom": o.nom,
        "siren": o.siren,
        "baseUrl": f"{racine}/{o.id}",
        "tokenUrl": f"{racine}/{o.id}/connect/token",
        "versions": list(o.versions),
        "swaggerUi": f"{racine}/{o.id}/ui/",
    }


def dossier(d: Dossier) -> dict[str, Any]:
    """DossierPilotage."""
    le = d.prochaine_action_le
    return {
        "opco": d.opco_id,
        "numeroInterne": d.numero_interne,
        "numeroExterne": d.numero_externe,
        "numeroDeca": d.numero_deca,
        "etat": d.etat,
        "commentaireEtat": d.commentaire_etat,
        "engagement": float(d.engagement) if d.engagement is not None else None,
        "prochaineAction": d.prochaine_action,
        "prochaineActionLe": le.isoformat(timespec="seconds") if le else None,
        "historique": [
            {
                "horodatage": e.horodatage.isoformat(timespec="seconds"),
                "etatAvant": e.etat_avant,
                "etatApres": e.etat_apres,
                "cause": e.cause,
                "acteur": e.acteur,
            }
            for e in d.evenements
        ],
    }


def facture(f: Facture) -> dict[str, Any]:
    """FacturePilotage: an avoir has no transfer of its own (no reference, no date)."""
    prevu = f.reglement_prevu_le
    return {
        "opco": f.opco_id,
        "numeroInterneFacture": f.numero_interne,
        "referenceFactureCFA": f.numero,
        "typeFacture": f.type_facture,
        "etatFacture": f.etat,
        "montantFacture": float(f.montant_signe),
        "commentaire": f.commentaire,
        "referenceVirement": None if f.est_avoir else f.reference_virement,
        "dateReglement": None
        if f.est_avoir or not f.date_reglement
        else f.date_reglement.isoformat(),
        "reglementPrevuLe": prevu.isoformat(timespec="seconds") if prevu else None,
        "numeroInterneDocument": f.fichier.numero,
    }


def transition(t: Transition) -> dict[str, Any]:
    """Transition."""
    return {
        "opco": t.opco,
        "numeroInterne": t.numero_interne,
        "etatAvant": t.de,
        "etatApres": t.vers,
        "horodatage": t.horodatage.isoformat(timespec="seconds"),
        "cause": t.cause,
    }
