"""POST /v1/documents (norm.md E11)."""

from __future__ import annotations

from opco_server.api import _multipart
from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.services import documents as service


def deposer_document():
    session = context.session()
    nom, contenu = _multipart.fichier()
    fichier = service.deposer_document(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        _multipart.partie_json("infosFichier"),
        nom,
        contenu,
    )
    session.commit()
    return ok({"numeroInterneDocument": fichier.numero})
