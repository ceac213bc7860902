"""Who may use the console: the admin session cookie (login, logout) when the sandbox has an
admin token, and the anti-CSRF token every form carries, whatever the mode.

The session itself (server-side, hashed) is services.acces's; the Host check and the control
API's token are the edge's (http.routage, http.admin): nothing here is imported there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import flask
from markupsafe import Markup

from opco_server.console import pages
from opco_server.http import admin, context
from opco_server.services import acces

# The console's session cookie (for /console only: the control API takes the token itself).
LOGIN_COOKIE = "opco_console_session"
CSRF_COOKIE = "opco_console_csrf"
CSRF_FIELD = "csrf"
# What the login page itself shows, reachable without a session.
SANS_SESSION = ("console.connexion", "console.favicon")


def _admin_token() -> str | None:
    return context.sandbox().settings.admin_token


def _logged_in(token: str) -> bool:
    valeur = flask.request.cookies.get(LOGIN_COOKIE, "")
    return acces.session_valide(context.sandbox(), token, valeur)


# --- anti-CSRF token (signed double submit) -------------------------------------------------


def _csrf_cookie() -> str:
    """This browser's random anti-CSRF value, created (and set by _poser_csrf) when absent."""
    if "console_csrf" not in flask.g:
        valeur = flask.request.cookies.get(CSRF_COOKIE, "")
        if not (20 <= len(valeur) <= 100):
            valeur = secrets.token_urlsafe(32)
            flask.g.console_csrf_neuf = True
        flask.g.console_csrf = valeur
    return flask.g.console_csrf


def csrf_token() -> str:
    """The token every console form carries: HMAC of this browser's cookie value. A page of
    another site can neither read the cookie nor compute the HMAC (signed double submit)."""
    secret = context.sandbox().secret_console.encode()
    return hmac.new(secret, _csrf_cookie().encode(), hashlib.sha256).hexdigest()


def csrf_champ() -> Markup:
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">')


def _poser_csrf(response: flask.Response) -> flask.Response:
    if flask.g.get("console_csrf_neuf"):
        response.set_cookie(
            CSRF_COOKIE,
            flask.g.console_csrf,
            httponly=True,
            samesite="Strict",
            path=admin.CONSOLE_PREFIX,
            secure=flask.request.is_secure,
        )
    return response


def _refuser_csrf(raison: str):  # type: ignore[no-untyped-def]
    details = [f"Formulaire refusé ({raison}) : rechargez la page de la console et recommencez."]
    return pages.page("console_erreur.html", 403, titre="Accès refusé", details=details)


def _garder():  # type: ignore[no-untyped-def]
    """Before every console request: forms from this browser only, then the admin session."""
    request = flask.request
    # A NUL in the path or the query never gets here (RoutingMiddleware: 400); in a form field
    # it would reach the database (PostgreSQL refuses it).
    if any("\x00" in v for v in request.form.values()):
        flask.abort(400)
    if request.method not in admin.SAFE_METHODS:
        # Cross-site form posts (CSRF): a foreign Origin or Sec-Fetch-Site, or no valid
        # token of this browser's cookie, whatever the mode (open sandbox or admin token).
        raison = admin.foreign_origin(request.headers)
        if raison is not None:
            return _refuser_csrf(f"requête d'un autre site : {raison}")
        offert = request.form.get(CSRF_FIELD, "")
        if CSRF_COOKIE not in request.cookies or not hmac.compare_digest(
            offert.encode(), csrf_token().encode()
        ):
            return _refuser_csrf("jeton anti-CSRF absent ou invalide")
    token = _admin_token()
    if token is None or request.endpoint in SANS_SESSION or _logged_in(token):
        return None
    return flask.redirect(flask.url_for("console.connexion", suite=request.path), 303)


# --- login (only when settings.admin_token is set) ------------------------------------------


def _suite_sure(suite: str | None) -> str:
    """Only back into the console: never an open redirect."""
    if suite and suite.startswith("/console/") and not suite.startswith("//"):
        return suite
    return flask.url_for("console.accueil")


def connexion():  # type: ignore[no-untyped-def]
    token = _admin_token()
    suite = _suite_sure(flask.request.values.get("suite"))
    if token is None:
        return flask.redirect(suite, 303)
    if flask.request.method == "GET":
        return pages.page("console_connexion.html", suite=suite, erreur=None)
    sandbox, adresse = context.sandbox(), flask.request.remote_addr or "?"
    attente = acces.attente(sandbox, adresse)
    if attente is None and not admin.token_matches(token, flask.request.form.get("jeton", "")):
        acces.echouer(sandbox, adresse)
        return pages.page("console_connexion.html", 401, suite=suite, erreur="Jeton incorrect.")
    if attente is not None:
        erreur = f"Trop de tentatives échouées depuis cette adresse : réessayez dans {attente} s."
        html, status, headers = pages.page(
            "console_connexion.html", 429, suite=suite, erreur=erreur
        )
        return html, status, {**headers, "Retry-After": str(attente)}
    response = flask.redirect(suite, 303)
    response.set_cookie(
        LOGIN_COOKIE,
        acces.ouvrir_session(sandbox, token),
        max_age=int(acces.DUREE_SESSION.total_seconds()),
        httponly=True,
        samesite="Lax",
        path=admin.CONSOLE_PREFIX,
        secure=flask.request.is_secure,
    )
    return response


def deconnexion():  # type: ignore[no-untyped-def]
    """The session ends on the server too: a copy of the cookie is worthless afterwards."""
    acces.fermer_session(context.sandbox(), flask.request.cookies.get(LOGIN_COOKIE, ""))
    response = flask.redirect(flask.url_for("console.connexion"), 303)
    response.delete_cookie(LOGIN_COOKIE, path=admin.CONSOLE_PREFIX)
    return response


ROUTES = (
    ("/connexion", "connexion", connexion, ("GET", "POST")),
    ("/deconnexion", "deconnexion", deconnexion, ("POST",)),
)


def installer(bp: flask.Blueprint) -> None:
    bp.before_request(_garder)
    bp.after_request(_poser_csrf)
    bp.add_app_template_global(csrf_champ, "csrf_champ")
