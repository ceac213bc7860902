"""Multipart requests (JSON part + file), already validated against the spec.

Handlers read the parts from Flask themselves: connexion's own form coercion assumes that
every property has a `type`, which the norm's loose fields (number or string) do not.
"""

from __future__ import annotations

import json
from typing import Any

import flask


def partie_json(nom: str) -> Any:
    return json.loads(flask.request.form[nom])


def fichier() -> tuple[str | None, bytes]:
    upload = flask.request.files.get("fichier")
    return (upload.filename, upload.read()) if upload else (None, b"")
