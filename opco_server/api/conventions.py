"""POST /v1/conventions (norm.md E7): the convention JSON part and its signed PDF."""

from __future__ import annotations

from opco_server.api import _multipart
from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.services import conventions as service


def deposer_convention():
    session = context.session()
    nom, contenu = _multipart.fichier()
    donnees = _multipart.partie_json("convention")
    convention = service.deposer_convention(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        donnees,
        nom,
        contenu,
    )
    session.commit()
    return ok(
        {
            "numeroInterne": str(donnees["numeroInterneDossier"]),
            "numeroInterneDocument": convention.fichier.numero,
            "message": "Convention de formation reçue.",
        }
    )
