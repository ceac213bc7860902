"""Dossiers on the wire: creation answer, état items, detail (norm.md E3-E5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields

from opco_server.models import Dossier
from opco_server.wire import format_date

# Amounts are Decimal end to end; JSON has only numbers, so they leave as numbers with two
# decimals at the very edge (float's shortest repr of a 2-decimal value is exact on the wire).
PLAFOND_PREMIER_EQUIPEMENT = 500
# The mobility flat rate is set by each OPCO's board and is not modelled (rules.financement):
# no ceiling is published, hence null.
PLAFOND_FRAIS_MOBILITE = None
ZERO = Decimal("0.00")


class Montant(fields.Field):
    def _serialize(self, value: Decimal | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


class DateNorme(fields.Field):
    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return format_date(value)


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


class EcheanceSchema(Schema):
    numero = fields.Integer()
    codification = fields.String()
    montant_total = Montant(data_key="montantTotal")
    montant_regle = Montant(data_key="montantRegle")
    montant_en_cours = Montant(data_key="montantEnCoursInstruction")
    date_ouverture = DateNorme(data_key="dateOuverture")
    date_debut = DateNorme(data_key="dateDebut")
    date_fin = DateNorme(data_key="dateFin")
    iban = fields.String(allow_none=True)
    dont_majoration_rqth = fields.Method("_majoration", data_key="dontMajorationRqth")
    dont_montant_pedagogie = fields.Method("_pedagogie", data_key="dontMontantPedagogie")

    def _majoration(self, echeance: Any) -> float:
        return float(_rqth(echeance))

    def _pedagogie(self, echeance: Any) -> float:
        return float(Decimal(echeance.montant_total).quantize(Decimal("0.01")) - _rqth(echeance))


def _rqth(echeance: Any) -> Decimal:
    return Decimal(echeance.majoration_rqth or ZERO).quantize(Decimal("0.01"))


class FraisAnnexeSchema(Schema):
    nature = fields.String(data_key="natureFrais")
    quantite = fields.Integer()
    prix_unitaire = Montant(data_key="prixUnitaire")
    montant_total = Montant(data_key="montantTotal")


class DossierDetailSchema(Schema):
    cerfa = fields.Method("_cerfa")
    engagement = Montant()
    comment = fields.Method("_comment")
    echeances = fields.Method("_echeances")
    details_facturation = fields.Method("_details", data_key="detailsFacturation")
    engagements_frais_annexe = fields.List(
        fields.Nested(FraisAnnexeSchema),
        attribute="frais_annexes",
        data_key="engagementsFraisAnnexe",
    )

    def _cerfa(self, dossier: Dossier) -> dict[str, Any]:
        cerfa = dict(dossier.cerfa)
        if dossier.numero_deca:
            # The norm's contract number is the DECA number once known; the stored Cerfa stays
            # as received.
            cerfa["contrat"] = {**(cerfa.get("contrat") or {}), "noContrat": dossier.numero_deca}
        return {
            **cerfa,
            "numeroInterne": dossier.numero_interne,
            "numeroExterne": dossier.numero_externe,
            "numeroDeca": dossier.numero_deca,
            "etat": dossier.etat,
            "commentaireEtat": dossier.commentaire_etat,
        }

    def _comment(self, dossier: Dossier) -> str | None:
        return dossier.commentaire_etat

    def _echeances(self, dossier: Dossier) -> list[dict[str, Any]]:
        # Cancelled instalments (nothing due, nothing paid) are not shown.
        visibles = [e for e in dossier.echeances if e.montant_total or e.montant_regle]
        return [
            {**e, "siretCfa": dossier.organisme_siret}
            for e in EcheanceSchema(many=True).dump(visibles)
        ]

    def _details(self, dossier: Dossier) -> dict[str, Any] | None:
        if dossier.engagement is None:
            return None
        iban = dossier.echeances[0].iban if dossier.echeances else None
        return {
            "iban": iban,
            "plafondFraisPremierEquipement": PLAFOND_PREMIER_EQUIPEMENT,
            "plafondFraisMobilite": PLAFOND_FRAIS_MOBILITE,
            "fraisPremierEquipementRegles": False,
            "fraisMobiliteRegles": False,
            "periodesFraisAnnexes": [],
        }


dossier_cree = DossierCreeSchema()
etats_dossiers = EtatDossierSchema(many=True)
dossier_detail = DossierDetailSchema()
dossiers_details = DossierDetailSchema(many=True)
