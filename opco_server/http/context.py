"""Per-request context for handlers: the sandbox, the OPCO of the URL, the caller, the session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flask
from connexion import context as connexion_context
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

SCOPE_SANDBOX = "opco.sandbox"
SCOPE_OPCO = "opco.id"
# The OPCO's simulated faults (a detached Panne, or None), read once per request.
SCOPE_PANNE = "opco.panne"
# The request's norm deviations the sandbox tolerated: a list of (code, field path), shared by
# every copy of the scope (set by JournalMiddleware, filled by the validators).
SCOPE_ECARTS = "opco.ecarts"
# Who the request's credentials name, as authentication found them: {"client_id": the token's
# editor, "siren": the key's CFA}. A dict shared by every copy of the scope (set by the journal's
# capture middleware, filled by opco_server.http.security): the journal keeps what was true then.
SCOPE_APPELANT = "opco.appelant"
# The JSON parts of a multipart body as coerced under `dialectes` (name -> value), if any.
SCOPE_PARTIES = "opco.parties"


def sandbox_from_scope(scope: dict) -> tuple[Sandbox, str]:
    return scope[SCOPE_SANDBOX], scope.get(SCOPE_OPCO, "")


def noter_appelant(scope: Mapping[str, Any], **identite: str | None) -> None:
    """Record what authentication established about the caller (SCOPE_APPELANT), if journaled."""
    appelant = scope.get(SCOPE_APPELANT)
    if appelant is not None:
        appelant.update(identite)


def chemin_relatif(scope: Mapping[str, Any]) -> str:
    """The path below root_path, the one routing matches: `/v1/dossiers` under `/akto`."""
    root, path = scope.get("root_path", ""), scope.get("path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def operation_de(scope: Mapping[str, Any]) -> str | None:
    """The norm's operationId a request of the norm's API calls (None elsewhere)."""
    sandbox = scope.get(SCOPE_SANDBOX)
    if sandbox is None or "path" not in scope:
        return None
    return sandbox.operation(scope.get("method", ""), chemin_relatif(scope))


@dataclass(frozen=True)
class Caller:
    """Who is calling: the editor (token), the CFA (key), and the software headers."""

    editeur_id: int | None
    client_id: str | None
    siren: str | None
    editeur: str | None
    logiciel: str | None
    version: str | None


def sandbox() -> Sandbox:
    return flask.current_app.extensions["opco.sandbox"]


def opco() -> Opco:
    return sandbox().opcos[connexion_context.scope[SCOPE_OPCO]]


LECTURE_SEULE = frozenset({"GET", "HEAD", "OPTIONS"})


def session() -> Session:
    """The request's session, created lazily and closed (rolled back) at teardown.

    GET requests only read: theirs is a read-only session (on SQLite, it never waits for the
    write lock); the others take the write lock at their first statement (db._Ecrivains).
    """
    if "db_session" not in flask.g:
        sb = sandbox()
        lecture = flask.request.method in LECTURE_SEULE
        flask.g.db_session = (sb.sessionmaker_lecture if lecture else sb.sessionmaker)()
    return flask.g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    db_session = flask.g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def caller() -> Caller:
    info = connexion_context.context.get("token_info") or {}
    token = info.get("editeurOAuth2", info if "editeur_id" in info else {})
    key = info.get("cleApiCfa", {})
    headers = flask.request.headers
    return Caller(
        editeur_id=token.get("editeur_id"),
        client_id=token.get("sub"),
        siren=key.get("siren"),
        editeur=headers.get("EDITEUR"),
        logiciel=headers.get("LOGICIEL"),
        version=headers.get("VERSION"),
    )
