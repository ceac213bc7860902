"""Each OPCO's own contract: `/{opco}/openapi.json` (and `.yaml`) in the OPCO's dialect.

connexion serves one document for the one norm API mounted at the root, whatever the prefix.
ContratMiddleware answers those two paths first, with the document of the OPCO in the prefix:
only the operations it offers, its token scopes, its error bodies and DPoP described, and an
absolute `tokenUrl` (Swagger UI resolves a relative one against its own page, `/{opco}/ui/`,
so "Authorize" posted to `/{opco}/ui/connect/token`). Under the « norme-stricte » profile the
document is the whole norm (every operation, the norm's scopes), as the API then behaves.

The document is computed once per OPCO and profile; the scheme and host of the token URL and
the server come from each request (Host header, else the server's address).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from connexion.jsonifier import Jsonifier
from connexion.spec import resolve_refs
from connexion.utils import yamldumper
from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.context import SCOPE_OPCO, chemin_relatif
from opco_server.opcos import Dialecte
from opco_server.sandbox import PROFIL_STRICT, Sandbox

CHEMINS = {"/openapi.json": "application/json", "/openapi.yaml": "text/yaml"}
METHODES = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_URL_BASE = "@@opco-sandbox-url-base@@"  # replaced per request by scheme://host/{opco}
_HOTE = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_SCOPES_CONNUS = {".default": "Tous les droits accordés au client (.default)."}

_ERREURS = {
    "atlas": (
        "Corps d'erreur de cet OPCO : celui de la norme (`errors`) plus une clé `description` "
        "au premier niveau, reprenant le message de la première erreur."
    ),
    "ep": (
        'Corps d\'erreur de cet OPCO : `{"comment": "…"}` (les messages joints par « ; »), '
        "au lieu du tableau `errors` de la norme ; les schémas d'erreur ci-dessous décrivent "
        "celui de la norme."
    ),
}


def document(spec: dict[str, Any], opco_nom: str, dialecte: Dialecte) -> dict[str, Any]:
    """The norm's document as one OPCO serves it (refs resolved, like connexion's)."""
    doc = copy.deepcopy(spec)
    retirees = _retirer(doc, dialecte.non_proposees)
    info = doc.setdefault("info", {})
    info["title"] = f"{info.get('title', 'API')} — {opco_nom}"
    notes = [f"**Contrat de {opco_nom}** (profil « dialectes » de la sandbox)."]
    if retirees:
        notes.append(
            "Opérations de la norme non proposées par cet OPCO (404 `OPERATION_NOT_AVAILABLE`) "
            "et absentes de ce document : " + ", ".join(f"`{o}`" for o in sorted(retirees)) + "."
        )
    if dialecte.erreurs in _ERREURS:
        notes.append(_ERREURS[dialecte.erreurs])
    if dialecte.description_capitalisee_documents:
        notes.append(
            "Erreurs de `POST /v1/documents` : message sous la clé `Description` (majuscule)."
        )
    oauth = doc["components"]["securitySchemes"]["editeurOAuth2"]
    flux = oauth["flows"]["clientCredentials"]
    if dialecte.scopes is not None:
        norme = flux.get("scopes", {})
        flux["scopes"] = {s: norme.get(s) or _SCOPES_CONNUS.get(s, s) for s in dialecte.scopes}
        connus = ", ".join(f"`{s}`" for s in dialecte.scopes) or "aucun"
        notes.append(
            f"Scopes acceptés par le serveur d'identité : {connus} (autre : `invalid_scope`)."
        )
    if dialecte.dpop:
        dpop = (
            "Jeton lié à une preuve DPoP (RFC 9449) : `POST /connect/token` exige l'en-tête "
            "`DPoP` (JWT signé par la clé du client, `htm`, `htu`, `iat`, `jti` unique) ; "
            "Swagger UI ne sait pas la produire (utilisez votre client)."
        )
        notes.append(dpop)
        oauth["description"] = oauth.get("description", "") + "\n" + dpop + "\n"
        jeton = doc["paths"].get("/connect/token", {}).get("post")
        if jeton is not None:
            jeton["description"] = jeton.get("description", "") + "\n" + dpop + "\n"
            jeton.setdefault("parameters", []).append(
                {
                    "name": "DPoP",
                    "in": "header",
                    "required": True,
                    "description": "Preuve DPoP (RFC 9449), un JWT par requête.",
                    "schema": {"type": "string"},
                }
            )
    info["description"] = "\n\n".join(notes) + "\n\n" + info.get("description", "")
    return resolve_refs(doc)


def norme(spec: dict[str, Any]) -> dict[str, Any]:
    """The whole norm (profile « norme-stricte »)."""
    return resolve_refs(copy.deepcopy(spec))


def _retirer(doc: dict[str, Any], non_proposees: frozenset[str]) -> set[str]:
    """Drop the operations not offered, the paths left empty, and links to them."""
    retirees: set[str] = set()
    for chemin in list(doc.get("paths", {})):
        item = doc["paths"][chemin]
        for methode in METHODES:
            op = item.get(methode)
            if op is not None and op.get("operationId") in non_proposees:
                retirees.add(op["operationId"])
                del item[methode]
        if not any(m in item for m in METHODES):
            del doc["paths"][chemin]
    for item in doc.get("paths", {}).values():
        for methode in METHODES:
            for reponse in (item.get(methode) or {}).get("responses", {}).values():
                liens = reponse.get("links") if isinstance(reponse, dict) else None
                if liens:
                    for nom in [
                        n for n, lien in liens.items() if lien.get("operationId") in retirees
                    ]:
                        del liens[nom]
    return retirees


class Contrats:
    """The per-OPCO documents, serialised once (with a placeholder for the base URL)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._cache: dict[tuple[str, str], str] = {}

    def texte(self, opco_id: str) -> str:
        strict = self.sandbox.profil == PROFIL_STRICT
        cle = (opco_id, PROFIL_STRICT if strict else "dialectes")
        if cle not in self._cache:
            spec = self.sandbox.spec
            if strict:
                doc = norme(spec)
            else:
                opco = self.sandbox.opcos[opco_id]
                doc = document(spec, opco.nom, opco.dialecte)
            doc["servers"] = [{"url": _URL_BASE}]
            flux = doc["components"]["securitySchemes"]["editeurOAuth2"]["flows"]
            flux["clientCredentials"]["tokenUrl"] = _URL_BASE + "/connect/token"
            self._cache[cle] = Jsonifier().dumps(doc)
        return self._cache[cle]

    def pour(self, scope: Scope, opco_id: str) -> str:
        return self.texte(opco_id).replace(_URL_BASE, json.dumps(url_base(scope))[1:-1])


def url_base(scope: Scope) -> str:
    """`{scheme}://{host}{root_path}` of this request (root_path ends with the OPCO prefix)."""
    hote = ""
    for nom, valeur in scope.get("headers", []):
        if nom == b"host":
            hote = valeur.decode("latin-1").strip()
            break
    if not _HOTE.fullmatch(hote):
        serveur = scope.get("server")
        hote = f"{serveur[0]}:{serveur[1]}" if serveur else "localhost"
    schema = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return f"{schema}://{hote}{scope.get('root_path', '')}"


class ContratMiddleware:
    """Answers `/{opco}/openapi.json` and `/{opco}/openapi.yaml` with that OPCO's document."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.contrats = Contrats(sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opco_id = scope.get(SCOPE_OPCO)
        if scope["type"] == "http" and opco_id and scope["method"] in ("GET", "HEAD"):
            media = CHEMINS.get(chemin_relatif(scope))
            if media is not None:
                texte = self.contrats.pour(scope, opco_id)
                if media != "application/json":
                    texte = yamldumper(json.loads(texte))
                corps = texte.encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", media.encode()),
                            (b"content-length", str(len(corps)).encode()),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"" if scope["method"] == "HEAD" else corps,
                    }
                )
                return
        await self.app(scope, receive, send)
