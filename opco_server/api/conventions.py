"""POST /v1/conventions (norm.md E7): the convention JSON part and its signed PDF."""

from __future__ import annotations

import flask

from opco_server import context
from opco_server.api._responses import ok
from opco_server.services import pieces


def deposer_convention(body: dict, **_parts: object):
    session, upload = context.session(), flask.request.files.get("fichier")
    convention = pieces.deposer_convention(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        body["convention"],
        upload.filename if upload else None,
        upload.read() if upload else b"",
    )
    session.commit()
    return ok(
        {
            "numeroInterne": body["convention"]["numeroInterneDossier"],
            "numeroInterneDocument": convention.fichier.numero,
            "message": "Convention de formation reçue.",
        }
    )
