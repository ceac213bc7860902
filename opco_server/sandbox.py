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
from opco_server.opcos import STRICT, Dialecte, OpcoRegistry
from opco_server.referentiel import charger_referentiel

PROFIL_DIALECTES, PROFIL_STRICT = "dialectes", "norme-stricte"


class Sandbox:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.opcos = OpcoRegistry.load(
            settings.fixtures_dir / "opcos.yaml", settings.token_ttl_seconds
        )
        self.referentiel = charger_referentiel(settings.fixtures_dir)
        self._methods, self._operations = _spec_index(settings.spec_dir / "openapi.yaml")
        self.engine = db.make_engine(settings.database_url)
        self.sessionmaker = db.make_sessionmaker(self.engine)
        self.clock.on_change = self._persist_clock
        self.profil = PROFIL_DIALECTES

    def dialecte(self, opco_id: str) -> Dialecte:
        """The OPCO's dialect, or the strict norm when the strict profile is on."""
        opco = self.opcos.get(opco_id)
        if opco is None or self.profil == PROFIL_STRICT:
            return STRICT
        return opco.dialecte

    def set_profil(self, profil: str) -> None:
        from opco_server.models import Parametre

        self.profil = profil
        with self.session() as session:
            session.merge(Parametre(nom="profil", valeur=profil))
            session.commit()

    def _persist_clock(self, clock: Clock) -> None:
        from opco_server.services import horloge

        with self.session() as session:
            horloge.enregistrer(session, clock)
            session.commit()

    def sync_clock(self) -> None:
        """Adopt the clock and profile another worker (or the control API) persisted."""
        from opco_server.models import Parametre
        from opco_server.services import horloge

        with self.session() as session:
            horloge.synchroniser(session, self.clock)
            row = session.get(Parametre, "profil")
            self.profil = row.valeur if row else self.profil

    def allowed_methods(self, path: str) -> list[str]:
        return self._methods.get(path.lower().rstrip("/") or "/", [])

    def operation(self, method: str, path: str) -> str | None:
        """The norm's operationId for a method and a path relative to the OPCO prefix."""
        return self._operations.get((method.upper(), path.lower().rstrip("/") or "/"))

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


def _spec_index(spec_path: Path) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    spec = yaml.safe_load(spec_path.read_text("utf-8"))
    verbs = ("get", "put", "post", "delete", "patch", "head", "options")
    methods, operations = {}, {}
    for path, item in spec["paths"].items():
        methods[path.lower()] = sorted(m.upper() for m in item if m in verbs)
        for m in item:
            if m in verbs:
                operations[(m.upper(), path.lower())] = item[m]["operationId"]
    return methods, operations
