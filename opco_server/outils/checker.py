"""Offline checker: the server's verdict on a Cerfa JSON file, without a server or database.

Runs the same schema validation as POST /dossiers (same codes), then the transmission
controls and the instruction checks, as of a given date. Duplicates and the CFA key's scope
need the OPCO's data and are not checked offline.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connexion.json_schema import resolve_refs

import rules
from opco_server.config import Settings
from opco_server.donnees import yamlfile
from opco_server.donnees.opcos import OpcoRegistry
from opco_server.donnees.referentiel import charger_referentiel
from opco_server.errors import ErrorItem
from opco_server.http.compilation import NormValidator
from opco_server.http.traduction import error_items
from opco_server.services import controles
from rules.registry import Moment, Severite


@dataclass(frozen=True)
class Constat:
    moment: str
    severite: str
    code: str
    champ: str | None
    message: str


@dataclass
class Verdict:
    opco: str
    date: str
    constats: list[Constat] = field(default_factory=list)

    @property
    def bloquant(self) -> bool:
        return any(c.severite == Severite.BLOQUANT for c in self.constats)

    def to_json(self) -> dict[str, Any]:
        return {
            "opco": self.opco,
            "date": self.date,
            "bloquant": self.bloquant,
            "violations": [asdict(c) for c in self.constats],
        }


def _schema(settings: Settings) -> dict[str, Any]:
    spec = yamlfile.lire(settings.spec_dir / "openapi.yaml")
    return resolve_refs(spec)["components"]["schemas"]["TransmissionDossier"]


def lire(path: Path) -> Any:
    body = json.loads(path.read_text("utf-8"))
    # Accept a bare Cerfa as well as the {"cerfa": ...} body of POST /dossiers.
    if isinstance(body, dict) and "cerfa" not in body and "apprenti" in body:
        body = {"cerfa": body}
    return body


def verifier(body: Any, opco_id: str, jour: date, settings: Settings | None = None) -> Verdict:
    settings = settings or Settings()
    opco = OpcoRegistry.load(settings.fixtures_dir / "opcos.yaml")[opco_id]
    verdict = Verdict(opco.id, jour.isoformat())
    schema_errors = error_items(NormValidator(_schema(settings)).iter_errors(body))
    if schema_errors:
        verdict.constats = [_from_item(i) for i in schema_errors]
        return verdict
    ctx = controles.contexte(charger_referentiel(settings.fixtures_dir), opco, jour)
    verdict.constats = [
        Constat(v.moment.value, v.severite.value, v.code, v.champ, v.message)
        for v in rules.evaluer(body["cerfa"], ctx)
    ]
    verdict.constats.sort(key=lambda c: (c.moment != Moment.TRANSMISSION, c.severite, c.code))
    return verdict


def _from_item(item: ErrorItem) -> Constat:
    return Constat(
        Moment.TRANSMISSION.value, Severite.BLOQUANT.value, item.code, item.champ, item.description
    )


def tableau(verdict: Verdict) -> str:
    if not verdict.constats:
        return f"Aucune anomalie ({verdict.opco}, au {verdict.date})."
    rows = [("Moment", "Sévérité", "Code", "Champ", "Message")]
    rows += [(c.moment, c.severite, c.code, c.champ or "", c.message) for c in verdict.constats]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    issue = "REFUSÉ" if verdict.bloquant else "ACCEPTÉ (avec avertissements)"
    return "\n".join([*lines, "", f"Verdict : {issue} ({verdict.opco}, au {verdict.date})."])
