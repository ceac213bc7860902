"""How a console view answers: a page (no-store), a redirect after a form (post/redirect/get)
with a flash message, a secret shown once, a French error page.

Flash messages travel in a signed cookie; a secret (a new CFA key, an editor's client_secret)
in an encrypted one, read once by the page that shows it and deleted there: never in a URL,
never in a log, gone on reload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, TypeVar

import flask
from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException

from opco_server.errors import NormError
from opco_server.http import admin, context

FLASH_COOKIE = "opco_console_flash"
SECRET_COOKIE = "opco_console_secret"
# A secret not shown within this delay after its form is lost (generate it again).
DUREE_SECRET_S = 300
SUCCES, ERREUR, INFO = "succes", "erreur", "info"
# What an action answers: a success text, or (kind, text).
Resultat = str | tuple[str, str]
T = TypeVar("T")


def _secret() -> bytes:
    """Signs the anti-CSRF tokens and flash messages (shared by the server's workers)."""
    return context.sandbox().secret_console.encode()


# --- flash messages ------------------------------------------------------------------------


def _flash_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_secret(), salt="opco-console-flash")


def flash(kind: str, text: str) -> None:
    flask.g.setdefault("console_flash_out", []).append([kind, text[:1500]])


def messages() -> list[list[str]]:
    raw = flask.request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    flask.g.console_flash_read = True
    try:
        return list(_flash_serializer().loads(raw))
    except BadSignature:
        return []


# --- secrets shown once --------------------------------------------------------------------


def _fernet() -> Fernet:
    cle = hmac.new(_secret(), b"opco-console-secret-unique", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(cle))


def confier(nature: str, **valeurs: str) -> None:
    """Hand a secret to the next page (the one the redirect leads to), encrypted."""
    contenu = json.dumps({"nature": nature, **valeurs}).encode()
    flask.g.console_secret_out = _fernet().encrypt(contenu).decode()


def reprendre(nature: str, **attendus: str) -> dict[str, str] | None:
    """The secret handed to this page, once (the cookie is deleted), if it is of this nature
    and for these values (this OPCO, this CFA…); None otherwise."""
    raw = flask.request.cookies.get(SECRET_COOKIE)
    if not raw:
        return None
    flask.g.console_secret_read = True
    try:
        valeurs = json.loads(_fernet().decrypt(raw.encode(), ttl=DUREE_SECRET_S))
    except (InvalidToken, ValueError):
        return None
    if valeurs.get("nature") != nature or any(valeurs.get(k) != v for k, v in attendus.items()):
        return None
    return valeurs


def poser_cookies(response: flask.Response) -> flask.Response:
    options = {"httponly": True, "path": admin.CONSOLE_PREFIX, "secure": flask.request.is_secure}
    out = flask.g.get("console_flash_out")
    if out:
        response.set_cookie(FLASH_COOKIE, _flash_serializer().dumps(out), samesite="Lax", **options)
    elif flask.g.get("console_flash_read"):
        response.delete_cookie(FLASH_COOKIE, path=admin.CONSOLE_PREFIX)
    secret = flask.g.get("console_secret_out")
    if secret:
        response.set_cookie(
            SECRET_COOKIE, secret, max_age=DUREE_SECRET_S, samesite="Strict", **options
        )
    elif flask.g.get("console_secret_read"):
        response.delete_cookie(SECRET_COOKIE, path=admin.CONSOLE_PREFIX)
    return response


# --- answers -------------------------------------------------------------------------------


def page(template: str, status: int = 200, **values: Any):
    auth = context.sandbox().settings.admin_token is not None
    html = flask.render_template(template, messages=messages(), auth=auth, **values)
    return html, status, {"Cache-Control": "no-store"}


def retour(endpoint: str, **values: Any):
    return flask.redirect(flask.url_for(endpoint, **values), 303)


def erreurs(exc: NormError) -> str:
    return " ".join(item.description for item in exc.items) or "Action impossible."


def tenter(action: Callable[[], T]) -> T | None:
    """Run a form's action and commit: its result. On a refusal (a service's NormError), roll
    back, flash why (in French): None."""
    session = context.session()
    try:
        resultat = action()
        session.commit()
    except NormError as exc:
        session.rollback()
        flash(ERREUR, erreurs(exc))
        return None
    return resultat


def agir(action: Callable[[], Resultat], endpoint: str, **values: Any):
    """`tenter` the action, flash what it did, then back to a page (post/redirect/get)."""
    resultat = tenter(action)
    if resultat is not None:
        flash(*((SUCCES, resultat) if isinstance(resultat, str) else resultat))
    return retour(endpoint, **values)


def form(name: str) -> str:
    return (flask.request.form.get(name) or "").strip()


def entier(value: str | None, defaut: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return defaut


# --- error pages ---------------------------------------------------------------------------

TITRES = {
    403: "Accès refusé.",
    404: "Page introuvable.",
    405: "Méthode non autorisée sur cette page.",
}


def _http_error(exc: HTTPException):
    titre = TITRES.get(exc.code or 500, "Erreur.")
    return page("console_erreur.html", exc.code or 500, titre=titre, details=[])


def _norm_error(exc: NormError):
    titre = TITRES[404] if exc.status_code == 404 else "Action impossible"
    details = [item.description for item in exc.items]
    return page("console_erreur.html", exc.status_code, titre=titre, details=details)


def installer(bp: flask.Blueprint) -> None:
    bp.after_request(poser_cookies)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(NormError, _norm_error)
