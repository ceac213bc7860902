"""The sandbox's own state: the shared virtual clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from opco_server.db import Base


class EtatHorloge(Base):
    """One row: the virtual clock every worker reads (frozen instant or offset from real time)."""

    __tablename__ = "horloge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fige: Mapped[bool] = mapped_column(Boolean, default=False)
    instant: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    decalage_secondes: Mapped[float] = mapped_column(Float, default=0.0)
