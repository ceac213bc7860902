"""The sandbox's own control API (spec/sandbox.yaml), mounted under /_sandbox."""

from __future__ import annotations

import flask

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.schemas import pilotage as schemas
from opco_server.services import factures, fichiers, pilotage
from opco_server.wire import parse_date


def sante():
    return ok(pilotage.sante(context.session(), context.sandbox()))


def lister_opcos():
    root = flask.request.host_url.rstrip("/")
    return ok([schemas.opco(o, root) for o in context.sandbox().opcos])


def consulter_dossier(opco: str, numero_interne: str):
    return ok(schemas.dossier(pilotage.trouver(context.session(), opco, numero_interne)))


def instruire(opco: str, numero_interne: str):
    session = context.session()
    dossier = pilotage.trouver(session, opco, numero_interne)
    pilotage.instruire_maintenant(session, context.sandbox(), dossier)
    session.commit()
    return ok(schemas.dossier(dossier))


def forcer_transition(opco: str, numero_interne: str, body: dict):
    session = context.session()
    dossier = pilotage.trouver(session, opco, numero_interne)
    date_rupture = parse_date(body.get("dateRupture"))
    pilotage.forcer(
        session, context.sandbox(), dossier, body["etat"], body.get("motif"), date_rupture
    )
    session.commit()
    return ok(schemas.dossier(dossier))


def consulter_facture(opco: str, numero_interne_facture: str):
    return ok(schemas.facture(factures.trouver(context.session(), opco, numero_interne_facture)))


def regler_facture(opco: str, numero_interne_facture: str):
    session = context.session()
    facture = pilotage.regler_facture(session, context.sandbox(), opco, numero_interne_facture)
    session.commit()
    return ok(schemas.facture(facture))


def rejeter_facture(opco: str, numero_interne_facture: str, body: dict):
    session = context.session()
    facture = pilotage.rejeter_facture(
        session, context.sandbox(), opco, numero_interne_facture, body["motif"]
    )
    session.commit()
    return ok(schemas.facture(facture))


def telecharger_fichier(opco: str, numero_interne_document: str):
    fichier = fichiers.trouver(context.session(), opco, numero_interne_document)
    return fichier.contenu, 200, fichiers.entetes_telechargement(fichier)
