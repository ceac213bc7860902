"""Dossiers: transmit, read, list (norm.md E3-E6, E12)."""

from __future__ import annotations

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.schemas import dossiers as schemas
from opco_server.services import dossiers as service
from opco_server.wire import parse_date


def _transmettre(body: dict, version: str):
    caller, session = context.caller(), context.session()
    emetteur = service.Emetteur(caller.siren, caller.editeur_id, caller.logiciel, caller.version)
    dossier = service.transmettre(
        session, context.sandbox(), context.opco(), emetteur, body["cerfa"], version
    )
    session.commit()
    return ok(schemas.dossier_cree.dump(dossier))


def transmettre_dossier_v1(body: dict):
    return _transmettre(body, "v1")


def transmettre_dossier_v2(body: dict):
    return _transmettre(body, "v2")


def _consulter(numero_interne: str):
    dossier = service.consulter(
        context.session(), context.opco(), context.caller().siren, numero_interne
    )
    return ok(schemas.dossier_detail.dump(dossier))


def consulter_dossier_v1(numero_interne: str):
    return _consulter(numero_interne)


def consulter_dossier_v2(numero_interne: str):
    return _consulter(numero_interne)


def lister_etats_v1():
    dossiers = service.tous_les_etats(context.session(), context.opco(), context.caller().siren)
    return ok(schemas.etats_dossiers.dump(dossiers))


def lister_etats_v2(numero_page: int = 1):
    page = service.page_etats(
        context.session(), context.opco(), context.caller().siren, numero_page
    )
    items = schemas.etats_dossiers.dump(page.dossiers)
    return ok(
        {"total": page.total, "count": len(items), "page": page.page, "EtatDossierResult": items}
    )


def lister_dossiers_v1(numeros_internes: list[str]):
    dossiers = service.lister(
        context.session(), context.opco(), context.caller().siren, numeros_internes
    )
    return ok(schemas.dossiers_details.dump(dossiers))


def notifier_rupture_employeur(body: dict):
    session = context.session()
    dossier = service.notifier_rupture(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        body["numeroInterne"],
        parse_date(body["dateRupture"]),
        body.get("motif"),
    )
    session.commit()
    return ok(
        {
            "numeroInterne": dossier.numero_interne,
            "message": f"Rupture enregistrée ; dossier à l'état {dossier.etat}.",
        }
    )
