"""Named scenarios (fixtures/scenarios/*.yaml): reset, then replay steps through the services."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from opco_server.donnees import yamlfile
from opco_server.donnees.seed import identities
from opco_server.errors import NotFound
from opco_server.services import (
    conventions,
    dossiers,
    fichiers,
    pilotage,
    reinitialisation,
    ruptures,
)
from opco_server.services.fabrique import (
    cerfa_cohorte,
    dates_contrat,
    etablissement_employeur,
    numero_facture_cfa,
    solder,
)
from opco_server.services.personnes import naissance_apprenti
from rules.identifiants import cle_nir

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


# A scenario's name: a file of fixtures/scenarios, never a path elsewhere.
NOM = re.compile(r"[a-z0-9-]{1,100}")


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

# INSEE codes of the birth communes the scenarios use (NIR positions 6-10).
COMMUNES_INSEE = {
    "Paris": "75056",
    "Marseille": "13055",
    "Lyon": "69123",
    "Lille": "59350",
    "Bordeaux": "33063",
    "Nantes": "44109",
    "Toulouse": "31555",
    "Strasbourg": "67482",
}


def _ascii(texte: str) -> str:
    decompose = unicodedata.normalize("NFKD", texte)
    return "".join(c for c in decompose if c.isalnum() and c.isascii()).lower()


def identite_coherente(apprenti: dict, debut: date, rang: int) -> dict[str, Any]:
    """The apprentice's birth date, NIR, e-mail and phone, consistent with its sex, birth
    commune and age (18 at the start of a contract beginning on `debut`: the pay periods of
    the demo contract then fit). `rang` makes each apprentice of a scenario distinct."""
    naissance = naissance_apprenti(debut, (rang * 41 + 7) % 300)
    commune = COMMUNES_INSEE[apprenti["communeNaissance"]]
    nir13 = f"{1 if apprenti['sexe'] == 'M' else 2}{naissance:%y%m}{commune}{rang + 101:03d}"
    return {
        "dateNaissance": naissance.isoformat(),
        "departementNaissance": commune[:2],
        "nir": nir13 + cle_nir(nir13),
        "courriel": f"{_ascii(apprenti['prenom'])}.{_ascii(apprenti['nom'])}@example.org",
        "telephone": f"06{(rang * 7_919_311 + 12_345_678) % 100_000_000:08d}",
    }


def charger(sandbox: Sandbox, nom: str) -> dict[str, dict[str, str]]:
    """Reset the whole sandbox, then replay the scenario's steps (always: it starts from the
    demo data). Returns the dossiers made, by the scenario's reference."""
    path = _dir(sandbox) / f"{nom}.yaml"
    if not NOM.fullmatch(nom) or not path.is_file():
        raise NotFound.one("SCENARIO_NOT_FOUND", f"Scénario inconnu : « {nom} ».", "nom")
    scenario = yamlfile.lire(path)
    reinitialisation.reinitialiser(sandbox)
    opco = sandbox.opcos[scenario["opco"]]
    cfa = identities(sandbox)["cfas"][scenario.get("cfa", 0)]
    base = json.loads((sandbox.settings.fixtures_dir / "dossiers" / "contrat-v14.json").read_text())
    aujourdhui = sandbox.horloge.aujourdhui()
    refs: dict[str, Any] = {}
    factures = 0  # the CFA's invoices (the reset left none)
    with sandbox.session() as session:
        emetteur = dossiers.Emetteur(cfa["siren"], None, "scenario", nom)
        for etape in scenario["etapes"]:
            if "dossier" in etape:
                # Contracts dated from the clock: starting now or next month; the ones that
                # will be engaged started this month (a rupture can then be in the past).
                debut, conclusion = dates_contrat(aujourdhui)
                if etape.get("commence"):
                    debut = aujourdhui.replace(day=1)
                    conclusion = min(debut - timedelta(days=12), conclusion)
                cerfa = cerfa_cohorte(sandbox.referentiel, base["cerfa"], debut, conclusion)
                cerfa = _merge(cerfa, etape.get("modifs", {}))
                apprenti = cerfa["apprenti"]
                if "sexe" in etape.get("modifs", {}).get("apprenti", {}):
                    apprenti.update(identite_coherente(apprenti, debut, len(refs)))
                    cerfa["employeur"] = etablissement_employeur(cerfa["employeur"], len(refs))
                refs[etape["dossier"]] = dossiers.transmettre(
                    session, sandbox, opco, emetteur, cerfa, "v1"
                )
            elif "convention" in etape:
                d = refs[etape["convention"]]
                conventions.deposer_convention(
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
                d = refs[etape["rupture"]]
                le = (  # never after the clock: by default halfway from the start to today
                    date.fromisoformat(etape["date"])
                    if "date" in etape
                    else d.date_debut_contrat + (aujourdhui - d.date_debut_contrat) / 2
                )
                ruptures.rompre(
                    session,
                    sandbox,
                    d,
                    le,
                    "ACCORD_COMMUN",
                    "pilotage",
                )
            elif "solder" in etape:
                factures += 1
                maintenant = sandbox.horloge.maintenant()
                numero = numero_facture_cfa(aujourdhui, factures)
                solder(
                    session,
                    sandbox,
                    opco,
                    cfa["siren"],
                    refs[etape["solder"]],
                    numero,
                    maintenant,
                    maintenant,
                )
            session.flush()
        session.commit()
        return {ref: {"numeroInterne": d.numero_interne, "etat": d.etat} for ref, d in refs.items()}
