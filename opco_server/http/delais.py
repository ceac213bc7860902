"""uvicorn HTTP protocols that bound how long a client may take to send its request.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) but never one that is
sending its request: a client that connects and sends nothing, or drips its headers or its
body a byte at a time, holds its connection (and its socket) for ever. These subclasses of
uvicorn's two HTTP/1.1 protocols add two deadlines:

- headers: the request line and headers must be complete within `delai_entetes_s`, counted
  from the connection's start (first request) or from the first byte of a keep-alive follow-up
  request; beyond, the connection is closed without an answer;
- body: the body must be complete within `delai_requete_s` of the end of the headers; beyond,
  the client gets `408 REQUEST_TIMEOUT` in the norm's error format if no response has started
  (the connection is then closed), otherwise the connection is just closed.

Between two requests, uvicorn's own keep-alive timeout applies. One timer (loop.call_later) per
connection at most, armed only while a request is incomplete after the bytes received so far:
a request that arrives in one read arms none. The limits come from the OPCO_* environment
variables (Settings.from_env), read once per process, so that `uvicorn.run(..., workers=N)`
workers, which import this class by name, read them too.
"""

from __future__ import annotations

import json
import logging
from asyncio import TimerHandle
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from opco_server.config import Settings
from opco_server.errors import ErrorItem, norm_body

logger = logging.getLogger("opco_server.http.delais")

IDLE, HEADERS, BODY = "idle", "headers", "body"


@cache
def limits() -> tuple[float, float]:
    """(headers deadline, body deadline) in seconds, from the environment."""
    settings = Settings.from_env()
    return settings.delai_entetes_s, settings.delai_requete_s


def reponse_408(delai: float, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    secondes = f"{delai:g}".replace(".", ",")
    description = (
        f"Délai dépassé : le corps de la requête n'a pas été reçu en entier en {secondes} s."
    )
    erreur = norm_body([ErrorItem("REQUEST_TIMEOUT", description)])
    body = json.dumps(erreur, ensure_ascii=False).encode()
    lines = [b"HTTP/1.1 408 Request Timeout"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class _Deadlines:
    """The deadlines, shared by both protocols; `_phase()` says where the request is."""

    transport: Any
    loop: Any
    cycle: Any
    server_state: Any

    _timer: TimerHandle | None = None
    _guarded: str = IDLE  # the phase the armed timer guards

    def _phase(self) -> str:
        raise NotImplementedError

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        super().connection_made(transport)  # type: ignore[misc]
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._follow()  # pipelined requests may have been parsed meanwhile

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _follow(self) -> None:
        """Arm, keep or cancel the timer for the phase the request is now in."""
        phase = IDLE if self.transport.is_closing() else self._phase()
        if phase == self._guarded:
            return
        self._cancel()
        if phase != IDLE:
            entetes, requete = limits()
            delai = entetes if phase == HEADERS else requete
            self._timer = self.loop.call_later(delai, self._expired, phase, delai)
            self._guarded = phase

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._guarded = IDLE

    def _expired(self, phase: str, delai: float) -> None:
        self._timer = None
        self._guarded = IDLE
        try:
            if self.transport.is_closing():
                return
            if phase == BODY and getattr(self, "flow", None) and self.flow.read_paused:
                # We stopped reading (pipelining, or the app is slow to consume the body):
                # the wait is ours, not the client's.
                self._timer = self.loop.call_later(delai, self._expired, phase, delai)
                self._guarded = phase
                return
            cycle = self.cycle
            if phase == BODY and cycle is not None and not cycle.response_started:
                logger.warning(
                    "corps de requête incomplet après %g s : 408, connexion fermée", delai
                )
                cycle.response_started = True
                cycle.keep_alive = False
                cycle.disconnected = True  # the application's send() writes nothing more
                cycle.message_event.set()  # its receive() sees http.disconnect
                self.transport.write(reponse_408(delai, self.server_state.default_headers))
            self.transport.close()
        except Exception:  # never raise in the event loop
            logger.exception("fermeture d'une connexion lente")
            self.transport.abort()


class BoundedH11Protocol(_Deadlines, H11Protocol):
    def _phase(self) -> str:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            return BODY
        # Waiting for a request: the first one from the connection's start, a keep-alive
        # follow-up from its first byte (before that, uvicorn's keep-alive timeout).
        waiting = state is h11.IDLE
        if waiting and (self.cycle is None or self.conn.trailing_data[0]):
            return HEADERS
        return IDLE


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools missing: uvicorn's "auto" is h11
    BoundedHTTPProtocol: type = BoundedH11Protocol
else:

    class BoundedHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
        _request_phase = HEADERS  # until the first request's headers

        def _phase(self) -> str:
            return self._request_phase

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._request_phase = HEADERS

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._request_phase = BODY

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._request_phase = IDLE

        def handle_websocket_upgrade(self) -> None:
            self._cancel()
            self._request_phase = IDLE
            super().handle_websocket_upgrade()

    BoundedHTTPProtocol = BoundedHttpToolsProtocol
