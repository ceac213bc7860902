"""The sandbox's shared state, built once by create_app: settings, database, clock, OPCOs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server import db, yamlfile
from opco_server.clock import Clock, State
from opco_server.config import Settings
from opco_server.models.journal import EntreeJournal
from opco_server.opcos import STRICT, Dialecte, OpcoRegistry
from opco_server.referentiel import charger_referentiel
from opco_server.services import partage

if TYPE_CHECKING:
    from opco_server.journal.ecrivain import EcrivainJournal

PROFIL_DIALECTES, PROFIL_STRICT = "dialectes", "norme-stricte"


class Sandbox:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
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
        # The shared state (clock, profile, faults, editors, keys, token revocations) is held
        # here and reloaded when the version every change bumps has moved (services/partage):
        # one read of one row per request. Changes are made under lock (one at a time in this
        # worker: _verrou_partage); _generation counts this worker's changes, so that a
        # reload that read the database before a change of this worker committed does not
        # undo it.
        self._verrou_partage = threading.Lock()
        self._adoption = threading.Lock()
        self._generation = 0
        self.partage: partage.Instantane | None = None
        self.prochaine_action: datetime | None = None  # the back office's next due instant
        partage.suivre(self.sessionmaker)
        self.clock.shared = self._changer_horloge
        self.profil = PROFIL_DIALECTES
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
        self.journal: EcrivainJournal | None = None

    def dialecte(self, opco_id: str) -> Dialecte:
        """The OPCO's dialect, or the strict norm when the strict profile is on."""
        opco = self.opcos.get(opco_id)
        if opco is None or self.profil == PROFIL_STRICT:
            return STRICT
        return opco.dialecte

    def set_profil(self, profil: str) -> None:
        from opco_server.models import Parametre
        from opco_server.services import compteurs

        with self._verrou_partage, self.session() as session:
            valeurs = {"nom": "profil", "valeur": profil}
            compteurs.inserer_si_absent(session, Parametre, valeurs)
            session.merge(Parametre(**valeurs))
            session.commit()
            self._adopter(profil=profil)

    def _changer_horloge(self, change: Callable[[State], State]) -> None:
        """Clock.shared: apply a change to the persisted clock atomically, then adopt it."""
        from opco_server.services import horloge

        with self._verrou_partage, self.session() as session:
            etat = horloge.changer(session, self.clock.state(), change)
            session.commit()
            self._adopter(horloge=etat)

    def _adopter(
        self,
        horloge: State | None = None,
        profil: str | None = None,
        generation: int | None = None,
        commun: partage.Instantane | None = None,
    ) -> None:
        """Take the shared state as committed: a change of this worker (generation None), or
        what a reload read (ignored if a change of this worker committed since it started)."""
        with self._adoption:
            if generation is None:
                self._generation += 1
            elif generation != self._generation:
                return
            if commun is not None:
                self.partage = commun
                horloge = horloge or commun.horloge
                # No row: the default profile (a reset empties the table).
                profil = profil or commun.profil or PROFIL_DIALECTES
            if horloge is not None:
                self.clock.restore(*horloge)
            if profil is not None:
                self.profil = profil

    def synchroniser(self) -> partage.Instantane:
        """Once per request: read the shared version (and the back office's next due
        instant); reload the shared state only if another worker or action changed it."""
        generation = self._generation
        version, self.prochaine_action = partage.lire_version(self.engine)
        courant = self.partage
        if courant is not None and courant.version == version:
            return courant
        with self.session(lecture=True) as session:
            commun = partage.charger(session, version)
        self._adopter(generation=generation, commun=commun)
        return commun

    def fermer(self) -> None:
        """Flush the journal, stop its writer thread, close the database connections."""
        if self.journal is not None:
            self.journal.arreter()
        self.engine.dispose()
        self.engine_journal.dispose()

    def etat_partage(self) -> partage.Instantane:
        """The shared state this worker holds (read by this request's synchroniser)."""
        return self.partage if self.partage is not None else self.synchroniser()

    def instantane(self, opco_id: str | None) -> Any:
        """Once per request, off the event loop: the shared state up to date (synchroniser),
        then the OPCO's simulated faults (a detached row; None if none)."""
        commun = self.synchroniser()
        return None if opco_id is None else commun.pannes.get(opco_id)

    def allowed_methods(self, path: str) -> list[str]:
        return self._methods.get(path.lower().rstrip("/") or "/", [])

    def operation(self, method: str, path: str) -> str | None:
        """The norm's operationId for a method and a path relative to the OPCO prefix."""
        return self._operations.get((method.upper(), path.lower().rstrip("/") or "/"))

    @contextmanager
    def session(self, *, lecture: bool = False) -> Iterator[Session]:
        """A unit of work: committed by the caller, rolled back if left uncommitted.

        `lecture`: the unit of work only reads (on SQLite, a deferred BEGIN that never waits
        for writers; one that writes must not say so, see db._sqlite_begin)."""
        session = (self.sessionmaker_lecture if lecture else self.sessionmaker)()
        try:
            yield session
        finally:
            session.close()

    def prepare_database(self) -> None:
        if self.settings.migrate:
            db.migrate(self.engine)
        if self.engine_journal.dialect.name == "sqlite":
            # Its own file, not under Alembic.
            db.create_journal_table(self.engine_journal, EntreeJournal.__table__)
        if self.settings.seed_demo:
            from opco_server.seed import seed_if_empty

            with self.session() as session:
                seed_if_empty(session, self)
                session.commit()
        with self.session() as session:
            partage.initialiser(session)
            session.commit()


def _spec_index(spec: dict) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    methods, operations = {}, {}
    for path, item in spec["paths"].items():
        methods[path.lower()] = sorted(m.upper() for m in item if m in verbs)
        for m in item:
            if m in verbs:
                operations[(m.upper(), path.lower())] = item[m]["operationId"]
    return methods, operations
