"""Bodies that stay valid whatever the date (`opco-server exemple`): the demo contract dated
from a given day, a convention for it, an invoice for an engaged dossier's first open
échéance. The example files under fixtures/ have fixed dates; these follow the clock."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from opco_server.donnees.seed import load_demo
from opco_server.models import Dossier
from opco_server.services import factures
from opco_server.services.fabrique import cerfa_cohorte, contrat_demo, dates_contrat
from opco_server.services.personnes import Identites
from rules.cycle_de_vie import FACTURABLES

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

A_REMPLACER = "<numeroInterne du dossier transmis>"


class ErreurExemple(Exception):
    pass


def _opco(sandbox: Sandbox, opco_id: str):  # type: ignore[no-untyped-def]
    opco = sandbox.opcos.get(opco_id.lower())
    if opco is None:
        raise ErreurExemple(f"OPCO inconnu : {opco_id} (connus : {', '.join(sandbox.opcos.ids)}).")
    return opco


def contrat(sandbox: Sandbox, jour: date, opco_id: str = "akto") -> dict[str, Any]:
    """The demo contract received on `jour`: it starts on the 1st of the month (or of the next
    one), never late; the apprentice is 18 at the start and new at each call (NIR, e-mail…)."""
    opco = _opco(sandbox, opco_id)
    siren = str(load_demo(sandbox)["cfas"][0]["siren"])
    with sandbox.session() as session:
        base = contrat_demo(sandbox, session, opco, siren)
    debut, conclusion = dates_contrat(jour)
    cerfa = cerfa_cohorte(sandbox.referentiel, base, debut, conclusion)
    domaine = base["maitre1"].get("courriel", "x@entreprise.example").split("@")[-1]
    identites = Identites(domaine)
    apprenti = identites.apprenti(secrets.randbelow(identites.taille), debut)
    return {"cerfa": {**cerfa, "apprenti": {**cerfa["apprenti"], **apprenti}}}


def _dossier(sandbox: Sandbox, session, opco_id: str, numero: str) -> Dossier:  # type: ignore[no-untyped-def]
    dossier = session.scalar(
        select(Dossier).where(Dossier.opco_id == opco_id, Dossier.numero_interne == numero)
    )
    if dossier is None:
        raise ErreurExemple(f"Aucun dossier « {numero} » chez « {opco_id} ».")
    return dossier


def convention(
    sandbox: Sandbox, jour: date, opco_id: str = "akto", numero: str | None = None
) -> dict[str, Any]:
    """The JSON part of POST /v1/conventions (the PDF goes beside it) for the dossier
    `numero`, or for a contract of `jour` with the dossier number left to fill in."""
    opco = _opco(sandbox, opco_id)
    if numero:
        with sandbox.session() as session:
            cerfa = _dossier(sandbox, session, opco.id, numero).cerfa
    else:
        cerfa = contrat(sandbox, jour, opco.id)["cerfa"]
    contrat_, formation, organisme = (
        cerfa["contrat"],
        cerfa["formation"],
        cerfa["organismeFormation"],
    )
    return {
        "numeroInterneDossier": numero or A_REMPLACER,
        "employeur": {"siret": cerfa["employeur"]["siret"]},
        "apprenti": {"nom": cerfa["apprenti"]["nom"], "prenom": cerfa["apprenti"]["prenom"]},
        "contrat": {
            "dateDebutContrat": contrat_["dateDebutContrat"],
            "dateFinContrat": contrat_["dateFinContrat"],
        },
        "organismeFormation": {"siret": organisme["siret"], "uaiCfa": organisme["uaiCfa"]},
        "formation": {
            c: formation[c]
            for c in (
                "rncp",
                "intituleQualification",
                "dateDebutFormation",
                "dateFinFormation",
                "dureeFormation",
            )
            if c in formation
        },
        "couts": {"coutTotalPedagogieCFA": 15800},
        "mandatEmployeur": True,
        "dateSignature": contrat_["dateConclusion"],
        "attestationConventionSigneeEntreprise": True,
        "attestationConventionSigneeCFA": True,
        "attestationConventionSignatureProbante": True,
        "attestationConventionConformeJSON": True,
    }


def facture(sandbox: Sandbox, jour: date, opco_id: str, numero: str) -> dict[str, Any]:
    """The JSON part of POST /v1/factures for the first open échéance of an engaged dossier."""
    opco = _opco(sandbox, opco_id)
    with sandbox.session() as session:
        dossier = _dossier(sandbox, session, opco.id, numero)
        ouvertes = factures.echeances_dues(dossier, jour)
        if dossier.etat not in FACTURABLES or not ouvertes:
            raise ErreurExemple(
                f"Le dossier « {numero} » (état {dossier.etat}) n'a pas d'échéance ouverte au "
                f"{jour:%d/%m/%Y} : rien à facturer."
            )
        e = ouvertes[0]
        siret = dossier.organisme_siret
        iban = e.iban or next(
            (c["iban"] for c in load_demo(sandbox)["cfas"] if str(c["siren"]) == siret[:9]), ""
        )
        numero_cfa = f"FA-{jour:%Y%m%d}-{secrets.randbelow(10_000):04d}"
        return factures.corps_facture(dossier, [e], numero_cfa, jour, iban)
