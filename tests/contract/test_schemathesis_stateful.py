"""Stateful schemathesis over the norm, along the spec's OpenAPI links (an addition of the
sandbox): token → POST /v1|v2/dossiers → GET dossier (v1, v2, liste) and états → rupture,
facture → états des factures, documents. Every step: no server error, every check.

Its own app on a throw-away SQLite database, clock frozen a few days after the demo contract's
conclusion so that the contract is valid and its dossier can be created.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import Bundle
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.specs.openapi.stateful import _step_case_strategy, is_root_allowed, transition

from opco_server.horloge import Horloge
from tests.conftest import ROOT, NormClient, app_jetable

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
CONTRAT = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
# Magic names (README): some dossiers go straight to ENGAGE so that rupture and factures can
# meet an engaged dossier; the others stay in instruction.
NOMS = itertools.cycle(["SANDBOX-ENGAGE", "MARTIN", "SANDBOX-ENGAGE", "SANDBOX-ATTENTE"])
PRENOMS = (f"Prenom{i}" for i in itertools.count())


APP = app_jetable("opco-stateful-st-", Horloge(figee_a=datetime(2026, 8, 25, 9, tzinfo=UTC)))
APP.app.extensions["opco.sandbox"].etat.changer_profil("norme-stricte")
with APP.test_client() as _client:
    from opco_server.donnees.seed import identities

    _ids = identities(APP.app.extensions["opco.sandbox"])
    _headers = NormClient(_client, _ids).headers()
AUTH = {k: v for k, v in _headers.items() if k in {"Authorization", "X-API-KEY"}}
EDITEUR = _ids["editeur"]

schema = schemathesis.openapi.from_asgi("/akto/openapi.json", APP)


@schema.auth()
class DemoCredentials:
    """The demo editor's token and CFA key. A token that a link carries from POST
    /connect/token replaces this one (links are applied after authentication)."""

    def get(self, case, context):
        return AUTH

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}


TOKEN = schema.find_operation_by_id("authentification.obtenir_jeton")


class Workflow(schema.as_state_machine()):
    # Schemathesis's dependency analysis reads `client_id` of the token form as a reference to a
    # "Client" resource that no operation creates, so POST /connect/token would never start a
    # scenario and its links would never run. Declared a scenario start here, as schemathesis
    # declares its own ones (schemathesis 4.32: these helpers are not public API).
    RANDOM__POST_connect_token = transition(
        name="RANDOM__POST_connect_token",
        target=Bundle("catch_all"),
        precondition=is_root_allowed(TOKEN.label),
        input=_step_case_strategy(TOKEN, list(GenerationMode), feedback=NO_FEEDBACK).map(
            StepInput.initial
        ),
    )

    def before_call(self, case):
        """Random Cerfas and credentials are refused (the stateless test covers them): schema-valid
        cases get a real contract and the demo credentials, so that the links are followed.

        The auth hook sets the demo token when a case is generated, over the token that a link
        from POST /connect/token carries: that one is put back, so that the call uses it."""
        node = self.recorder.cases.get(case.id)
        if node is not None and node.transition is not None:
            token = node.transition.parameters.get("headers", {}).get("Authorization")
            if token is not None and isinstance(token.value, Ok) and node.is_transition_applied:
                case.headers = {**(case.headers or {}), "Authorization": token.value.ok()}
        if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
            return
        operation = case.operation
        if operation.method == "post" and operation.path in ("/v1/dossiers", "/v2/dossiers"):
            body = copy.deepcopy(CONTRAT)
            body["cerfa"]["apprenti"]["nom"] = next(NOMS)
            body["cerfa"]["apprenti"]["prenom"] = next(PRENOMS)
            case.body = body
        elif operation.method == "post" and operation.path == "/connect/token":
            case.body = {
                "grant_type": "client_credentials",
                "client_id": EDITEUR["client_id"],
                "client_secret": EDITEUR["client_secret"],
            }


def test_client_workflow_along_the_links():
    Workflow.run(
        settings=hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
