"""Back to the demo data: the whole sandbox, or one OPCO (its data only).

What a test (or a vendor) calls between runs; the control API and the console call it too."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from sqlalchemy import delete, text

from opco_server.db import Base
from opco_server.donnees.seed import demo_key, load_demo, seed
from opco_server.models import (
    CleCfa,
    CompteurCfa,
    DocumentLie,
    Dossier,
    EntreeJournal,
    Facture,
    Fichier,
    Panne,
    SequenceOpco,
)
from opco_server.services import identites, partage

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

# Deleted in this order (children first); the database cascades the rest.
PAR_OPCO = (
    Facture,
    Dossier,
    DocumentLie,
    Fichier,
    EntreeJournal,
    Panne,
    SequenceOpco,
    CompteurCfa,
    CleCfa,
)


def reinitialiser(sandbox: Sandbox, avec_demo: bool = True) -> None:
    """Empty every table (the journal's included) and, unless told not to, load the demo data again."""
    # The requests made before the reset go with it; no journal batch interleaves with it.
    # (A Sandbox built without create_app has no journal writer, hence nothing pending.)
    suspendu = sandbox.journal.paused() if sandbox.journal else nullcontext()
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
        if avec_demo:
            seed(session, sandbox)
        # Every worker reloads its shared state; the tokens issued before are void.
        partage.revoquer_jetons(session)
        partage.signaler(session)
        partage.recalculer(session)
        session.commit()


def reinitialiser_opco(sandbox: Sandbox, opco_id: str) -> None:
    opco = sandbox.opcos[opco_id]
    # The requests made before the reset go with it; no journal batch interleaves with it.
    # (A Sandbox built without create_app has no journal writer, hence nothing pending.)
    suspendu = sandbox.journal.paused() if sandbox.journal else nullcontext()
    with suspendu, sandbox.session() as session:
        for model in PAR_OPCO:
            session.execute(delete(model).where(model.opco_id == opco_id))
        for cfa in load_demo(sandbox)["cfas"]:
            identites.generer_cle(
                session, sandbox.horloge, opco, cfa["siren"], cle=demo_key(opco_id, cfa["siren"])
            )
        # Every worker reloads its shared state; this OPCO's tokens issued before are void.
        partage.revoquer_jetons(session, opco_id)
        partage.signaler(session)
        partage.recalculer(session)
        session.commit()
