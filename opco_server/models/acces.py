"""Who holds the sandbox's own doors: console sessions and failed login attempts.

Both live on real time (not the sandbox clock, which a tester moves by years) and survive a
reset of the sandbox: resetting the demo data must not log the operator out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opco_server.db import Base

# Tables a reset of the sandbox leaves alone (reset.py).
CONSERVEES = {"info": {"conserver_a_la_reinitialisation": True}}


class SessionConsole(Base):
    """A console login: only the SHA-256 of the cookie's random value is stored."""

    __tablename__ = "sessions_console"
    __table_args__ = CONSERVEES

    jeton_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of the admin token the session was opened with: changing the token ends it.
    admin_hash: Mapped[str] = mapped_column(String(64))
    cree_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expire_le: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class EchecConnexion(Base):
    """A failed console login or wrong admin token, by client address (throttling)."""

    __tablename__ = "echecs_connexion"
    __table_args__ = CONSERVEES

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adresse: Mapped[str] = mapped_column(String(100), index=True)
    horodatage: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
