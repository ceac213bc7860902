"""The norm's error body and the only translation from exceptions to HTTP responses.

On the norm's endpoints every error is `{"errors": [{"code", "description", "champ"?}]}`
(norm.md §2.1). Codes are the sandbox's own (the norm publishes none) and never change once
published; descriptions are French.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from opco_server.http.context import chemin_relatif, operation_de
from opco_server.masquage import masquer_donnees

logger = logging.getLogger("opco_server")


@dataclass(frozen=True)
class ErrorItem:
    code: str
    description: str
    champ: str | None = None

    def to_wire(self, cle_description: str = "description") -> dict[str, str]:
        # Safety net: a description never shows a NIR or an IBAN, whatever built it.
        item = {"code": self.code, cle_description: masquer_donnees(self.description)}
        if self.champ is not None:
            item["champ"] = self.champ
        return item


class NormError(ProblemException):
    """An error answered in the norm's format; carries every error item at once."""

    status = 400

    def __init__(self, *items: ErrorItem, status: int | None = None, headers: dict | None = None):
        self.items = list(items)
        status = status or type(self).status
        super().__init__(status=status, title=items[0].code if items else "", headers=headers)
        self.status = self.status_code = status

    @classmethod
    def one(cls, code: str, description: str, champ: str | None = None, **kwargs: object):
        return cls(ErrorItem(code, description, champ), **kwargs)  # type: ignore[arg-type]


class OAuthError(NormError):
    """RFC 6749 §5.2 error of the token endpoint (also carries the norm's errors[])."""

    def __init__(self, status: int, error: str, code: str, description: str) -> None:
        super().__init__(ErrorItem(code, description), status=status)
        self.oauth_error = error
        self.description = description

    @classmethod
    def requete_invalide(cls, items: list[ErrorItem]) -> OAuthError:
        """`invalid_request` carrying every problem of the form at once."""
        exc = cls(400, "invalid_request", items[0].code, items[0].description)
        exc.items = list(items)
        return exc


class BadRequest(NormError):
    status = 400


class Unauthorized(NormError):
    status = 401


class Forbidden(NormError):
    status = 403


class NotFound(NormError):
    status = 404


class PayloadTooLarge(NormError):
    status = 413


class UnsupportedMediaType(NormError):
    status = 415


def norm_body(
    items: list[ErrorItem], variante: str = "norme", cle_description: str = "description"
) -> dict[str, object]:
    """The norm's error body, or the known variant of an OPCO (norm.md §2.1).

    `cle_description`: the key of each item's message (`Description` at SOR OPCOs on
    POST /v1/documents, norm.md E11)."""
    if variante == "ep":
        return {"comment": masquer_donnees(" ; ".join(i.description for i in items))}
    body: dict[str, object] = {"errors": [i.to_wire(cle_description) for i in items]}
    if variante == "atlas" and items:
        body["description"] = masquer_donnees(items[0].description)
    return body


def _dialecte(request: ConnexionRequest | None):  # type: ignore[no-untyped-def]
    scope = getattr(request, "scope", None) or {}
    sandbox, opco_id = scope.get("opco.sandbox"), scope.get("opco.id")
    return sandbox.dialecte(opco_id) if sandbox and opco_id else None


OPERATION_DOCUMENTS = "documents.deposer_document"


def norm_response(
    status: int,
    items: list[ErrorItem],
    headers: dict | None = None,
    request: ConnexionRequest | None = None,
):
    all_headers = {"Content-Type": "application/json"}
    if status == 401:
        all_headers["WWW-Authenticate"] = 'Bearer realm="opco-sandbox"'
    all_headers.update(headers or {})
    dialecte = _dialecte(request)
    if dialecte and status == 404 and any(i.code == "DOSSIER_NOT_FOUND" for i in items):
        status = dialecte.dossier_inconnu
    cle_description = "description"
    if (
        dialecte
        and dialecte.description_capitalisee_documents
        and operation_de(getattr(request, "scope", None) or {}) == OPERATION_DOCUMENTS
    ):
        cle_description = "Description"
    return ConnexionResponse(
        status_code=status,
        body=json.dumps(
            norm_body(items, dialecte.erreurs if dialecte else "norme", cle_description),
            ensure_ascii=False,
        ),
        content_type="application/json",
        headers=all_headers,
    )


# Connexion's own problems (routing, media type...) translated to the norm's format.
_GENERIC = {
    400: ("REQUEST_INVALID", "La requête est invalide."),
    401: ("AUTH_TOKEN_INVALID", "Jeton d'accès absent ou invalide."),
    403: ("AUTH_KEY_INVALID", "Accès refusé."),
    404: ("ROUTE_NOT_FOUND", "Ressource inconnue : vérifiez l'URL (préfixe de l'OPCO, version)."),
    405: ("METHOD_NOT_ALLOWED", "Méthode HTTP non autorisée sur cette ressource."),
    406: ("NOT_ACCEPTABLE", "Type de contenu demandé non disponible."),
    413: ("PAYLOAD_TOO_LARGE", "Requête trop volumineuse."),
    415: ("MEDIA_TYPE_UNSUPPORTED", "Type de contenu non supporté : envoyez application/json."),
}


def handle_norm_error(request: ConnexionRequest, exc: NormError):
    return norm_response(exc.status_code, exc.items, exc.headers, request)


def handle_oauth_error(_request: ConnexionRequest, exc: OAuthError):
    body = {
        "error": exc.oauth_error,
        "error_description": masquer_donnees(exc.description),
        **norm_body(exc.items),
    }
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Basic realm="opco-sandbox"'
    return ConnexionResponse(
        status_code=exc.status_code,
        body=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers=headers,
    )


def handle_problem(request: ConnexionRequest, exc: Exception):
    # Starlette looks status-code handlers up before class handlers for HTTP exceptions, so
    # the norm's own errors can arrive here too.
    if isinstance(exc, OAuthError):
        return handle_oauth_error(request, exc)
    if isinstance(exc, NormError):
        return handle_norm_error(request, exc)
    status = getattr(exc, "status_code", None) or getattr(exc, "status", 500)
    fallback = (
        ("REQUEST_INVALID", "La requête est invalide.")
        if 400 <= status < 500
        else ("INTERNAL_ERROR", "Erreur interne du serveur.")
    )
    code, description = _GENERIC.get(status, fallback)
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    detail = getattr(exc, "detail", None)
    if status == 415:
        description = _media_type_description(detail)
    elif status == 400 and detail == "RequestBody is required":
        code, description = "REQ_FIELD_MISSING", "Le corps de la requête est obligatoire."
    elif status == 400 and detail and isinstance(exc, ProblemException):
        description = f"{description} {detail}"  # werkzeug's own details are English prose
    return norm_response(status, [ErrorItem(code, description)], headers, request)


def _media_type_description(detail: object) -> str:
    """The 415 description names what the operation accepts (connexion's detail lists it:
    "Invalid Content-type (text/plain), expected ['multipart/form-data']")."""
    match = re.search(r"expected \[(.*)\]", str(detail or ""))
    types = re.findall(r"'([^']+)'", match[1]) if match else []
    return f"Type de contenu non supporté : envoyez {' ou '.join(types) or 'application/json'}."


def _allowed_methods(request: ConnexionRequest) -> list[str]:
    """The methods the spec documents for the requested path (for the Allow header)."""
    sandbox = request.scope.get("opco.sandbox")
    return sandbox.allowed_methods(chemin_relatif(request.scope)) if sandbox else []


def handle_unicode(request: ConnexionRequest, _exc: Exception):
    return norm_response(
        400,
        [ErrorItem("JSON_INVALID", "Le corps de la requête n'est pas encodé en UTF-8.")],
        request=request,
    )


def handle_integrity(_request: ConnexionRequest, exc: Exception):
    # Services translate every constraint they know; reaching here is a sandbox bug.
    logger.error("integrity error reached the error handler: %s", exc)
    return norm_response(
        409, [ErrorItem("CONFLICT", "Conflit avec une donnée existante ; réessayez.")]
    )


def handle_operational(_request: ConnexionRequest, exc: Exception):
    logger.error("database unavailable: %s", exc)
    return norm_response(
        503,
        [ErrorItem("SERVICE_UNAVAILABLE", "Service momentanément indisponible ; réessayez.")],
        {"Retry-After": "1"},
    )


def handle_unexpected(_request: ConnexionRequest, exc: Exception):
    logger.exception("unexpected error", exc_info=exc)
    return norm_response(500, [ErrorItem("INTERNAL_ERROR", "Erreur interne du serveur.")])


HANDLERS = [
    (OAuthError, handle_oauth_error),
    (NormError, handle_norm_error),
    (ProblemException, handle_problem),
    (UnicodeDecodeError, handle_unicode),
    (IntegrityError, handle_integrity),
    (OperationalError, handle_operational),
    (404, handle_problem),
    (405, handle_problem),
    (415, handle_problem),
    # Any other HTTP exception (werkzeug's, re-raised by connexion's Flask app: a 413 on a
    # form part, a 400...) in the norm's format too, never problem+json.
    (HTTPException, handle_problem),
    (Exception, handle_unexpected),
]
