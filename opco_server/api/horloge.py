"""Control API: the sandbox clock (spec/sandbox.yaml)."""

from __future__ import annotations

from datetime import timedelta

from opco_server.api._responses import instant as _instant
from opco_server.api._responses import ok
from opco_server.errors import BadRequest
from opco_server.http import context
from opco_server.services import horloge, simulateur


def consulter():
    return ok(horloge.decrire(context.sandbox().horloge))


def regler(body: dict):
    context.sandbox().horloge.regler(_instant(body["instant"]))
    return _apres_changement()


def figer(body: dict | None = None):
    context.sandbox().horloge.figer(_instant((body or {}).get("instant")))
    return _apres_changement()


def liberer():
    context.sandbox().horloge.liberer()
    return consulter()


def reinitialiser():
    context.sandbox().horloge.reinitialiser()
    return consulter()


def avancer(body: dict):
    delta = timedelta(
        days=body.get("jours", 0), hours=body.get("heures", 0), minutes=body.get("minutes", 0)
    )
    sandbox = context.sandbox()
    if (sandbox.horloge.maintenant() + delta).year > 2100:
        raise BadRequest.one("FORMAT_INVALID", "L'horloge ne peut pas dépasser l'an 2100.", "jours")
    sandbox.horloge.avancer(delta)
    transitions = _rattraper()
    return ok(
        {
            "horloge": horloge.decrire(sandbox.horloge),
            "transitions": [_transition(t) for t in transitions],
        }
    )


def _apres_changement():
    _rattraper()
    return consulter()


def _rattraper() -> list[simulateur.Transition]:
    """Run everything that became due, in order, before answering."""
    sandbox, session = context.sandbox(), context.session()
    transitions = simulateur.traiter(session, sandbox, sandbox.horloge.maintenant())
    session.commit()
    return transitions


def _transition(t: simulateur.Transition) -> dict:
    return {
        "opco": t.opco,
        "numeroInterne": t.numero_interne,
        "etatAvant": t.de,
        "etatApres": t.vers,
        "horodatage": t.horodatage.isoformat(timespec="seconds"),
        "cause": t.cause,
    }
