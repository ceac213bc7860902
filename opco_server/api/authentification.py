"""POST /{opco}/connect/token: OAuth2 client credentials for editors (DPoP at AFDAS)."""

from __future__ import annotations

import flask
from connexion import context as connexion_context

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.http.validation import ecarts_toleres
from opco_server.services import authentification as service


def obtenir_jeton(body: dict | None = None, **form: str):
    jeton = service.obtenir_jeton(
        context.session(), context.sandbox(), context.opco(), _demande({**(body or {}), **form})
    )
    return ok(
        {
            "access_token": jeton.access_token,
            "token_type": "Bearer",
            "expires_in": jeton.expires_in,
            "scope": jeton.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _demande(champs: dict) -> service.DemandeJeton:
    request = flask.request
    host = request.headers.get("Host", "localhost")
    return service.DemandeJeton(
        champs=champs,
        autorisation=request.headers.get("Authorization"),
        preuve_dpop=request.headers.get("DPoP"),
        methode=request.method,
        url=f"{request.scheme}://{host}/{context.opco().id}/connect/token",
        ecarts=ecarts_toleres(connexion_context.scope),
    )
