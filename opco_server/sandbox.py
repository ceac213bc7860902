"""The sandbox's shared state, built once by create_app: settings, database, clock, OPCOs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from opco_server import db
from opco_server.clock import Clock
from opco_server.config import Settings
from opco_server.opcos import OpcoRegistry
from opco_server.referentiel import charger_referentiel


class Sandbox:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.opcos = OpcoRegistry.load(
            settings.fixtures_dir / "opcos.yaml", settings.token_ttl_seconds
        )
        self.referentiel = charger_referentiel(settings.fixtures_dir)
        self._methods = _methods_by_path(settings.spec_dir / "openapi.yaml")
        self.engine = db.make_engine(settings.database_url)
        self.sessionmaker = db.make_sessionmaker(self.engine)
        self.clock.on_change = self._persist_clock

    def _persist_clock(self, clock: Clock) -> None:
        from opco_server.services import horloge

        with self.session() as session:
            horloge.enregistrer(session, clock)
            session.commit()

    def sync_clock(self) -> None:
        """Adopt the clock another worker (or the control API) persisted."""
        from opco_server.services import horloge

        with self.session() as session:
            horloge.synchroniser(session, self.clock)

    def allowed_methods(self, path: str) -> list[str]:
        return self._methods.get(path.lower().rstrip("/") or "/", [])

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


def _methods_by_path(spec_path: Path) -> dict[str, list[str]]:
    spec = yaml.safe_load(spec_path.read_text("utf-8"))
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    return {
        path.lower(): sorted(m.upper() for m in item if m in verbs)
        for path, item in spec["paths"].items()
    }
