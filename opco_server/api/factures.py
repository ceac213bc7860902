"""POST /v1/factures and GET /v2/factures/etats (norm.md E8, E9)."""

from opco_server.api.dossiers import not_implemented


def deposer_facture(body: dict | None = None, **_parts: object):
    raise not_implemented("le dépôt de facture")


def lister_etats_factures(numero_page: int = 1):
    raise not_implemented("les états de factures")
