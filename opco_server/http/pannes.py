"""ASGI middleware for what an OPCO does to a client besides the norm: operations it does not
offer (its dialect) and injected faults (latency, errors, 429 with Retry-After, maintenance
windows on the sandbox clock). Its errors are rendered by the exception handlers."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict, deque
from datetime import UTC
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Receive, Scope, Send

from opco_server.errors import ErrorItem, NormError, NotFound
from opco_server.horloge import aware
from opco_server.http.context import SCOPE_OPCO, SCOPE_PANNE, operation_de
from opco_server.sandbox import Sandbox

if TYPE_CHECKING:
    from opco_server.models import Panne


class Indisponible(NormError):
    status = 503


class TropDeRequetes(NormError):
    status = 429


class ErreurSimulee(NormError):
    status = 500


class PannesMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox
        self.random = random.Random(sandbox.settings.graine_pannes)
        self.appels: dict[str, deque[float]] = defaultdict(deque)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opco_id = scope.get(SCOPE_OPCO)
        if scope["type"] == "http" and opco_id:
            operation = operation_de(scope)
            if operation and operation in self.sandbox.dialecte(opco_id).non_proposees:
                raise NotFound.one(
                    "OPERATION_NOT_AVAILABLE",
                    f"Opération non proposée par cet OPCO ({operation}) : voir le tableau des "
                    "implémentations de la norme.",
                )
            # Read off the event loop by RoutingMiddleware, with the clock.
            await self._pannes(opco_id, scope[SCOPE_PANNE])
        await self.app(scope, receive, send)

    async def _pannes(self, opco_id: str, panne: Panne | None) -> None:
        if panne is None:
            return
        now = self.sandbox.horloge.maintenant()
        debut, fin = aware(panne.maintenance_debut), aware(panne.maintenance_fin)
        if debut and fin and debut <= now < fin:
            raise Indisponible(
                ErrorItem(
                    "SERVICE_MAINTENANCE",
                    f"Service en maintenance jusqu'au {fin.astimezone(UTC):%d/%m/%Y %H:%M} UTC.",
                ),
                headers={"Retry-After": str(max(1, int((fin - now).total_seconds())))},
            )
        if panne.quota_par_minute is not None and self._quota_depasse(
            opco_id, panne.quota_par_minute
        ):
            raise TropDeRequetes(
                ErrorItem(
                    "RATE_LIMITED",
                    f"Trop de requêtes : {panne.quota_par_minute} par minute "
                    f"au plus ; réessayez dans {panne.retry_after} s.",
                ),
                headers={"Retry-After": str(panne.retry_after)},
            )
        if panne.latence_ms:
            await asyncio.sleep(panne.latence_ms / 1000)
        if panne.taux_erreur and self.random.random() < panne.taux_erreur:
            raise ErreurSimulee.one(
                "INTERNAL_ERROR", "Erreur interne simulée (injection de pannes de la sandbox)."
            )

    def _quota_depasse(self, opco_id: str, quota: int) -> bool:
        now, window = time.monotonic(), self.appels[opco_id]
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= quota:
            return True
        window.append(now)
        return False
