"""The sandbox's shared state, built once by create_app: settings, database, clock, OPCOs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from opco_server import db
from opco_server.clock import Clock
from opco_server.config import Settings
from opco_server.opcos import OpcoRegistry


class Sandbox:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.opcos = OpcoRegistry.load(
            settings.fixtures_dir / "opcos.yaml", settings.token_ttl_seconds
        )
        self.engine = db.make_engine(settings.database_url)
        self.sessionmaker = db.make_sessionmaker(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed by the caller, rolled back if left uncommitted."""
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def prepare_database(self) -> None:
        if self.settings.migrate:
            db.migrate(self.engine)
        if self.settings.seed_demo:
            from opco_server.seed import seed_if_empty

            with self.session() as session:
                seed_if_empty(session, self)
                session.commit()
