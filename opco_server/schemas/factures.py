"""Invoices on the wire: the état items of GET /v2/factures/etats (norm.md E9).

An avoir (credit note) reads as one: `typeFacture: AVOIR`, a negative `montantFacture` and
negative dossier amounts (the stored amounts stay positive, see `Facture.signe`), and no bank
transfer of its own (no `referenceVirement`, no `dateReglement`): once `REGLE` it has been
imputé on the dossier's overpayment, not paid."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from opco_server.models import Dossier, Facture
from opco_server.schemas.dossiers import Montant
from opco_server.wire import format_date

_montant = Montant()


def etat_facture(session: Session, facture: Facture) -> dict[str, Any]:
    par_dossier: dict[int, Decimal] = defaultdict(Decimal)
    for ligne in facture.lignes:
        par_dossier[ligne.dossier_id] += facture.signe * ligne.montant
    dossiers = []
    for dossier_id, montant in par_dossier.items():
        dossier = session.get(Dossier, dossier_id)
        dossiers.append(
            {
                "numeroInterneDossier": dossier.numero_interne,
                "numeroExterneDossier": dossier.numero_externe,
                "montant": _montant._serialize(montant, None, None),
            }
        )
    return {
        "numeroInterneFacture": facture.numero_interne,
        "referenceFactureCFA": facture.numero,
        "typeFacture": facture.type_facture,
        "montantFacture": _montant._serialize(facture.montant_signe, None, None),
        "etatFacture": facture.etat,
        "referenceVirement": None if facture.est_avoir else facture.reference_virement,
        "dateReglement": None if facture.est_avoir else format_date(facture.date_reglement),
        "commentaire": facture.commentaire,
        "organismeFormation": {"siret": facture.siret_emetteur, "IBAN": facture.iban_emetteur},
        "dossiers": dossiers,
    }


def etats_factures(session: Session, factures: list[Facture]) -> list[dict[str, Any]]:
    return [etat_facture(session, f) for f in factures]
