"""Issue 13: the journal stays off the requests' database lock, and keeps who made each request.

On SQLite the journal is a database file of its own next to the main one; on PostgreSQL a
table of the database that the writer reaches through connections of its own. Either way a
request never waits for the journal, a journal batch never waits for a request, and the
entry's client id and SIREN are those authentication found during the request.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect

# A request or a batch that waited for the lock would wait until it is released: this long.
LIBERATION_S = 15.0
ATTENTE_MAX_S = 8.0


def _fichier(sandbox) -> Path:
    return Path(sandbox.settings.database_url.split("///", 1)[1])


@contextmanager
def _verrou(sandbox, *, journal: bool) -> Iterator[None]:
    """Hold, from another connection, the journal (`journal`) or everything else: on SQLite
    the write lock of that database file (BEGIN IMMEDIATE), on PostgreSQL an ACCESS EXCLUSIVE
    lock on those tables. Released after LIBERATION_S at the latest, so that a regression
    shows as a slow call rather than a hung test."""
    if sandbox.engine.dialect.name == "sqlite":
        fichier = _fichier(sandbox)
        if journal:
            fichier = fichier.with_name(f"{fichier.stem}.journal{fichier.suffix}")
        connexion = sqlite3.connect(fichier, isolation_level=None, check_same_thread=False)
        connexion.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        tables = inspect(sandbox.engine).get_table_names()
        tables = ["journal"] if journal else [t for t in tables if t != "journal"]
        connexion = psycopg.connect(sandbox.settings.database_url)
        connexion.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
    verrou, ouverte = threading.Lock(), [True]

    def liberer() -> None:
        with verrou:
            if ouverte.pop() if ouverte else False:
                connexion.rollback()
                connexion.close()

    minuterie = threading.Timer(LIBERATION_S, liberer)
    minuterie.start()
    try:
        yield
    finally:
        minuterie.cancel()
        liberer()


def _sans_attendre(action: Callable[[], object]) -> object:
    debut = time.monotonic()
    resultat = action()
    assert time.monotonic() - debut < ATTENTE_MAX_S, "attendu le verrou d'une autre connexion"
    return resultat


def test_on_sqlite_the_journal_is_a_file_of_its_own_next_to_the_database(client, cfa, sandbox):
    if sandbox.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the journal is a table of the database")
    assert cfa.get("/v1/status").status_code == 200
    assert client.get("/_sandbox/journal").json()["entrees"]
    fichier = _fichier(sandbox)
    assert fichier.with_name(f"{fichier.stem}.journal{fichier.suffix}").is_file()
    # The main file keeps the journal table its migrations created, never written to.
    with sqlite3.connect(fichier) as connexion:
        assert connexion.execute("SELECT count(*) FROM journal").fetchone() == (0,)


def test_requests_never_wait_for_the_journal(client, cfa, contrat, sandbox, identities):
    sandbox.journal.flush()
    with _verrou(sandbox, journal=True):
        cfa._token = _sans_attendre(cfa.token)  # a write on the main database
        statut = _sans_attendre(lambda: cfa.get("/v1/status"))
        assert statut.status_code == 200
        transmis = _sans_attendre(lambda: cfa.transmettre(contrat))
        assert transmis.status_code == 200, transmis.text
    # Released: the batch the writer was holding goes in.
    entrees = client.get("/_sandbox/journal", params={"opco": "akto"}).json()["entrees"]
    operations = [e["operation"] for e in entrees]
    assert "systeme.consulter_statut" in operations
    assert "authentification.obtenir_jeton" in operations
    poste = next(e for e in entrees if e["operation"] == "dossiers.transmettre_dossier_v1")
    assert poste["clientId"] == identities["editeur"]["client_id"]
    assert poste["cfaSiren"] == cfa.cfa["siren"]


def test_a_journal_batch_never_waits_for_the_requests_database(client, cfa, sandbox, monkeypatch):
    cfa.headers()  # the token first
    captures: list[dict] = []
    monkeypatch.setattr(sandbox.journal, "add", captures.append)  # held back
    for _ in range(3):
        assert cfa.get("/v1/status").status_code == 200
    monkeypatch.undo()
    fini = threading.Event()

    def ecrire() -> None:  # the writer gets them while the rest of the database is locked
        for capture in captures:
            sandbox.journal.add(capture)
        sandbox.journal.flush()
        fini.set()

    with _verrou(sandbox, journal=False):
        ecrivain = threading.Thread(target=ecrire)
        ecrivain.start()
        assert fini.wait(ATTENTE_MAX_S), "le journal attend le verrou des requêtes"
    ecrivain.join()
    entrees = client.get("/_sandbox/journal", params={"operation": "systeme.consulter_statut"})
    assert len(entrees.json()["entrees"]) == 3


@pytest.mark.parametrize("reinitialisation", [{}, {"opco": "akto"}], ids=["tout", "opco"])
def test_the_entry_keeps_the_client_and_siren_of_credentials_gone_since(
    client, cfa, sandbox, identities, monkeypatch, reinitialisation
):
    # A key of its own (random: a reset does not bring it back), then a request with it.
    siren = cfa.cfa["siren"]
    cle = client.post("/_sandbox/opcos/akto/cles", json={"siren": siren}).json()["cle"]
    captures: list[dict] = []
    monkeypatch.setattr(sandbox.journal, "add", captures.append)  # held back
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=cle)).status_code == 200
    # The token and the key are gone before the writer gets the entry.
    reponse = client.post("/_sandbox/reinitialiser", json=reinitialisation)
    assert reponse.status_code == 200
    monkeypatch.undo()
    for capture in captures:
        sandbox.journal.add(capture)
    cfa._token = None  # the reset took the token with it
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=cle)).status_code == 403
    entrees = client.get(
        "/_sandbox/journal", params={"operation": "systeme.consulter_statut"}
    ).json()["entrees"]
    avant, apres = entrees[-1], entrees[0]
    assert avant["statut"] == 200
    assert avant["clientId"] == identities["editeur"]["client_id"]
    assert avant["cfaSiren"] == siren
    # The key refused afterwards names no CFA: authentication found none.
    assert apres["statut"] == 403 and apres["cfaSiren"] is None
    assert client.get("/_sandbox/journal", params={"cfa": siren}).json()["entrees"][-1] == avant
