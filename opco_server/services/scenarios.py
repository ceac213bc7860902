"""Named scenarios (fixtures/scenarios/*.yaml): reset, then replay steps through the services."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import TYPE_CHECKING, Any

from opco_server import yamlfile
from opco_server.errors import NotFound
from opco_server.seed import identities
from opco_server.services import dossiers, fichiers, pieces, pilotage, reinitialisation, ruptures

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


def _dir(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    return sandbox.settings.fixtures_dir / "scenarios"


def lister(sandbox: Sandbox) -> list[dict[str, str]]:
    return [
        {"nom": path.stem, "description": yamlfile.lire(path)["description"]}
        for path in sorted(_dir(sandbox).glob("*.yaml"))
    ]


def _merge(base: dict, modifs: dict) -> dict:
    for key, value in modifs.items():
        base[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def _convention(cerfa: dict, numero: str) -> dict[str, Any]:
    return {
        "numeroInterneDossier": numero,
        "employeur": {"siret": cerfa["employeur"]["siret"]},
        "apprenti": {"nom": cerfa["apprenti"]["nom"], "prenom": cerfa["apprenti"]["prenom"]},
        "contrat": {"dateDebutContrat": cerfa["contrat"]["dateDebutContrat"]},
        "organismeFormation": {"siret": cerfa["organismeFormation"]["siret"]},
        "formation": {},
        "couts": {"coutTotalPedagogieCFA": 15800},
        "mandatEmployeur": True,
        "dateSignature": cerfa["contrat"]["dateConclusion"],
        "attestationConventionSigneeEntreprise": True,
        "attestationConventionSigneeCFA": True,
        "attestationConventionSignatureProbante": True,
        "attestationConventionConformeJSON": True,
    }


PDF = fichiers.pdf_exemple("OPCO Sandbox scenario")


def charger(sandbox: Sandbox, nom: str) -> dict[str, dict[str, str]]:
    path = _dir(sandbox) / f"{nom}.yaml"
    if not path.is_file():
        raise NotFound.one("SCENARIO_NOT_FOUND", f"Scénario inconnu : « {nom} ».", "nom")
    scenario = yamlfile.lire(path)
    reinitialisation.reinitialiser(sandbox)
    opco = sandbox.opcos[scenario["opco"]]
    cfa = identities(sandbox)["cfas"][scenario.get("cfa", 0)]
    base = json.loads((sandbox.settings.fixtures_dir / "dossiers" / "contrat-v14.json").read_text())
    refs: dict[str, Any] = {}
    with sandbox.session() as session:
        emetteur = dossiers.Emetteur(cfa["siren"], None, "scenario", nom)
        for etape in scenario["etapes"]:
            if "dossier" in etape:
                cerfa = _merge(copy.deepcopy(base["cerfa"]), etape.get("modifs", {}))
                refs[etape["dossier"]] = dossiers.transmettre(
                    session, sandbox, opco, emetteur, cerfa, "v1"
                )
            elif "convention" in etape:
                d = refs[etape["convention"]]
                pieces.deposer_convention(
                    session,
                    sandbox,
                    opco,
                    cfa["siren"],
                    _convention(d.cerfa, d.numero_interne),
                    "c.pdf",
                    PDF,
                )
            elif "instruire" in etape:
                pilotage.instruire_maintenant(session, sandbox, refs[etape["instruire"]])
            elif "transition" in etape:
                pilotage.forcer(
                    session,
                    sandbox,
                    refs[etape["transition"]],
                    etape["etat"],
                    etape.get("motif"),
                    None,
                )
            elif "rupture" in etape:
                ruptures.rompre(
                    session,
                    sandbox,
                    refs[etape["rupture"]],
                    date.fromisoformat(etape["date"]),
                    "ACCORD_COMMUN",
                    "pilotage",
                )
            session.flush()
        session.commit()
        return {ref: {"numeroInterne": d.numero_interne, "etat": d.etat} for ref, d in refs.items()}
