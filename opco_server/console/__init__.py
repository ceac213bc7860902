"""The web console under /console/: the OPCO portal side of the sandbox and the tester's
controls, in French.

Server-rendered pages (Jinja2, autoescaped), one module per area; every view calls the same
services as the control API (spec/sandbox.yaml) and holds no query nor rule of its own:

- acces: the admin session (login, logout) and the anti-CSRF token of every form;
- pages: rendering, flash messages, secrets shown once, post/redirect/get, error pages;
- filtres: the Jinja filters (dates, instants, amounts, states);
- accueil (the OPCOs, the clock), opcos (keys, editors, dialect), dossiers, factures,
  journal, conformite, reglages (profile, reset, scenarios, faults).
"""

from __future__ import annotations

import flask

from opco_server.console import (
    acces,
    accueil,
    conformite,
    dossiers,
    factures,
    filtres,
    journal,
    opcos,
    pages,
    reglages,
)

AREAS = (acces, accueil, opcos, dossiers, factures, journal, conformite, reglages)


def register_console(flask_app: flask.Flask) -> None:
    """Build the console's blueprint and mount it on the Flask app of create_app."""
    console = flask.Blueprint(
        "console", __name__, url_prefix="/console", template_folder="templates"
    )
    acces.installer(console)
    pages.installer(console)
    filtres.installer(console)
    for area in AREAS:
        for rule, endpoint, view, methods in area.ROUTES:
            console.add_url_rule(rule, endpoint, view, methods=list(methods))
    flask_app.register_blueprint(console)


__all__ = ["register_console"]
