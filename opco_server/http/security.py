"""The norm's double authentication, plugged into connexion's security middleware.

Editors present an OAuth2 bearer token issued by the OPCO's /connect/token; CFAs present
their per-OPCO key in X-API-KEY. Connexion's stock handlers treat a missing credential as
"try the next scheme"; the norm wants a missing token to be 401 and a missing key 403, so
these handlers always call the verification functions, which raise the norm's errors.
"""

from __future__ import annotations

from connexion.security import ApiKeySecurityHandler, OAuthSecurityHandler

from opco_server.errors import Forbidden, Unauthorized
from opco_server.http.context import noter_appelant, sandbox_from_scope
from opco_server.services import authentification, identites


class _SignaturesConnues:
    """connexion inspects the verification function's signature at every request (~0.1 ms);
    the answer never changes: kept per handler and function."""

    def _accepts_kwarg(self, func, keyword: str) -> bool:  # type: ignore[no-untyped-def, override]
        connues = self.__dict__.setdefault("_signatures", {})
        if (func, keyword) not in connues:
            connues[(func, keyword)] = super()._accepts_kwarg(func, keyword)  # type: ignore[misc]
        return connues[(func, keyword)]


class BearerTokenHandler(_SignaturesConnues, OAuthSecurityHandler):
    def _get_verify_func(self, token_info_func, scope_validate_func, required_scopes):  # type: ignore[no-untyped-def]
        check = self.check_oauth_func(token_info_func, scope_validate_func)

        def wrapper(request):  # type: ignore[no-untyped-def]
            authorization = request.headers.get("Authorization", "")
            scheme, _, token = authorization.strip().partition(" ")
            if not authorization:
                raise Unauthorized.one(
                    "AUTH_TOKEN_MISSING",
                    "Jeton d'accès absent : envoyez « Authorization: Bearer <jeton> ».",
                )
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized.one(
                    "AUTH_TOKEN_INVALID", "En-tête Authorization invalide : schéma Bearer attendu."
                )
            return check(request, token.strip(), required_scopes=required_scopes)

        return wrapper


class CfaKeyHandler(_SignaturesConnues, ApiKeySecurityHandler):
    def _get_verify_func(self, api_key_info_func, loc, name, required_scopes):  # type: ignore[no-untyped-def]
        check = self.check_api_key(api_key_info_func)

        def wrapper(request):  # type: ignore[no-untyped-def]
            value = request.headers.get(name)
            if not value:
                raise Forbidden.one(
                    "AUTH_KEY_MISSING", f"Clé API CFA absente : envoyez l'en-tête « {name} »."
                )
            return check(request, value, required_scopes=required_scopes)

        return wrapper


SECURITY_MAP = {"oauth2": BearerTokenHandler, "apiKey": CfaKeyHandler}


def verify_token(token: str, request) -> dict:  # type: ignore[no-untyped-def]
    """x-tokenInfoFunc: the editor behind a valid, unexpired token of this OPCO."""
    sandbox, opco_id = sandbox_from_scope(request.scope)
    info = authentification.verifier_jeton(sandbox.etat.courant(), opco_id, token)
    noter_appelant(request.scope, client_id=info.client_id)
    return {"sub": info.client_id, "editeur_id": info.editeur_id, "scope": info.scope}


def verify_cfa_key(apikey: str, request) -> dict:  # type: ignore[no-untyped-def]
    """x-apikeyInfoFunc: the CFA SIREN behind a valid, unexpired key of this OPCO."""
    sandbox, opco_id = sandbox_from_scope(request.scope)
    siren = identites.verifier_cle(sandbox.etat.courant(), sandbox.horloge, opco_id, apikey)
    noter_appelant(request.scope, siren=siren)
    return {"sub": siren, "siren": siren, "scope": ""}
