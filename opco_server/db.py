"""Database plumbing: declarative base, engine factory, Alembic migrations."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from sqlalchemy import Engine, MetaData, Table, create_engine, event, inspect, make_url, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_POOL = 48


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine on `url`; the pool sizes apply to PostgreSQL.

    A SQLite file keeps up to SQLITE_POOL connections open: as many as the threads that run
    requests at once (anyio's 40, a2wsgi's). With SQLAlchemy's default of 5 (+10 overflow),
    every connection beyond the fifth was opened and closed per request, and opening one
    (its PRAGMAs, WAL mode included) cost more CPU than the request's own queries."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        pool = {}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": SQLITE_POOL, "max_overflow": SQLITE_POOL}
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        ecrivains = _Ecrivains()
        event.listen(engine, "begin", ecrivains.debut)
        event.listen(engine, "commit", ecrivains.fin)
        event.listen(engine, "rollback", ecrivains.fin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def journal_url(url: str) -> str | None:
    """The request journal's own database, on SQLite: a file next to the main one
    (`data/opco-sandbox.sqlite3` -> `data/opco-sandbox.journal.sqlite3`), in memory for an
    in-memory database. None on PostgreSQL, where the journal is a table of the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return url  # every connection to it is a database of its own
    fichier = Path(database)
    fichier = fichier.with_name(f"{fichier.stem}.journal{fichier.suffix}")
    return parsed.set(database=str(fichier)).render_as_string(hide_password=False)


def make_journal_engine(url: str) -> Engine:
    """The engine the request journal is written through (opco_server.journal.ecrivain).

    SQLite: the journal's own file (journal_url), with its own pool and write lock: a journal
    batch never holds the lock the requests take (BEGIN IMMEDIATE) on the main file.
    PostgreSQL: the same database, through a pool of its own sized for the one writer thread
    of a process, so that the writer never takes a connection a request waits for.
    """
    apart = journal_url(url)
    if apart is not None:
        return make_engine(apart)
    return make_engine(url, pool_size=1, max_overflow=1)


def create_journal_table(engine: Engine, table: Table) -> None:
    """Create the journal's table in the journal's own SQLite file, if absent.

    That file is not under Alembic: the migrations keep the main database's schema (on
    PostgreSQL, the journal's table included). A change to the columns of EntreeJournal
    needs, besides its migration, a step here for an existing journal file (an ALTER TABLE,
    or dropping the table: the journal is a bounded log). The check and the creation run in
    one BEGIN IMMEDIATE transaction: workers starting together create it once.
    """
    with engine.begin() as connection:
        table.create(connection, checkfirst=True)


# Execution option of the engine behind read-only sessions (Sandbox.session(lecture=True)).
LECTURE = {"sqlite_begin": "DEFERRED"}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # SQLAlchemy, not pysqlite, opens the transactions (_Ecrivains.debut): pysqlite's own BEGIN
    # comes only before the first INSERT/UPDATE/DELETE, so the reads a write depends on would
    # run outside the transaction and two workers could both act on the same stale read.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _Ecrivains:
    """BEGIN IMMEDIATE unless the session only reads, the writers of this process in turn.

    A deferred transaction that reads then writes must upgrade its read lock; in WAL mode, if
    another connection committed meanwhile, SQLite fails at once with SQLITE_BUSY ("database
    is locked") without waiting busy_timeout. BEGIN IMMEDIATE takes the write lock first
    (waiting its turn behind other writers), so a read-modify-write is serialized across
    threads and processes. Read-only sessions keep a deferred BEGIN: WAL readers never wait.

    SQLite's own wait (busy_timeout) polls with growing sleeps (up to 100 ms), in no order:
    with sixteen writing requests, some waited seconds. The threads of this process therefore
    queue on a lock of their own before BEGIN IMMEDIATE, released at commit or rollback, and
    are woken as soon as the writer before them ends. Other processes still meet SQLite's wait;
    a thread that cannot get the lock within SQLite's timeout goes on to SQLite's wait.
    """

    ATTENTE_S = 30

    def __init__(self) -> None:
        self._verrou = threading.RLock()

    def debut(self, connection) -> None:  # type: ignore[no-untyped-def]
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "IMMEDIATE" and self._verrou.acquire(timeout=self.ATTENTE_S):
            connection.info["opco_ecrivain"] = True
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            self.fin(connection)
            raise

    def fin(self, connection) -> None:  # type: ignore[no-untyped-def]
        if connection.info.pop("opco_ecrivain", False):
            self._verrou.release()


def make_sessionmaker(engine: Engine, apart: dict[type, Engine] | None = None) -> sessionmaker:
    """Sessions on `engine`; the models of `apart` (the request journal's, on SQLite: ORM and
    Core statements alike) are read and written on their own engine instead.

    The routing is a `get_bind` that compares the statement's model or table, not Session's
    `binds` (which walks every statement's clauses: ~0.15 ms of CPU per statement)."""
    if not apart:
        return sessionmaker(bind=engine, expire_on_commit=False)
    par_table = {modele.__table__: cible for modele, cible in apart.items()}
    routee = type(
        "SessionRoutee", (_SessionRoutee,), {"_par_modele": apart, "_par_table": par_table}
    )
    return sessionmaker(bind=engine, class_=routee, expire_on_commit=False)


class _SessionRoutee(Session):
    _par_modele: dict[type, Engine] = {}  # noqa: RUF012 (set per sandbox by make_sessionmaker)
    _par_table: dict[Table, Engine] = {}  # noqa: RUF012

    def get_bind(self, mapper=None, clause=None, **kw):  # type: ignore[no-untyped-def, override]
        if mapper is not None:
            cible = self._par_modele.get(getattr(mapper, "class_", mapper))
            if cible is not None:
                return cible
        elif clause is not None:
            cible = self._par_table.get(getattr(clause, "table", None))
            if cible is not None:
                return cible
        return super().get_bind(mapper, clause=clause, **kw)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (the server does this on start).

    A database already at the head revision is left alone without importing Alembic at all
    (its import alone costs a tenth of a second of every cold start).
    """
    head = head_revision()
    if head is not None and current_revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w-]+|None)['\"]?", re.MULTILINE)


def head_revision() -> str | None:
    """The single head of the migration scripts, read from their headers (None if unclear)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REVISION.finditer(script.read_text("utf-8")))
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        parents.add(found.get("down_revision"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
