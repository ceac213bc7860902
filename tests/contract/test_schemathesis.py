"""Schemathesis over every implemented operation of the norm: no server error, no response
that breaks the spec, with a real editor token and CFA key so that requests get past auth.

The schema is loaded at import time (schemathesis needs it to parametrize), from an app of
its own on a throw-away SQLite database seeded with the demo identities.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.conftest import NormClient, app_jetable

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


APP = app_jetable("opco-schemathesis-")
# The spec is the norm: check it as such (OPCO dialects are deviations, tested elsewhere).
APP.app.extensions["opco.sandbox"].etat.changer_profil("norme-stricte")
with APP.test_client() as _client:
    from opco_server.donnees.seed import identities

    _ids = identities(APP.app.extensions["opco.sandbox"])
    _headers = NormClient(_client, _ids).headers()
AUTH = {k: v for k, v in _headers.items() if k in {"Authorization", "X-API-KEY"}}

schema = schemathesis.openapi.from_asgi("/akto/openapi.json", APP)


@schema.auth()
class DemoCredentials:
    """The demo editor's token and CFA key, applied like any client would send them."""

    def get(self, case, context):
        return AUTH

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_norm_api_never_errors(case):
    case.call_and_validate()
