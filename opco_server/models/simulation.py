"""The sandbox's own state: the shared virtual clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opco_server.db import Base
from opco_server.models.acces import CONSERVEES


class EtatHorloge(Base):
    """One row: the virtual clock every worker reads (frozen instant or offset from real time)."""

    __tablename__ = "horloge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fige: Mapped[bool] = mapped_column(Boolean, default=False)
    instant: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    decalage_secondes: Mapped[float] = mapped_column(Float, default=0.0)


class Panne(Base):
    """Fault injection for one OPCO: latency, error rate, rate limit, maintenance window."""

    __tablename__ = "pannes"

    opco_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    latence_ms: Mapped[int] = mapped_column(Integer, default=0)
    taux_erreur: Mapped[float] = mapped_column(Float, default=0.0)
    quota_par_minute: Mapped[int | None] = mapped_column(Integer, default=None)
    retry_after: Mapped[int] = mapped_column(Integer, default=30)
    maintenance_debut: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    maintenance_fin: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class JtiDPoP(Base):
    """DPoP proof ids already used at a token endpoint (a second use is a replay)."""

    __tablename__ = "dpop_jtis"

    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    vu_le: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Parametre(Base):
    """Sandbox-wide switches shared by every worker (e.g. the strict norm profile)."""

    __tablename__ = "parametres"

    nom: Mapped[str] = mapped_column(String(50), primary_key=True)
    valeur: Mapped[str] = mapped_column(String(200))


class EtatPartage(Base):
    """One row: what every worker holds in memory, and how it knows it changed.

    `version` is bumped by every change of the shared state (clock, profile, faults, editors,
    keys, token revocations: services/partage.py); each request reads this row once and
    reloads the rest only when the version moved. `prochaine_action` is the earliest instant
    the back office has something to do (None: nothing scheduled). `cle_jetons` signs the
    access tokens, shared by the workers. Kept across a reset (the version moves on).
    """

    __tablename__ = "etat_partage"
    __table_args__ = CONSERVEES

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    prochaine_action: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    cle_jetons: Mapped[str] = mapped_column(String(64))
