"""POST /v2/certificats (norm.md E10)."""

from __future__ import annotations

from opco_server.api import _multipart
from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.services import certificats as service


def deposer_certificat():
    session = context.session()
    nom, contenu = _multipart.fichier()
    certificat = _multipart.partie_json("certificat")
    service.deposer_certificat(
        session,
        context.sandbox(),
        context.opco(),
        context.caller().siren,
        certificat,
        nom,
        contenu,
    )
    session.commit()
    return ok(
        {
            "numeroInterne": str(certificat["numeroInterneDossier"]),
            "message": f"Certificat de réalisation ({certificat['typeCertificat']}) reçu.",
        }
    )
