"""The console's home: the eleven OPCOs and their dossiers by state, and the sandbox clock
(set, freeze, free, advance, back to real time) through the control API's services."""

from __future__ import annotations

import flask

from opco_server.console import filtres, graphiques, pages
from opco_server.console.pages import ERREUR
from opco_server.errors import NormError
from opco_server.http import context
from opco_server.services import horloge, suivi


def accueil():  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    comptes = suivi.comptes_par_opco(context.session())
    opcos = list(sandbox.opcos)
    return pages.page(
        "console_accueil.html",
        opcos=opcos,
        comptes=comptes,
        etats=filtres.ETATS,
        horloge=horloge.decrire(sandbox.horloge),
        graphique=graphiques.etats_par_opco(opcos, comptes, filtres.ETATS, _lien_dossiers),
    )


def _lien_dossiers(opco_id: str, etat: str) -> str:
    return flask.url_for("console.dossiers", opco_id=opco_id, etat=etat)


def _actions(n: int) -> str:
    return f"{n} action(s) du back-office OPCO exécutée(s)"


def avancer():  # type: ignore[no-untyped-def]
    try:
        jours, heures = (int(pages.form(champ) or "0") for champ in ("jours", "heures"))
    except ValueError:
        jours = heures = 0
    if (jours, heures) == (0, 0):
        pages.flash(ERREUR, "Indiquez un nombre entier de jours ou d'heures, positif.")
        return pages.retour("console.accueil")

    def action() -> str:
        n = len(horloge.avancer(context.session(), context.sandbox(), jours, heures))
        return f"Horloge avancée de {jours} jour(s) et {heures} heure(s) : {_actions(n)}."

    return pages.agir(action, "console.accueil")


def _instant(obligatoire: bool):  # type: ignore[no-untyped-def]
    """The form's instant (datetime-local, read as UTC), or the flash saying what is wrong."""
    try:
        instant = horloge.lire_instant(pages.form("instant") or None, "instant")
    except NormError:
        instant, obligatoire = None, True
    if instant is None and obligatoire:
        pages.flash(ERREUR, "Indiquez une date et une heure valides (UTC, entre 2000 et 2100).")
        return None, pages.retour("console.accueil")
    return instant, None


def regler():  # type: ignore[no-untyped-def]
    instant, refus = _instant(obligatoire=True)
    if refus is not None:
        return refus

    def action() -> str:
        n = len(horloge.regler(context.session(), context.sandbox(), instant))
        return f"Horloge modifiée : {_actions(n)}."

    return pages.agir(action, "console.accueil")


def figer():  # type: ignore[no-untyped-def]
    instant, refus = _instant(obligatoire=False)
    if refus is not None:
        return refus

    def action() -> str:
        n = len(horloge.figer(context.session(), context.sandbox(), instant))
        return f"Horloge figée : {_actions(n)}."

    return pages.agir(action, "console.accueil")


def liberer():  # type: ignore[no-untyped-def]
    def action() -> str:
        horloge.liberer(context.sandbox())
        return "Horloge libérée : elle avance de nouveau en temps réel."

    return pages.agir(action, "console.accueil")


def revenir_au_temps_reel():  # type: ignore[no-untyped-def]
    def action() -> str:
        n = len(horloge.revenir_au_temps_reel(context.session(), context.sandbox()))
        return f"Horloge revenue à l'heure réelle : {n} action(s) exécutée(s)."

    return pages.agir(action, "console.accueil")


ROUTES = (
    ("/", "accueil", accueil, ("GET",)),
    ("/horloge/avancer", "horloge_avancer", avancer, ("POST",)),
    ("/horloge/regler", "horloge_regler", regler, ("POST",)),
    ("/horloge/figer", "horloge_figer", figer, ("POST",)),
    ("/horloge/liberer", "horloge_liberer", liberer, ("POST",)),
    ("/horloge/reinitialiser", "horloge_reinitialiser", revenir_au_temps_reel, ("POST",)),
)
