"""Each OPCO's own contract: `/{opco}/openapi.json` (and `.yaml`) in the OPCO's dialect.

connexion serves one document for the one norm API mounted at the root, whatever the prefix.
ContratMiddleware answers those two paths first, with the document of the OPCO in the prefix:
only the operations it offers, its token scopes, its error bodies and DPoP described, and an
absolute `tokenUrl` (Swagger UI resolves a relative one against its own page, `/{opco}/ui/`,
so "Authorize" posted to `/{opco}/ui/connect/token`). Under the « norme-stricte » profile the
document is the whole norm (every operation, the norm's scopes), as the API then behaves.

The document is computed once per OPCO and profile; the scheme and host of the token URL and
the server come from each request (Host header, else the server's address).

It also serves the Swagger UI page itself, `/{opco}/ui/` (and `/{opco}/ui/index.html`; the static
files stay connexion's): connexion's page, titled with the OPCO's name and, at an OPCO that uses
DPoP (Afdas), with a `requestInterceptor` that signs in the browser (WebCrypto) the proof the
token request needs, so that « Authorize » then « Try it out » work there too. The resource
calls only need the Bearer token. Its Content-Security-Policy allows only the page's own
scripts: the files under `/{opco}/ui/` and its one inline script, by hash.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from connexion.jsonifier import Jsonifier
from connexion.spec import resolve_refs
from connexion.utils import yamldumper
from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.donnees.opcos import Dialecte
from opco_server.http.context import SCOPE_OPCO, chemin_relatif
from opco_server.sandbox import Sandbox
from opco_server.services.partage import PROFIL_STRICT

CHEMINS = {"/openapi.json": "application/json", "/openapi.yaml": "text/yaml"}
METHODES = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_URL_BASE = "@@opco-sandbox-url-base@@"  # replaced per request by scheme://host/{opco}
_HOTE = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_TEMPLATES = Path(__file__).parent / "templates"
PAGES_UI = ("/ui/", "/ui/index.html")
_SCRIPT_EN_LIGNE = re.compile(r"<script>(.*?)</script>", re.DOTALL)
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
            "la Swagger UI de la sandbox la signe elle-même dans le navigateur (contexte sécurisé : "
            "HTTPS ou localhost)."
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
                    "description": "Preuve DPoP (RFC 9449), un JWT par requête. Dans la Swagger "
                    "UI de la sandbox, saisissez n'importe quelle valeur (ex. `auto`) : la page "
                    "la remplace par une preuve qu'elle signe ; un JWT saisi est envoyé tel quel.",
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
        strict = self.sandbox.etat.profil == PROFIL_STRICT
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


class PagesUI:
    """The Swagger UI page of each OPCO (templates/swagger_ui.html), compiled on first use."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @cached_property
    def _modele(self) -> jinja2.Template:
        environnement = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        return environnement.get_template("swagger_ui.html")

    @cached_property
    def entetes(self) -> list[tuple[bytes, bytes]]:
        """Security headers: scripts from the page's own directory and its one inline script."""
        scripts = {
            script
            for dpop in (False, True)
            for script in _SCRIPT_EN_LIGNE.findall(self._rendre("", "OPCO", dpop))
        }
        if len(scripts) != 1:
            raise RuntimeError("swagger_ui.html must have one constant inline script")
        empreinte = base64.b64encode(hashlib.sha256(scripts.pop().encode()).digest()).decode()
        csp = (
            f"default-src 'self'; script-src 'self' 'sha256-{empreinte}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        return [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-cache"),
        ]

    def pour(self, scope: Scope, opco_id: str) -> str:
        opco = self.sandbox.opcos[opco_id]
        # The OPCO's own dialect, whatever the profile: under « norme-stricte » a proof is not
        # required, but one that is sent is checked, and the page's proofs are valid.
        return self._rendre(scope.get("root_path", "").rstrip("/"), opco.nom, opco.dialecte.dpop)

    def _rendre(self, base: str, nom: str, dpop: bool) -> str:
        config = {"url": base + "/openapi.json", "jeton": base + "/connect/token", "dpop": dpop}
        return self._modele.render(titre=f"Swagger UI — {nom}", nom=nom, dpop=dpop, config=config)


class ContratMiddleware:
    """Answers `/{opco}/openapi.json` and `/{opco}/openapi.yaml` with that OPCO's document,
    and `/{opco}/ui/` with its Swagger UI page."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.contrats = Contrats(sandbox)
        self.pages = PagesUI(sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opco_id = scope.get(SCOPE_OPCO)
        if scope["type"] == "http" and opco_id and scope["method"] in ("GET", "HEAD"):
            chemin = chemin_relatif(scope)
            media = CHEMINS.get(chemin)
            if media is not None:
                texte = self.contrats.pour(scope, opco_id)
                if media != "application/json":
                    texte = yamldumper(json.loads(texte))
                await _repondre(scope, send, media, texte.encode())
                return
            if chemin in PAGES_UI:
                corps = self.pages.pour(scope, opco_id).encode()
                await _repondre(scope, send, "text/html; charset=utf-8", corps, self.pages.entetes)
                return
        await self.app(scope, receive, send)


async def _repondre(
    scope: Scope,
    send: Send,
    media: str,
    corps: bytes,
    entetes: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(corps)).encode()),
                *(entetes or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else corps})
