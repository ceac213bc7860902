"""GET /v1/status and GET /v2/cfakeyinfo (norm.md E1, E2)."""

from __future__ import annotations

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.services import systeme as service
from opco_server.wire import format_date


def consulter_statut():
    statut = service.statut(context.opco(), context.sandbox().horloge)
    return ok(
        {
            "status": "OK",
            "opco": statut.opco,
            "versions": list(statut.versions),
            "dateHeure": statut.date_heure.isoformat(timespec="seconds"),
        }
    )


def consulter_cle_cfa(siren: str, xapikey: str):
    sandbox = context.sandbox()
    info = service.info_cle(
        sandbox.etat.courant(), sandbox.horloge, context.opco().id, siren, xapikey
    )
    return ok(
        {
            "status": info.status,
            "dateFinValidite": format_date(info.date_fin_validite),
            "comment": info.comment,
        }
    )
