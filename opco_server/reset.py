"""Empty every table and re-seed the demo data: what a test (or a vendor) calls between runs."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from sqlalchemy import text

from opco_server.db import Base
from opco_server.seed import seed
from opco_server.services import partage

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


def reset(sandbox: Sandbox, with_demo: bool = True) -> None:
    # The requests made before the reset go with it; no journal batch interleaves with it.
    # (A Sandbox built without create_app has no journal writer, hence nothing pending.)
    suspendu = sandbox.journal.suspendu() if sandbox.journal else nullcontext()
    with suspendu, sandbox.session() as session:
        tables = [
            t
            for t in reversed(Base.metadata.sorted_tables)
            if not t.info.get("conserver_a_la_reinitialisation")
        ]
        # On SQLite the journal's table lives in its own file: the session sends its DELETE
        # there (db.make_sessionmaker), in a transaction of its own committed with this one.
        if session.get_bind().dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                session.execute(table.delete())
        if with_demo:
            seed(session, sandbox)
        # Every worker reloads its shared state; the tokens issued before are void.
        partage.revoquer_jetons(session)
        partage.signaler(session)
        partage.recalculer(session)
        session.commit()
