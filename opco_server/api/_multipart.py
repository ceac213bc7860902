"""Multipart requests (JSON part + file), already validated against the spec.

Handlers read the parts from Flask themselves: connexion's own form coercion assumes that
every property has a `type`, which the norm's loose fields (number or string) do not.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import flask
from connexion import context as connexion_context

from opco_server.http.context import SCOPE_PARTIES


def partie_json(nom: str) -> Any:
    """A JSON part: as coerced to the norm's types by the validator under `dialectes`
    (opco_server.http.tolerance), else as sent."""
    parties = connexion_context.scope.get(SCOPE_PARTIES) or {}
    if nom in parties:
        return copy.deepcopy(parties[nom])
    return json.loads(flask.request.form[nom])


def fichier() -> tuple[str | None, bytes]:
    upload = flask.request.files.get("fichier")
    return (upload.filename, upload.read()) if upload else (None, b"")
