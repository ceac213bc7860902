"""POST /v1/documents (norm.md E11)."""

from opco_server.api.dossiers import not_implemented


def deposer_document(body: dict | None = None, **_parts: object):
    raise not_implemented("le dépôt de document")
