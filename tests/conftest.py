"""Shared fixtures: one migrated database per backend, a fresh demo state per test.

Every API test runs on SQLite and on PostgreSQL. PostgreSQL is found through
OPCO_TEST_POSTGRES_URL (default: postgresql://postgres@127.0.0.1:5432/test); the tests make
their own throw-away database there. Without a server they skip, except under CI.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from opco_server.config import Settings
from opco_server.horloge import Horloge
from opco_server.http.admin import LOOPBACK_NAMES

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("OPCO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _postgres_database() -> Iterator[str]:
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL required under CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL} ({exc}); set OPCO_TEST_POSTGRES_URL")
    name = f"opco_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "sandbox.sqlite3")
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def base_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, validate_responses=True, seed_demo=True, hotes=HOTES_DE_TEST
    )


# The test clients' host names: the console and the control API answer them (OPCO_HOTES).
HOTES_DE_TEST = (*LOOPBACK_NAMES, "testserver")


def app_jetable(prefixe: str, horloge: Horloge | None = None, **reglages: object):  # type: ignore[no-untyped-def]
    """An app of its own on a throw-away SQLite database seeded with the demo identities
    (the contract tests build theirs at import time, to parametrize from its spec; the
    path matrix of the guards, which no database decides, runs once on it)."""
    import tempfile

    from opco_server import create_app

    database = Path(tempfile.mkdtemp(prefix=prefixe)) / "sandbox.sqlite3"
    settings = Settings(
        database_url=f"sqlite:///{database}", validate_responses=True, hotes=HOTES_DE_TEST
    ).with_(**reglages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_app(settings, horloge)


@pytest.fixture(scope="session")
def session_app(base_settings: Settings):
    from opco_server import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(base_settings, Horloge(figee_a=NOW))
    yield app
    app.app.extensions["opco.sandbox"].fermer()


@pytest.fixture
def sandbox(session_app):
    return session_app.app.extensions["opco.sandbox"]


@pytest.fixture
def horloge(sandbox) -> Horloge:
    return sandbox.horloge


# Per sandbox: what its database held right after the last reset (see `empreinte`).
_APRES_REINITIALISATION: dict[int, dict[str, object]] = {}


def empreinte(sandbox) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Everything a test could have changed that a reset restores: every row of every table the
    reset empties (the journal's included, once its pending entries are written), the
    PostgreSQL sequences, the shared state's version, this worker's clock."""
    from sqlalchemy import select, text

    from opco_server.db import Base
    from opco_server.services.partage import lire_version

    if sandbox.journal is not None:
        sandbox.journal.flush()
    # Through each table's mapper: on SQLite the journal lives in a database file of its own.
    mappers = {mapper.local_table: mapper for mapper in Base.registry.mappers}
    etat: dict[str, object] = {}
    with sandbox.session(lecture=True) as session:
        for table in Base.metadata.sorted_tables:
            if not table.info.get("conserver_a_la_reinitialisation"):
                lignes = select(table).order_by(*table.primary_key)
                etat[table.name] = list(
                    session.execute(lignes, bind_arguments={"mapper": mappers[table]})
                )
        # SQLite gives a new row the highest id plus one: equal rows, equal next ids.
        if session.get_bind().dialect.name == "postgresql":
            sequences = text("SELECT sequencename, last_value FROM pg_sequences")
            etat.update({f"sequence {nom}": valeur for nom, valeur in session.execute(sequences)})
    etat["version"] = lire_version(sandbox.engine)
    etat["horloge"] = sandbox.horloge.reglage()
    return etat


# What a test changes by merely calling the norm: its requests are journaled.
JOURNAL_SEUL = {"journal", "sequence journal_id_seq"}


def _vider_journal(sandbox) -> None:  # type: ignore[no-untyped-def]
    """What a reset does to the journal, alone (ids start again at 1, as after a reset)."""
    from sqlalchemy import text

    from opco_server.models import EntreeJournal

    with sandbox.journal.paused(), sandbox.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("TRUNCATE journal RESTART IDENTITY"))
        else:
            session.execute(EntreeJournal.__table__.delete())
        session.commit()


@pytest.fixture
def app(session_app, sandbox):
    """The session's app, with the demo data freshly reset and the clock at NOW.

    The reset is skipped when the database is still exactly as the last one left it (the
    previous test only read, or was refused), and narrowed to the journal when only the
    journal changed: `empreinte` compares all of it, rows included."""
    from opco_server.services.reinitialisation import reinitialiser

    reference = _APRES_REINITIALISATION.get(id(sandbox))
    if reference is not None:
        etat = empreinte(sandbox)
        ecarts = {
            cle for cle in reference.keys() | etat.keys() if etat.get(cle) != reference.get(cle)
        }
        if not ecarts:
            return session_app
        if ecarts <= JOURNAL_SEUL:
            _vider_journal(sandbox)
            return session_app
    sandbox.horloge.figer(NOW)
    sandbox.horloge.regler(NOW)
    reinitialiser(sandbox)
    _APRES_REINITIALISATION[id(sandbox)] = empreinte(sandbox)
    return session_app


@pytest.fixture
def client(app):
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def identities(sandbox) -> dict:
    from opco_server.donnees.seed import identities as demo_identities

    return demo_identities(sandbox)


@pytest.fixture
def contrat() -> dict:
    return json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))


_DPOP_KEY = None


def dpop_proof(url: str, method: str = "POST") -> str:
    """An RFC 9449 proof as AFDAS expects on its token endpoint (RS256, typ dpop+jwt)."""
    import time
    import uuid

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    global _DPOP_KEY
    if _DPOP_KEY is None:
        _DPOP_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(_DPOP_KEY.public_key(), as_dict=True)
    claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
    return jwt.encode(claims, _DPOP_KEY, algorithm="RS256", headers={"typ": "dpop+jwt", "jwk": jwk})


class NormClient:
    """A CFA-side client as a vendor writes it: token, key, identification headers."""

    def __init__(self, client, identities: dict, opco: str = "akto", cfa: int = 0) -> None:
        self.client = client
        self.identities = identities
        self.opco = opco
        self.cfa = identities["cfas"][cfa]
        self._token: str | None = None

    def token(self, opco: str | None = None) -> str:
        editeur = self.identities["editeur"]
        opco = opco or self.opco
        url = f"/{opco}/connect/token"
        # AFDAS wants a DPoP proof on its token endpoint (its dialect).
        headers = {"DPoP": dpop_proof(f"http://testserver{url}")} if opco == "afdas" else {}
        response = self.client.post(
            url,
            data={
                "grant_type": "client_credentials",
                "client_id": editeur["client_id"],
                "client_secret": editeur["client_secret"],
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def headers(self, **overrides: str | None) -> dict[str, str]:
        if self._token is None:
            self._token = self.token()
        headers = {
            "Authorization": f"Bearer {self._token}",
            "X-API-KEY": self.cfa["cles"][self.opco],
            "EDITEUR": "Editeur de test",
            "LOGICIEL": "GestionCFA",
            "VERSION": "4.2.0",
        }
        for key, value in overrides.items():
            name = key.replace("_", "-")
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return headers

    def get(self, path: str, **kwargs):
        return self._call("get", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self._call("post", path, **kwargs)

    def _call(self, method: str, path: str, headers: dict | None = None, **kwargs):
        """Like a real client: on 401 with its own token, get a new token and retry once."""
        send = getattr(self.client, method)
        response = send(f"/{self.opco}{path}", headers=headers or self.headers(), **kwargs)
        if response.status_code == 401 and headers is None:
            self._token = None
            response = send(f"/{self.opco}{path}", headers=self.headers(), **kwargs)
        return response

    def transmettre(self, cerfa_body: dict, version: str = "v1"):
        return self.post(f"/{version}/dossiers", json=cerfa_body)


@pytest.fixture
def cfa(client, identities) -> NormClient:
    return NormClient(client, identities)


@pytest.fixture
def make_cfa(client, identities):
    def factory(opco: str = "akto", cfa: int = 0) -> NormClient:
        return NormClient(client, identities, opco, cfa)

    return factory
