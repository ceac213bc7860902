"""Slow clients (issue 11 §6a): a client that drips its headers or its body, or sends nothing,
is closed after OPCO_DELAI_ENTETES_S / OPCO_DELAI_REQUETE_S (1 s and 2 s here).

Against real processes over loopback, with raw sockets (timeouts everywhere: a test never
hangs): `opco-server run` (uvicorn's httptools parser, as in production) and, for uvicorn's
other parser, a bare ASGI application served with BoundedH11Protocol.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench import outils
from opco_server.config import Settings

ENTETES_S, REQUETE_S = 1.0, 2.0
ENV = {"OPCO_DELAI_ENTETES_S": str(ENTETES_S), "OPCO_DELAI_REQUETE_S": str(REQUETE_S)}
MARGE_S = 1.5  # a shared, loaded machine: the server may answer late, never early

H11_APP = """
import sys, uvicorn
from opco_server.http.delais import BoundedH11Protocol

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body, more = body + message.get("body", b""), message.get("more_body", False)
    reponse = b"recu %d" % len(body)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/plain"), (b"content-length", b"%d" % len(reponse))]})
    await send({"type": "http.response.body", "body": reponse})

uvicorn.run(app, port=int(sys.argv[1]), http=BoundedH11Protocol, log_level="warning")
"""


@dataclass
class Cible:
    port: int
    chemin_get: str
    post: tuple[str, str, bytes]  # path, content type, a body that succeeds

    def connecter(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.settimeout(5)
        return s


def _formulaire() -> bytes:
    return urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": outils.CLIENT_ID,
            "client_secret": outils.CLIENT_SECRET,
        }
    ).encode()


@pytest.fixture(scope="module", params=["httptools", "h11"])
def cible(request, tmp_path_factory) -> Iterator[Cible]:
    if request.param == "httptools":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("lenteurs") / "sandbox.sqlite3")
        with outils.serveur(url, extra_env=ENV) as srv:
            port = int(srv.base_url.rsplit(":", 1)[1])
            form = "application/x-www-form-urlencoded"
            yield Cible(port, "/akto/v1/status", ("/akto/connect/token", form, _formulaire()))
        return
    port = outils.port_libre()
    env = {**os.environ, **ENV}
    process = subprocess.Popen([sys.executable, "-c", H11_APP, str(port)], cwd=outils.ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        yield Cible(port, "/", ("/", "text/plain", b"x" * 100))
    finally:
        process.terminate()
        process.wait(10)


def lire_jusqua_fermeture(s: socket.socket, limite_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes (or limite_s passes): (bytes, seconds)."""
    debut = time.monotonic()
    recu = b""
    while time.monotonic() - debut < limite_s:
        s.settimeout(max(0.05, limite_s - (time.monotonic() - debut)))
        try:
            morceau = s.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return recu, time.monotonic() - debut
        if not morceau:
            return recu, time.monotonic() - debut
        recu += morceau
    pytest.fail(f"connexion toujours ouverte après {limite_s} s (reçu : {recu[:200]!r})")


def lire_reponse(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length (the connection stays open)."""
    recu = b""
    while b"\r\n\r\n" not in recu:
        morceau = s.recv(65536)
        assert morceau, f"connexion fermée avant la réponse : {recu!r}"
        recu += morceau
    tete, corps = recu.split(b"\r\n\r\n", 1)
    lignes = tete.decode("latin-1").split("\r\n")
    entetes = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lignes[1:])}
    while len(corps) < int(entetes["content-length"]):
        morceau = s.recv(65536)
        assert morceau
        corps += morceau
    return int(lignes[0].split()[1]), entetes, corps


def requete_get(cible: Cible) -> bytes:
    return f"GET {cible.chemin_get} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def test_dripped_headers_are_cut_off(cible):
    sockets = {}
    for _ in range(50):
        s = cible.connecter()
        s.sendall(f"GET {cible.chemin_get} HTTP/1.1\r\nHost: x\r\nX-Lent: ".encode())
        s.setblocking(False)
        sockets[s] = time.monotonic()
    fermes: dict[socket.socket, float] = {}
    recus: list[bytes] = []
    limite = time.monotonic() + ENTETES_S + MARGE_S + 2
    try:
        while len(fermes) < len(sockets) and time.monotonic() < limite:
            ouverts = [s for s in sockets if s not in fermes]
            lisibles, _, _ = select.select(ouverts, [], [], 0.3)
            for s in lisibles:
                try:
                    morceau = s.recv(65536)
                except ConnectionResetError:
                    morceau = b""
                recus.append(morceau)
                if not morceau or morceau.startswith(b"HTTP/1.1 408"):
                    fermes[s] = time.monotonic() - sockets[s]
            for s in ouverts:
                if s not in fermes:
                    try:
                        s.send(b"a")  # one more header byte every 0.3 s
                    except OSError:
                        fermes[s] = time.monotonic() - sockets[s]
    finally:
        for s in sockets:
            s.close()
    assert len(fermes) == 50, f"{50 - len(fermes)} connexions lentes toujours ouvertes"
    assert all(r == b"" or r.startswith(b"HTTP/1.1 408") for r in recus), recus[:3]
    durees = sorted(fermes.values())
    assert ENTETES_S - 0.1 <= durees[0] <= durees[-1] <= ENTETES_S + MARGE_S, durees


def test_stalled_body_gets_408_in_the_norm_format(cible):
    chemin, type_, _ = cible.post
    with cible.connecter() as s:
        s.sendall(
            f"POST {chemin} HTTP/1.1\r\nHost: x\r\nContent-Type: {type_}\r\n"
            f"Content-Length: 1000\r\n\r\n".encode()
            + b"grant_type"
        )
        recu, duree = lire_jusqua_fermeture(s, REQUETE_S + MARGE_S + 2)
    assert REQUETE_S - 0.1 <= duree <= REQUETE_S + MARGE_S, duree
    tete, corps = recu.split(b"\r\n\r\n", 1)
    assert tete.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), recu
    assert b"connection: close" in tete.lower() and b"application/json" in tete
    erreurs = json.loads(corps)["errors"]
    assert [e["code"] for e in erreurs] == ["REQUEST_TIMEOUT"]
    assert "Délai dépassé" in erreurs[0]["description"]


def test_silent_connection_is_closed(cible):
    with cible.connecter() as s:
        recu, duree = lire_jusqua_fermeture(s, ENTETES_S + MARGE_S + 2)
    assert recu == b"" and ENTETES_S - 0.1 <= duree <= ENTETES_S + MARGE_S, duree


def test_keep_alive_requests_still_work_and_idle_is_not_cut_at_the_headers_deadline(cible):
    with cible.connecter() as s:
        s.sendall(requete_get(cible))
        premier, _, _ = lire_reponse(s)
        time.sleep(ENTETES_S + 0.5)  # idle: uvicorn's keep-alive (5 s) applies, not ours
        s.sendall(requete_get(cible))
        second, entetes, _ = lire_reponse(s)
        assert premier == second and premier < 500
        assert entetes.get("connection") != "close"
        # A follow-up that drips its headers: closed, counted from its first byte.
        s.sendall(b"GET / HTTP/1.1\r\n")
        recu, duree = lire_jusqua_fermeture(s, ENTETES_S + MARGE_S + 2)
    assert recu == b"" and ENTETES_S - 0.1 <= duree <= ENTETES_S + MARGE_S, duree


def test_slow_but_steady_body_within_the_limit_succeeds(cible):
    chemin, type_, corps = cible.post
    morceaux = [corps[i : i + 20] for i in range(0, len(corps), 20)]
    pause = (REQUETE_S * 0.6) / len(morceaux)
    with cible.connecter() as s:
        s.sendall(
            f"POST {chemin} HTTP/1.1\r\nHost: x\r\nContent-Type: {type_}\r\n"
            f"Content-Length: {len(corps)}\r\n\r\n".encode()
        )
        for morceau in morceaux:
            time.sleep(pause)
            s.sendall(morceau)
        status, _, reponse = lire_reponse(s)
    assert status == 200, reponse


def test_settings_read_the_deadlines_from_the_environment(monkeypatch):
    assert (Settings().delai_entetes_s, Settings().delai_requete_s) == (10.0, 60.0)
    monkeypatch.setenv("OPCO_DELAI_ENTETES_S", "2.5")
    monkeypatch.setenv("OPCO_DELAI_REQUETE_S", "30")
    monkeypatch.setenv("OPCO_CONCURRENCE_MAX", "0")
    settings = Settings.from_env()
    assert (settings.delai_entetes_s, settings.delai_requete_s) == (2.5, 30.0)
    assert settings.concurrence_max is None
    monkeypatch.setenv("OPCO_DELAI_REQUETE_S", "0")
    with pytest.raises(ValueError, match="OPCO_DELAI_REQUETE_S"):
        Settings.from_env()


def test_workers_read_the_deadlines_from_the_environment():
    # `--workers N`: uvicorn's spawned workers get the protocol class by name and read the
    # deadlines from their environment (a full 2-worker start is too slow for a unit test).
    import pickle

    from opco_server import cli
    from opco_server.http import delais

    options = cli._uvicorn_bounds(Settings())
    assert pickle.loads(pickle.dumps(options["http"])) is delais.BoundedHTTPProtocol
    assert options["limit_concurrency"] == 1000
    code = "from opco_server.http.delais import limits; print(limits())"
    sortie = subprocess.run(
        [sys.executable, "-c", code],
        cwd=outils.ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert sortie.strip() == f"({ENTETES_S}, {REQUETE_S})"


class FauxTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.ferme = False
        self.ecrit = b""

    def get_extra_info(self, name, default=None):  # type: ignore[no-untyped-def]
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(name)

    def is_closing(self) -> bool:
        return self.ferme

    def close(self) -> None:
        self.ferme = True

    def write(self, data) -> None:  # type: ignore[no-untyped-def]
        self.ecrit += bytes(data)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


@pytest.mark.parametrize("protocole", ["BoundedHttpToolsProtocol", "BoundedH11Protocol"])
def test_a_request_read_at_once_arms_no_timer(protocole):
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from opco_server.http import delais

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        config = Config(app, log_level="warning")
        proto = getattr(delais, protocole)(config, ServerState(), {}, _loop=loop)
        transport = FauxTransport()
        proto.connection_made(transport)
        assert proto._guarded == delais.HEADERS  # nothing received yet
        for _ in range(3):
            proto.data_received(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert proto._timer is None
            await asyncio.sleep(0.01)  # the response; uvicorn's keep-alive timer, not ours
            assert proto._timer is None and b"204" in transport.ecrit
        proto.data_received(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
        assert proto._guarded == delais.BODY
        proto.connection_lost(None)
        assert proto._timer is None

    asyncio.run(scenario())
