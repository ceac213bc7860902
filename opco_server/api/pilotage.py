"""The sandbox's own control API (spec/sandbox.yaml), mounted under /_sandbox."""

from __future__ import annotations

import flask
from sqlalchemy import select, text

from opco_server.api._responses import ok
from opco_server.errors import NotFound
from opco_server.http import context
from opco_server.models import Fichier
from opco_server.services import factures, fichiers, pilotage
from opco_server.wire import parse_date


def sante():
    context.session().execute(text("SELECT 1"))
    sandbox = context.sandbox()
    return ok(
        {"status": "ok", "database": sandbox.engine.dialect.name, "opcos": len(sandbox.opcos.ids)}
    )


def lister_opcos():
    root = flask.request.host_url.rstrip("/")
    return ok(
        [
            {
                "id": o.id,
                "nom": o.nom,
                "siren": o.siren,
                "baseUrl": f"{root}/{o.id}",
                "tokenUrl": f"{root}/{o.id}/connect/token",
                "versions": list(o.versions),
                "swaggerUi": f"{root}/{o.id}/ui/",
            }
            for o in context.sandbox().opcos
        ]
    )


def consulter_dossier(opco: str, numero_interne: str):
    return ok(_dossier(pilotage.trouver(context.session(), opco, numero_interne)))


def instruire(opco: str, numero_interne: str):
    session = context.session()
    dossier = pilotage.trouver(session, opco, numero_interne)
    pilotage.instruire_maintenant(session, context.sandbox(), dossier)
    session.commit()
    return ok(_dossier(dossier))


def forcer_transition(opco: str, numero_interne: str, body: dict):
    session = context.session()
    dossier = pilotage.trouver(session, opco, numero_interne)
    pilotage.forcer(
        session,
        context.sandbox(),
        dossier,
        body["etat"],
        body.get("motif"),
        parse_date(body.get("dateRupture")),
    )
    session.commit()
    return ok(_dossier(dossier))


def _dossier(dossier) -> dict:  # type: ignore[no-untyped-def]
    le = dossier.prochaine_action_le
    return {
        "opco": dossier.opco_id,
        "numeroInterne": dossier.numero_interne,
        "numeroExterne": dossier.numero_externe,
        "numeroDeca": dossier.numero_deca,
        "etat": dossier.etat,
        "commentaireEtat": dossier.commentaire_etat,
        "engagement": float(dossier.engagement) if dossier.engagement is not None else None,
        "prochaineAction": dossier.prochaine_action,
        "prochaineActionLe": le.isoformat(timespec="seconds") if le else None,
        "historique": [
            {
                "horodatage": e.horodatage.isoformat(timespec="seconds"),
                "etatAvant": e.etat_avant,
                "etatApres": e.etat_apres,
                "cause": e.cause,
                "acteur": e.acteur,
            }
            for e in dossier.evenements
        ],
    }


def consulter_facture(opco: str, numero_interne_facture: str):
    return ok(_facture(factures.trouver(context.session(), opco, numero_interne_facture)))


def regler_facture(opco: str, numero_interne_facture: str):
    session, sandbox = context.session(), context.sandbox()
    facture = factures.trouver(session, opco, numero_interne_facture)
    factures.regler(session, sandbox, facture, sandbox.horloge.maintenant(), acteur="pilotage")
    session.commit()
    return ok(_facture(facture))


def rejeter_facture(opco: str, numero_interne_facture: str, body: dict):
    session, sandbox = context.session(), context.sandbox()
    facture = factures.trouver(session, opco, numero_interne_facture)
    factures.rejeter(session, facture, sandbox.horloge.maintenant(), body["motif"])
    session.commit()
    return ok(_facture(facture))


def telecharger_fichier(opco: str, numero_interne_document: str):
    fichier = context.session().scalar(
        select(Fichier).where(Fichier.opco_id == opco, Fichier.numero == numero_interne_document)
    )
    if fichier is None:
        raise NotFound.one(
            "FILE_NOT_FOUND",
            f"Aucun fichier « {numero_interne_document} ».",
            "numeroInterneDocument",
        )
    return fichier.contenu, 200, fichiers.entetes_telechargement(fichier)


def _facture(facture) -> dict:  # type: ignore[no-untyped-def]
    prevu = facture.reglement_prevu_le
    return {
        "opco": facture.opco_id,
        "numeroInterneFacture": facture.numero_interne,
        "referenceFactureCFA": facture.numero,
        "typeFacture": facture.type_facture,
        "etatFacture": facture.etat,
        "montantFacture": float(facture.montant_signe),
        "commentaire": facture.commentaire,
        "referenceVirement": None if facture.est_avoir else facture.reference_virement,
        "dateReglement": None
        if facture.est_avoir or not facture.date_reglement
        else facture.date_reglement.isoformat(),
        "reglementPrevuLe": prevu.isoformat(timespec="seconds") if prevu else None,
        "numeroInterneDocument": facture.fichier.numero,
    }
