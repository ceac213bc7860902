"""The sandbox's settings as the control API and the console change them: which OPCO, which
profile (the OPCOs' dialects or the strict norm), back to the demo data; and the conformance
report read from the journal."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, NotFound
from opco_server.services import conformite, journal, reinitialisation
from opco_server.services.partage import PROFIL_DIALECTES, PROFIL_STRICT

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

PROFILS = (PROFIL_DIALECTES, PROFIL_STRICT)


def opco(sandbox: Sandbox, opco_id: str) -> Opco:
    """An OPCO served by the sandbox, by its id in any case (404 otherwise)."""
    trouve = sandbox.opcos.get(opco_id.lower())
    if trouve is None:
        raise NotFound.one("OPCO_NOT_FOUND", f"OPCO inconnu : « {opco_id} ».", "opco")
    return trouve


def dialecte_applique(sandbox: Sandbox) -> bool:
    """Do the OPCOs answer in their own dialect (else: the strict norm everywhere)?"""
    return sandbox.etat.profil != PROFIL_STRICT


@dataclass(frozen=True)
class Operation:
    """An operation of the norm's spec: its operationId, method, path and summary."""

    id: str
    methode: str
    chemin: str
    resume: str


def non_proposees(sandbox: Sandbox, opco: Opco) -> list[Operation]:
    """The norm's operations this OPCO does not offer (its dialect: 404
    OPERATION_NOT_AVAILABLE under the dialects profile), in the spec's order."""
    return [
        Operation(op["operationId"], methode.upper(), chemin, op.get("summary", ""))
        for chemin, item in sandbox.spec["paths"].items()
        for methode, op in item.items()
        if isinstance(op, dict) and op.get("operationId") in opco.dialecte.non_proposees
    ]


def changer_profil(sandbox: Sandbox, profil: str) -> str:
    """Serve every OPCO's dialect, or the strict norm everywhere (shared by every worker)."""
    if profil not in PROFILS:
        raise BadRequest.one(
            "PROFILE_UNKNOWN",
            f"Profil inconnu : « {profil} » (attendu : {' ou '.join(PROFILS)}).",
            "profil",
        )
    sandbox.etat.changer_profil(profil)
    return profil


def reinitialiser(sandbox: Sandbox, opco_id: str | None = None) -> float:
    """Back to the demo data: the whole sandbox, or one OPCO's data only (its id, checked).
    Returns how long it took, in milliseconds."""
    debut = time.perf_counter()
    if opco_id:
        reinitialisation.reinitialiser_opco(sandbox, opco(sandbox, opco_id).id)
    else:
        reinitialisation.reinitialiser(sandbox)
    return round((time.perf_counter() - debut) * 1000, 2)


def rapport_conformite(
    sandbox: Sandbox, session: Session, opco_id: str | None = None
) -> list[dict[str, Any]]:
    """One report per (OPCO, client, software, version) from the journal (one OPCO's if
    given); the operations an OPCO does not offer under the current profile are left out."""
    entrees = journal.chronologique(sandbox, session, opco_id)
    return conformite.rapport(entrees, conformite.non_proposees_par_opco(sandbox))
