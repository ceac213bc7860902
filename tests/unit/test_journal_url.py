"""Where the request journal lives, by database URL (opco_server.db.journal_url)."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from opco_server.db import journal_url


@pytest.mark.parametrize(
    ("url", "journal"),
    [
        ("sqlite:////srv/data/opco-sandbox.sqlite3", "/srv/data/opco-sandbox.journal.sqlite3"),
        ("sqlite:///data/opco-sandbox.sqlite3", "data/opco-sandbox.journal.sqlite3"),
        ("sqlite:///sans-extension", "sans-extension.journal"),
    ],
)
def test_on_sqlite_the_journal_is_a_file_next_to_the_database(url, journal):
    assert make_url(journal_url(url)).database == journal


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_has_an_in_memory_journal(url):
    assert journal_url(url) == url  # each connection to it is a database of its own


def test_a_named_in_memory_database_has_a_journal_of_another_name():
    url = "sqlite:///file:essai?mode=memory&cache=shared&uri=true"
    journal = make_url(journal_url(url))
    assert journal.database == "file:essai.journal"
    assert journal.query == {"mode": "memory", "cache": "shared", "uri": "true"}


def test_on_postgresql_the_journal_is_a_table_of_the_database():
    assert journal_url("postgresql://postgres@127.0.0.1:5432/test") is None
