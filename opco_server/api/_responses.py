"""Response helpers: explicit JSON content type (connexion cannot guess it next to errors)."""

from __future__ import annotations

from typing import Any

JSON = {"Content-Type": "application/json"}


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    return body, status, {**JSON, **(headers or {})}
