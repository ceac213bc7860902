"""POST /v2/certificats (norm.md E10)."""

from opco_server.api.dossiers import not_implemented


def deposer_certificat(body: dict | None = None, **_parts: object):
    raise not_implemented("le dépôt de certificat de réalisation")
