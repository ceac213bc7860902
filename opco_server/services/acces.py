"""The sandbox's own doors: console sessions (server-side) and throttled failed logins.

On real time, not the sandbox clock: a tester who moves the clock by a year must neither be
logged out nor unblock an attacker.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from opco_server.models import EchecConnexion, SessionConsole
from opco_server.services.identites import digest

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

DUREE_SESSION = timedelta(hours=12)


def _maintenant() -> datetime:
    return datetime.now(UTC)


def attente(sandbox: Sandbox, adresse: str) -> int | None:
    """Seconds this address must wait before trying again, or None when it may try."""
    settings = sandbox.settings
    fenetre = timedelta(seconds=settings.echecs_connexion_fenetre_s)
    now = _maintenant()
    with sandbox.session(lecture=True) as session:
        echecs = session.execute(
            select(func.count(), func.min(EchecConnexion.horodatage)).where(
                EchecConnexion.adresse == adresse[:100],
                EchecConnexion.horodatage > now - fenetre,
            )
        ).one()
    nombre, premier = echecs
    if nombre < settings.echecs_connexion_max or premier is None:
        return None
    if premier.tzinfo is None:
        premier = premier.replace(tzinfo=UTC)
    return max(1, int((premier + fenetre - now).total_seconds()) + 1)


def echouer(sandbox: Sandbox, adresse: str) -> None:
    """Record a failed attempt of this address (answered as such; the next ones wait)."""
    now = _maintenant()
    fenetre = timedelta(seconds=sandbox.settings.echecs_connexion_fenetre_s)
    with sandbox.session() as session:
        session.execute(delete(EchecConnexion).where(EchecConnexion.horodatage <= now - fenetre))
        session.add(EchecConnexion(adresse=adresse[:100], horodatage=now))
        session.commit()


def ouvrir_session(sandbox: Sandbox, admin_token: str) -> str:
    """A new console session; returns the cookie's value (only its digest is stored)."""
    valeur = secrets.token_urlsafe(32)
    now = _maintenant()
    with sandbox.session() as session:
        session.execute(delete(SessionConsole).where(SessionConsole.expire_le <= now))
        session.add(
            SessionConsole(
                jeton_hash=digest(valeur),
                admin_hash=digest(admin_token),
                cree_le=now,
                expire_le=now + DUREE_SESSION,
            )
        )
        session.commit()
    return valeur


def session_valide(sandbox: Sandbox, admin_token: str, valeur: str) -> bool:
    if not valeur or len(valeur) > 200:
        return False
    with sandbox.session(lecture=True) as session:
        row = session.get(SessionConsole, digest(valeur))
    if row is None or not secrets.compare_digest(row.admin_hash, digest(admin_token)):
        return False
    expire = row.expire_le if row.expire_le.tzinfo else row.expire_le.replace(tzinfo=UTC)
    return expire > _maintenant()


def fermer_session(sandbox: Sandbox, valeur: str) -> None:
    """Logging out ends the session on the server: its cookie is worthless from now on."""
    if not valeur or len(valeur) > 200:
        return
    with sandbox.session() as session:
        session.execute(delete(SessionConsole).where(SessionConsole.jeton_hash == digest(valeur)))
        session.commit()
