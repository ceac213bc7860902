"""POST /{opco}/connect/token: OAuth2 client credentials for editors."""

from __future__ import annotations

from opco_server import context
from opco_server.api._responses import ok
from opco_server.services import identites


def obtenir_jeton(body: dict | None = None, **form: str):
    data = {**(body or {}), **form}
    session = context.session()
    issued = identites.emettre_jeton(
        session,
        context.sandbox().clock,
        context.opco(),
        data.get("grant_type"),
        data.get("client_id"),
        data.get("client_secret"),
        data.get("scope"),
    )
    session.commit()
    return ok(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
