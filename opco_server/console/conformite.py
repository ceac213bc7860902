"""The conformance report of the clients seen in the journal: framed in the console, and as
its own printable page (the control API's report, in HTML)."""

from __future__ import annotations

from opco_server.console import graphiques, pages
from opco_server.http import context
from opco_server.services import conformite, reglages
from opco_server.services import journal as journal_service


def conformite_page():  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    journal_service.a_jour(sandbox)
    verdicts = journal_service.verdicts_par_operation(context.session(), sandbox)
    return pages.page("console_conformite.html", graphique=graphiques.verdicts_operations(verdicts))


def favicon():  # type: ignore[no-untyped-def]
    """The console's icon (<link rel="icon"> of every page, the login page's too)."""
    headers = {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}
    return graphiques.favicon(), 200, headers


def conformite_rapport():  # type: ignore[no-untyped-def]
    """The printable report, framed by /conformite (a full HTML document of its own)."""
    rapports = reglages.rapport_conformite(context.sandbox(), context.session())
    # The report escapes the journal data it shows; no script runs in it.
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "script-src 'none'"}
    return conformite.rapport_html(rapports), 200, headers


ROUTES = (
    ("/conformite", "conformite_page", conformite_page, ("GET",)),
    ("/conformite/rapport", "conformite_rapport", conformite_rapport, ("GET",)),
    ("/favicon.svg", "favicon", favicon, ("GET",)),
)
