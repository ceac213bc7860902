"""The journal row of one captured request: parsed, secrets and personal data masked.

Built by the writer (opco_server.journal.ecrivain), off the request path, from what the
capture middleware (opco_server.journal.capture) recorded; stored by
opco_server.services.journal.enregistrer, whose keyword arguments these rows are.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from opco_server.masquage import masquer, masquer_texte, masquer_valeur, nettoyer

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

logger = logging.getLogger(__name__)


def ligne(sandbox: Sandbox, entry: dict[str, Any]) -> dict[str, Any]:
    """The row of a captured request; a row that cannot be built is a placeholder."""
    try:
        return _champs(sandbox, entry)
    except Exception:
        logger.exception("entrée du journal illisible (%s)", _chemin(entry.get("path")))
        return illisible(entry)


def illisible(entry: dict[str, Any]) -> dict[str, Any]:
    """The minimal row of an entry that could not be stored: method, masked path, status, and
    who sent it."""
    maintenant = datetime.now(UTC)
    return dict(
        opco_id=nettoyer(str(entry.get("opco", "")))[:20],
        methode=nettoyer(str(entry.get("method", "")))[:10],
        chemin=_chemin(entry.get("path", "")),
        operation=None,
        statut=entry.get("status") if isinstance(entry.get("status"), int) else 500,
        duree_ms=round(float(entry.get("duration_ms") or 0), 2),
        horodatage=entry.get("horodatage") or maintenant,
        horodatage_reel=entry.get("wall") or maintenant,
        client_id=_texte(entry.get("client_id")),
        cfa_siren=_texte(entry.get("siren")),
        entetes={},
        entetes_bruts={},
        query={},
        corps={"illisible": True},
        corps_brut=b"",
        reponse_entetes={},
        reponse_corps=None,
    )


def _texte(valeur: object) -> str | None:
    return valeur if isinstance(valeur, str) else None


def _chemin(path: object) -> str:
    try:
        return masquer_texte(str(path))[:500]
    except Exception:
        return "/"


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers, each masked by its name (Authorization, X-API-KEY, Cookie, DPoP…) and
    by the shape of its value."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = nettoyer(name.decode("latin-1").lower())
        headers[masquer_texte(key)] = masquer_valeur(value.decode("latin-1"), key)
    return headers


def _corps(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "json" in content_type:
        try:
            return masquer(json.loads(raw))
        except (ValueError, UnicodeDecodeError, RecursionError):
            # Never keep an unparsed body: it could hold a NIR, an IBAN or a secret in clear.
            return {"octets": len(raw), "json": "illisible"}
    if "x-www-form-urlencoded" in content_type:
        return masquer(dict(parse_qsl(raw.decode("utf-8", "replace"))))
    if "multipart" in content_type:
        return {"multipart": f"{len(raw)} octets"}
    return {"octets": len(raw)}


def _champs(sandbox: Sandbox, entry: dict[str, Any]) -> dict[str, Any]:
    headers = _headers(entry["headers"])
    raw_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in entry["headers"]}
    response_headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in entry["response_headers"]
    }
    body = _corps(entry["body"], raw_headers.get("content-type", ""))
    response_body = _corps(entry["response_body"], response_headers.get("content-type", ""))
    relative = (
        "/" + entry["path"].lstrip("/").split("/", 1)[-1]
        if "/" in entry["path"].lstrip("/")
        else "/"
    )
    query = entry["query"].decode("utf-8", "replace")
    return dict(
        opco_id=entry["opco"],
        methode=nettoyer(entry["method"]),
        chemin=masquer_texte(entry["path"]),
        operation=sandbox.operation(entry["method"], relative),
        statut=entry["status"],
        duree_ms=round(entry["duration_ms"], 2),
        horodatage=entry["horodatage"],
        horodatage_reel=entry["wall"],
        # Who the token and the key named when the request was authenticated (capture.py).
        client_id=_texte(entry.get("client_id")),
        cfa_siren=_texte(entry.get("siren")),
        entetes=headers,
        entetes_bruts=raw_headers,
        query=masquer(dict(parse_qsl(query))),
        corps=body,
        corps_brut=entry["body"],
        reponse_entetes=masquer(response_headers),
        reponse_corps=response_body,
        ecarts=[{"code": c, "champ": masquer_texte(ch)} for c, ch in entry.get("ecarts", [])],
    )
