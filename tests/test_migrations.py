"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL),
and the shared-state row exists once migrated."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from opco_server import db
from opco_server.db import Base
from opco_server.models import EtatPartage


def test_migrations_match_the_models(database_url):
    engine = db.make_engine(database_url)
    try:
        db.migrate(engine)
        with engine.connect() as connection:
            ecarts = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert ecarts == []
            row = connection.execute(select(EtatPartage.version, EtatPartage.cle_jetons)).one()
            assert row.version >= 1 and len(row.cle_jetons) == 64
    finally:
        engine.dispose()


def test_a_fresh_sqlite_database_migrates_from_nothing(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'vide.sqlite3'}")
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()
