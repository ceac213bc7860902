"""Dossiers on the wire: creation answer, état items, detail (norm.md E3-E5)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from opco_server.models import Dossier
from opco_server.wire import format_date


class DossierCreeSchema(Schema):
    numero_interne = fields.String(data_key="numeroInterne")
    numero_externe = fields.String(data_key="numeroExterne")


class EtatDossierSchema(Schema):
    numero_interne = fields.String(data_key="numeroInterne")
    numero_externe = fields.String(data_key="numeroExterne")
    numero_deca = fields.String(data_key="numeroDeca", allow_none=True)
    etat = fields.String()
    commentaire_etat = fields.String(data_key="commentaireEtat", allow_none=True)
    date_etat = fields.Method("_date_etat", data_key="dateEtat")

    def _date_etat(self, dossier: Dossier) -> str | None:
        return format_date(dossier.maj_le.date())


class DossierDetailSchema(Schema):
    cerfa = fields.Method("_cerfa")
    engagement = fields.Constant(None)
    comment = fields.Method("_comment")
    echeances = fields.Constant([])
    details_facturation = fields.Constant(None, data_key="detailsFacturation")
    engagements_frais_annexe = fields.Constant([], data_key="engagementsFraisAnnexe")

    def _cerfa(self, dossier: Dossier) -> dict[str, Any]:
        return {
            **dossier.cerfa,
            "numeroInterne": dossier.numero_interne,
            "numeroExterne": dossier.numero_externe,
            "numeroDeca": dossier.numero_deca,
            "etat": dossier.etat,
            "commentaireEtat": dossier.commentaire_etat,
        }

    def _comment(self, dossier: Dossier) -> str | None:
        return dossier.commentaire_etat


dossier_cree = DossierCreeSchema()
etat_dossier = EtatDossierSchema()
etats_dossiers = EtatDossierSchema(many=True)
dossier_detail = DossierDetailSchema()
dossiers_details = DossierDetailSchema(many=True)
