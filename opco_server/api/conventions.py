"""POST /v1/conventions (norm.md E7)."""

from opco_server.api.dossiers import not_implemented


def deposer_convention(body: dict | None = None, **_parts: object):
    raise not_implemented("le dépôt de convention")
