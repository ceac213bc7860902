"""POST /v1/factures and GET /v2/factures/etats (norm.md E8, E9)."""

from __future__ import annotations

from opco_server.api import _multipart
from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.schemas import factures as schemas
from opco_server.services import factures as service


def deposer_facture():
    session = context.session()
    nom, contenu = _multipart.fichier()
    facture = service.deposer(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        _multipart.partie_json("facture"),
        nom,
        contenu,
    )
    session.commit()
    return ok(
        {
            "numeroInterneFacture": facture.numero_interne,
            "numeroInterneDocument": facture.fichier.numero,
        }
    )


def lister_etats_factures(numero_page: int = 1):
    page = service.page_etats(
        context.session(), context.opco(), context.caller().siren, numero_page
    )
    items = schemas.etats_factures(context.session(), page.factures)
    return ok({"factures": items, "total": page.total, "count": len(items), "page": page.page})
