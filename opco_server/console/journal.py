"""The request journal: the latest calls to the norm's API, filtered (OPCO, HTTP status or
class such as 4xx, CFA), and one call in full, secrets masked; the control API's reads."""

from __future__ import annotations

import flask

from opco_server.console import graphiques, pages
from opco_server.http import context
from opco_server.services import journal as journal_service

LIMITE = 200


def _statut(texte: str) -> dict[str, int]:
    """ "404" exactly, or a class such as "4xx"; anything else filters nothing."""
    if texte.isascii() and texte.isdigit() and len(texte) == 3:
        return {"statut": int(texte)}
    if len(texte) == 3 and texte[0].isascii() and texte[0].isdigit() and texte[1:].lower() == "xx":
        return {"classe": int(texte[0])}
    return {}


def journal():  # type: ignore[no-untyped-def]
    args = flask.request.args
    opco, statut, cfa = (args.get(k, "").strip() for k in ("opco", "statut", "cfa"))
    entrees = journal_service.consulter(
        context.sandbox(),
        context.session(),
        opco=opco or None,
        cfa=cfa or None,
        limite=LIMITE,
        **_statut(statut),
    )
    tranches = journal_service.statuts_par_tranche(
        context.session(), opco=opco or None, cfa=cfa or None
    )
    return pages.page(
        "console_journal.html",
        graphique=graphiques.statuts_journal(tranches),
        entrees=entrees,
        opco=opco,
        statut=statut,
        cfa=cfa,
        opcos=list(context.sandbox().opcos),
        limite=LIMITE,
    )


def entree_journal(entree_id: int):  # type: ignore[no-untyped-def]
    entree = journal_service.entree(context.sandbox(), context.session(), entree_id)
    return pages.page("console_entree.html", entree=entree)


ROUTES = (
    ("/journal", "journal", journal, ("GET",)),
    ("/journal/<int:entree_id>", "entree_journal", entree_journal, ("GET",)),
)
