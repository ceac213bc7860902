"""Control API: the sandbox clock (spec/sandbox.yaml)."""

from __future__ import annotations

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.schemas import pilotage as schemas
from opco_server.services import horloge


def consulter():
    return ok(horloge.decrire(context.sandbox().horloge))


def regler(body: dict):
    instant = horloge.lire_instant(body["instant"])
    horloge.regler(context.session(), context.sandbox(), instant)
    return _valider()


def figer(body: dict | None = None):
    instant = horloge.lire_instant((body or {}).get("instant"))
    horloge.figer(context.session(), context.sandbox(), instant)
    return _valider()


def liberer():
    horloge.liberer(context.sandbox())
    return consulter()


def reinitialiser():
    horloge.revenir_au_temps_reel(context.session(), context.sandbox())
    return _valider()


def avancer(body: dict):
    transitions = horloge.avancer(
        context.session(),
        context.sandbox(),
        body.get("jours", 0),
        body.get("heures", 0),
        body.get("minutes", 0),
    )
    context.session().commit()
    return ok(
        {
            "horloge": horloge.decrire(context.sandbox().horloge),
            "transitions": [schemas.transition(t) for t in transitions],
        }
    )


def _valider():
    """Commit what the back office ran meanwhile; answer the clock."""
    context.session().commit()
    return consulter()
