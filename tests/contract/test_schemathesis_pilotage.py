"""Schemathesis over the control API (spec/sandbox.yaml, served at /_sandbox/openapi.json):
no server error, no response that breaks the spec, every built-in check.

Its own app on a throw-away SQLite database, no admin token (the control API is then open).
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS, load_all_checks

from tests.conftest import app_jetable

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


APP = app_jetable("opco-schemathesis-pilotage-")
schema = schemathesis.openapi.from_asgi("/_sandbox/openapi.json", APP)


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_control_api_never_errors(case):
    # Every check enabled in schemathesis.toml: all built-in ones (see the test below).
    case.call_and_validate()


def test_every_built_in_check_runs():
    """call_and_validate runs the checks the configuration enables: make sure none is off
    (not_a_server_error, the conformance checks, negative_data_rejection,
    positive_data_acceptance, use_after_free, ensure_resource_availability, ignored_auth,
    unsupported_method...)."""
    load_all_checks()
    config = schema.config.checks_config_for()
    names = [c.__name__ for c in CHECKS.get_all() if not isinstance(c, type)]
    assert {"negative_data_rejection", "positive_data_acceptance", "ignored_auth"} <= set(names)
    assert [n for n in names if not config.get_by_name(name=n).enabled] == []
