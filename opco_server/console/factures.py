"""An invoice's fate decided from the back office: settle it now, or reject it with a reason
the CFA reads; through the control API's services."""

from __future__ import annotations

from opco_server.console import pages
from opco_server.http import context
from opco_server.services import pilotage, reglages


def _retour(opco_id: str) -> tuple[str, dict[str, str]]:
    """Back to the dossier the form was on, else to the OPCO's dossiers."""
    numero = pages.form("dossier")
    if numero:
        return "console.dossier", {"opco_id": opco_id, "numero": numero}
    return "console.dossiers", {"opco_id": opco_id}


def regler_facture(opco_id: str, numero: str):  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    opco = reglages.opco(sandbox, opco_id)

    def action() -> str:
        facture = pilotage.regler_facture(context.session(), sandbox, opco.id, numero)
        if facture.est_avoir:
            return f"Avoir {facture.numero} imputé sur le trop-perçu (sans virement)."
        return f"Facture {facture.numero} réglée (virement {facture.reference_virement})."

    endpoint, valeurs = _retour(opco.id)
    return pages.agir(action, endpoint, **valeurs)


def rejeter_facture(opco_id: str, numero: str):  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    opco = reglages.opco(sandbox, opco_id)
    motif = pages.form("motif")

    def action() -> str:
        facture = pilotage.rejeter_facture(context.session(), sandbox, opco.id, numero, motif)
        return f"Facture {facture.numero} rejetée."

    endpoint, valeurs = _retour(opco.id)
    return pages.agir(action, endpoint, **valeurs)


ROUTES = (
    ("/opco/<opco_id>/factures/<numero>/reglement", "regler_facture", regler_facture, ("POST",)),
    ("/opco/<opco_id>/factures/<numero>/rejet", "rejeter_facture", rejeter_facture, ("POST",)),
)
