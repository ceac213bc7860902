"""Response helpers: explicit JSON content type (connexion cannot guess it next to errors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opco_server.errors import BadRequest
from opco_server.wire import parse_instant

JSON = {"Content-Type": "application/json"}


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    return body, status, {**JSON, **(headers or {})}


def instant(value: str | None, champ: str = "instant") -> datetime | None:
    """An ISO 8601 date-time from a control request, or a 400 naming the field."""
    try:
        result = parse_instant(value)
    except ValueError as exc:
        raise BadRequest.one(
            "FORMAT_INVALID", f"« {champ} » n'est pas une date-heure ISO 8601.", champ
        ) from exc
    if result is not None and not 2000 <= result.year <= 2100:
        raise BadRequest.one("FORMAT_INVALID", f"« {champ} » doit être entre 2000 et 2100.", champ)
    return result
