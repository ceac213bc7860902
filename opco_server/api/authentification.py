"""POST /{opco}/connect/token: OAuth2 client credentials for editors (DPoP at AFDAS)."""

from __future__ import annotations

from datetime import UTC, datetime

import flask
from connexion import context as connexion_context
from sqlalchemy.exc import IntegrityError

from opco_server.api._responses import ok
from opco_server.errors import OAuthError
from opco_server.http import context, dpop, tolerance
from opco_server.http.validation import ecarts_toleres
from opco_server.models import JtiDPoP
from opco_server.services import identites


def obtenir_jeton(body: dict | None = None, **form: str):
    data = {**(body or {}), **form}
    sandbox, opco = context.sandbox(), context.opco()
    # client_secret_basic (Authorization header) or client_secret_post (form), not both.
    client_id, client_secret = identites.identifiants_client(
        flask.request.headers.get("Authorization"),
        data.get("client_id"),
        data.get("client_secret"),
    )
    dialecte = sandbox.dialecte(opco.id)
    if dialecte.dpop or (opco.dialecte.dpop and flask.request.headers.get("DPoP")):
        # Under the strict norm no proof is required, but one that is sent to an OPCO that
        # uses DPoP is checked by RFC 9449 as written (its `jwk` included).
        # The proof's jti is stored: the only database write of a token request.
        session = context.session()
        _verifier_dpop(session, sandbox)
        session.commit()
    if dialecte.scopes is not None:
        identites.verifier_scopes(data.get("scope"), dialecte.scopes)
    issued = identites.emettre_jeton(
        sandbox.etat.courant(),
        opco,
        data.get("grant_type"),
        client_id,
        client_secret,
        data.get("scope"),
    )
    return ok(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _verifier_dpop(session, sandbox) -> None:  # type: ignore[no-untyped-def]
    """RFC 9449 proof on the token request; each jti is accepted once (unique key)."""
    request = flask.request
    host = request.headers.get("Host", "localhost")
    url = f"{request.scheme}://{host}/{context.opco().id}/connect/token"
    # Under `dialectes`, a proof without `jwk` (as production clients send it) is accepted and
    # recorded as a norm deviation; under `norme-stricte` it stays DPOP_JWK.
    ecarts = ecarts_toleres(connexion_context.scope)
    try:
        preuve = dpop.verifier_preuve(
            request.headers.get("DPoP"),
            methode=request.method,
            url=url,
            # The proof's iat is the client's real clock, not the sandbox's business time.
            maintenant=datetime.now(UTC),
            deja_vus=lambda jti: session.get(JtiDPoP, jti) is not None,
            jwk_facultatif=ecarts is not None,
        )
        if preuve.jwk_absent and ecarts is not None:
            ecarts.append((tolerance.DPOP_JWK_ABSENT, "DPoP.jwk"))
        session.add(JtiDPoP(jti=preuve.jti, vu_le=sandbox.horloge.maintenant()))
        session.flush()
    except dpop.DPoPError as exc:
        raise OAuthError(400, "invalid_dpop_proof", exc.code, exc.description) from exc
    except IntegrityError as exc:
        session.rollback()
        err = dpop.DPoPError("DPOP_REPLAY")
        raise OAuthError(400, "invalid_dpop_proof", err.code, err.description) from exc
