"""What every part of the sandbox holds, built once by create_app: settings, clock, OPCOs,
referential, specs, database engines and sessions, and this worker's copy of the shared state.

A container: the wiring (migrations and demo data, the journal's writer, the shared state's
synchronisation) lives in create_app and in the services that own it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from opco_server import db
from opco_server.config import Settings
from opco_server.donnees import yamlfile
from opco_server.donnees.opcos import STRICT, Dialecte, OpcoRegistry
from opco_server.donnees.referentiel import charger_referentiel
from opco_server.horloge import Horloge
from opco_server.models.journal import EntreeJournal
from opco_server.services import partage
from opco_server.services.partage import PROFIL_STRICT

if TYPE_CHECKING:
    from opco_server.journal.ecrivain import JournalWriter


class Sandbox:
    def __init__(self, settings: Settings, horloge: Horloge | None = None) -> None:
        self.settings = settings
        self.horloge = horloge or Horloge()
        self.opcos = OpcoRegistry.load(
            settings.fixtures_dir / "opcos.yaml", settings.token_ttl_seconds
        )
        self.referentiel = charger_referentiel(settings.fixtures_dir)
        # Both specs are parsed once here; create_app hands the same documents to connexion.
        self.spec = yamlfile.lire(settings.spec_dir / "openapi.yaml")
        self.spec_pilotage = yamlfile.lire(settings.spec_dir / "sandbox.yaml")
        self._methods, self._operations = _spec_index(self.spec)
        self.engine = db.make_engine(settings.database_url)
        # The request journal's engine (db.make_journal_engine). On SQLite the journal is a
        # database file of its own, which the sessions reach through it; on PostgreSQL it is a
        # table of the database, which the sessions reach as any other, and only the journal's
        # writer uses this engine.
        self.engine_journal = db.make_journal_engine(settings.database_url)
        apart = self.engine_journal if self.engine_journal.dialect.name == "sqlite" else None
        self.sessionmaker = db.make_sessionmaker(
            self.engine, {EntreeJournal: apart} if apart is not None else None
        )
        # Read-only units of work: on SQLite they never wait for the write lock.
        self.sessionmaker_lecture = db.make_sessionmaker(
            self.engine.execution_options(**db.LECTURE),
            {EntreeJournal: apart.execution_options(**db.LECTURE)} if apart is not None else None,
        )
        # This worker's copy of the shared state and the changes it makes to it (clock,
        # profile, faults, editors, keys, token revocations): services/partage.EtatLocal.
        self.etat = partage.EtatLocal(self.horloge, self.engine, self.sessionmaker, self.session)
        # Signs the console's anti-CSRF tokens and flash messages: derived from the admin
        # token, else the configured secret (one per multi-worker server), else random.
        if settings.admin_token:
            self.secret_console = hmac.new(
                settings.admin_token.encode(), b"opco-console", hashlib.sha256
            ).hexdigest()
        else:
            self.secret_console = settings.secret_console or secrets.token_urlsafe(32)
        # The request journal's writer: create_app attaches it (a Sandbox built for a command
        # line task journals nothing).
        self.journal: JournalWriter | None = None

    def dialecte(self, opco_id: str) -> Dialecte:
        """The OPCO's dialect, or the strict norm when the strict profile is on."""
        opco = self.opcos.get(opco_id)
        if opco is None or self.etat.profil == PROFIL_STRICT:
            return STRICT
        return opco.dialecte

    def fermer(self) -> None:
        """Flush the journal, stop its writer thread, close the database connections."""
        if self.journal is not None:
            self.journal.stop()
        self.engine.dispose()
        self.engine_journal.dispose()

    def allowed_methods(self, path: str) -> list[str]:
        return self._methods.get(path.lower().rstrip("/") or "/", [])

    def operation(self, method: str, path: str) -> str | None:
        """The norm's operationId for a method and a path relative to the OPCO prefix."""
        return self._operations.get((method.upper(), path.lower().rstrip("/") or "/"))

    @contextmanager
    def session(self, *, lecture: bool = False) -> Iterator[Session]:
        """A unit of work: committed by the caller, rolled back if left uncommitted.

        `lecture`: the unit of work only reads (on SQLite, a deferred BEGIN that never waits
        for writers; one that writes must not say so, see db._Ecrivains)."""
        session = (self.sessionmaker_lecture if lecture else self.sessionmaker)()
        try:
            yield session
        finally:
            session.close()


def _spec_index(spec: dict) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    methods, operations = {}, {}
    for path, item in spec["paths"].items():
        methods[path.lower()] = sorted(m.upper() for m in item if m in verbs)
        for m in item:
            if m in verbs:
                operations[(m.upper(), path.lower())] = item[m]["operationId"]
    return methods, operations
