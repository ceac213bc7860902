"""The console's Jinja filters: the French formats and labels of console/libelles.py."""

from __future__ import annotations

import flask

from opco_server.console import libelles
from rules.cycle_de_vie import Etat

ETATS = [e.value for e in Etat]


def installer(bp: flask.Blueprint) -> None:
    for nom, filtre in libelles.FILTRES.items():
        bp.add_app_template_filter(filtre, nom)
