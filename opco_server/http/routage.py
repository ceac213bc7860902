"""ASGI middleware that routes each request to its surface and guards the sandbox's own.

One decision per request, taken on the path routing itself uses (the decoded ASGI path):

- a path routing could read two ways is refused, 400 `PATH_INVALID`: an empty segment (`//`),
  `.` or `..`, a backslash or a control character (NUL, newline…); a query string with a
  control character, 400 `QUERY_INVALID`;
- `/{opco}/…` (any case) is the norm's API of that OPCO: it reaches connexion as `/…` with
  root_path `/{opco}`, lower-cased (SOR OPCOs use `/v1/Factures`); one spec, eleven OPCOs. The
  control API and the console are never reachable below an OPCO (404);
- `/_sandbox/…` is the control API: the Host check (DNS rebinding), then the admin token when
  one is set (but for `/_sandbox/health`), then, for a write, JSON only (415) and no foreign
  origin (403: CSRF). The console's cookie is not accepted here;
- `/console/…` is the console: the Host check here, its session and anti-CSRF token in it.

Media types are matched case-insensitively (RFC 9110): the Content-Type's type is lower-cased
for everything behind; a body without Content-Type is refused (415).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.errors import (
    BadRequest,
    ErrorItem,
    Forbidden,
    NormError,
    NotFound,
    Unauthorized,
    UnsupportedMediaType,
)
from opco_server.http import admin
from opco_server.http.context import SCOPE_OPCO, SCOPE_PANNE, SCOPE_SANDBOX, chemin_relatif
from opco_server.sandbox import Sandbox

CONTROL_PREFIX = admin.CONTROL_PREFIX
_CONTROLE = re.compile(r"[\x00-\x1f\x7f\\]")
_CONTROLE_REQUETE = re.compile(rb"[\x00-\x1f\x7f]")


class TropDeTentatives(NormError):
    status = 429


def _chemin_ambigu(path: str) -> bool:
    if _CONTROLE.search(path):
        return True
    segments = path.split("/")[1:]
    # A trailing slash is one empty last segment (routing redirects it); any other is `//`.
    return any(s in ("", ".", "..") for s in segments[:-1]) or segments[-1:] in (["."], [".."])


def _route_introuvable() -> NotFound:
    return NotFound.one(
        "ROUTE_NOT_FOUND", "Ressource inconnue : vérifiez l'URL (préfixe de l'OPCO, version)."
    )


class RoutingMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # no websocket here
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Changed in place: the exception handlers (outside) then see the OPCO too.
        scope[SCOPE_SANDBOX] = self.sandbox
        root = scope.get("root_path", "")
        relative = chemin_relatif(scope)
        if not relative.startswith("/") or _chemin_ambigu(relative):
            raise BadRequest.one(
                "PATH_INVALID",
                "Chemin invalide : segment vide (« // »), « . » ou « .. », barre oblique inverse "
                "ou caractère de contrôle.",
            )
        if _CONTROLE_REQUETE.search(unquote_to_bytes(scope.get("query_string", b""))):
            raise BadRequest.one(
                "QUERY_INVALID", "Paramètres de requête invalides : caractère de contrôle (NUL…)."
            )
        headers = admin.headers_of(scope["headers"])
        _types_de_contenu(scope, headers)
        first, _, rest = relative[1:].partition("/")
        area = first.lower()
        if area in self.sandbox.opcos:
            self._vers_opco(scope, root, area, rest)
        elif "/" + area in (admin.CONTROL_PREFIX, admin.CONSOLE_PREFIX):
            await self._garder(scope, headers, "/" + area, relative)
            if first != area:
                raise _route_introuvable()
        # Off the event loop: adopt the shared clock and profile, and read this OPCO's
        # simulated faults once (PannesMiddleware takes them from the scope).
        opco = scope.get(SCOPE_OPCO)
        scope[SCOPE_PANNE] = await anyio.to_thread.run_sync(self.sandbox.etat.pannes_de, opco)
        await self.app(scope, receive, send)

    @staticmethod
    def _vers_opco(scope: Scope, root: str, opco_id: str, rest: str) -> None:
        remainder = "/" + rest
        inner = rest.partition("/")[0].lower()
        if "/" + inner in (admin.CONTROL_PREFIX, admin.CONSOLE_PREFIX):
            raise _route_introuvable()  # never below an OPCO
        if not remainder.startswith("/ui"):
            remainder = remainder.lower()
        scope[SCOPE_OPCO] = opco_id
        scope["root_path"] = f"{root}/{opco_id}"
        scope["path"] = scope["root_path"] + remainder
        scope["raw_path"] = scope["path"].encode()

    async def _garder(self, scope: Scope, headers: dict[str, str], area: str, path: str) -> None:
        """The guards of the control API and the console, on the path routing uses."""
        settings = self.sandbox.settings
        if admin.host_enforced(settings) and not admin.host_allowed(
            settings, headers.get("host", "")
        ):
            raise Forbidden.one(
                "HOST_NOT_ALLOWED",
                "Nom d'hôte non autorisé pour la console et l'API de pilotage (OPCO_HOTES).",
            )
        if area != admin.CONTROL_PREFIX or path.rstrip("/").lower() == admin.HEALTH_PATH:
            return
        token = settings.admin_token
        if token is not None:
            await self._verifier_jeton(scope, token, headers)
        if scope["method"] in admin.SAFE_METHODS:
            return
        if (raison := admin.foreign_origin(headers)) is not None:
            raise Forbidden.one(
                "ORIGIN_REFUSED",
                f"Requête d'un autre site refusée ({raison}) : l'API de pilotage n'accepte que "
                "les appels directs ou de ses propres pages.",
            )
        if "content-type" in headers and admin.media_type(headers["content-type"]) != (
            "application/json"
        ):
            raise UnsupportedMediaType.one(
                "MEDIA_TYPE_UNSUPPORTED",
                "Type de contenu non supporté : l'API de pilotage n'accepte que application/json.",
            )

    async def _verifier_jeton(self, scope: Scope, token: str, headers: dict[str, str]) -> None:
        """The admin token, in constant time; an address that failed too often waits, even
        with the right token (a guesser who guessed right gains nothing)."""
        from opco_server.services import acces

        adresse = (scope.get("client") or ("?",))[0]
        attente = await anyio.to_thread.run_sync(acces.attente, self.sandbox, adresse)
        if attente is not None:
            raise TropDeTentatives(
                ErrorItem(
                    "TOO_MANY_ATTEMPTS",
                    f"Trop de tentatives échouées depuis cette adresse : réessayez dans "
                    f"{attente} s.",
                ),
                headers={"Retry-After": str(attente)},
            )
        offert = admin.offered_token(headers)
        if admin.token_matches(token, offert):
            return
        if offert:  # a wrong token is a failed attempt; a missing one is not
            await anyio.to_thread.run_sync(acces.echouer, self.sandbox, adresse)
        raise Unauthorized(
            ErrorItem(
                "ADMIN_TOKEN_REQUIRED",
                "Jeton d'administration requis (en-tête « Authorization: Bearer … » ou "
                "« X-Admin-Token »).",
            ),
            headers={"WWW-Authenticate": 'Bearer realm="opco-sandbox-pilotage"'},
        )


def _types_de_contenu(scope: Scope, headers: dict[str, str]) -> None:
    """Lower-case the media type (its parameters, a multipart boundary among them, kept);
    refuse a body sent without a Content-Type (415 naming what to send)."""
    content_type = headers.get("content-type")
    if content_type is None or not content_type.strip():
        longueur = headers.get("content-length", "").strip()
        if "transfer-encoding" in headers or (longueur and longueur != "0"):
            raise UnsupportedMediaType.one(
                "MEDIA_TYPE_UNSUPPORTED",
                "En-tête Content-Type absent : indiquez le type du corps envoyé "
                "(application/json, application/x-www-form-urlencoded ou multipart/form-data).",
            )
        return
    media, sep, params = content_type.partition(";")
    if media.strip().lower() != media:
        value = (media.strip().lower() + sep + params).encode("latin-1")
        scope["headers"] = [
            (k, value if k.lower() == b"content-type" else v) for k, v in scope["headers"]
        ]
