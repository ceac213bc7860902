"""The sandbox's own control API (spec/sandbox.yaml), mounted under /_sandbox."""

from __future__ import annotations

import flask
from sqlalchemy import text

from opco_server import context
from opco_server.api._responses import ok


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
