"""The request journal: every norm request and its response, secrets masked, bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opco_server.db import Base


class EntreeJournal(Base):
    __tablename__ = "journal"
    __table_args__ = (Index("ix_journal_opco_id_id", "opco_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    horodatage: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # sandbox clock
    horodatage_reel: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # wall clock
    opco_id: Mapped[str] = mapped_column(String(20))
    methode: Mapped[str] = mapped_column(String(10))
    chemin: Mapped[str] = mapped_column(String(500))  # as sent, prefix included
    operation: Mapped[str | None] = mapped_column(String(100), default=None)  # operationId
    statut: Mapped[int] = mapped_column(Integer)
    duree_ms: Mapped[float] = mapped_column(Float)
    client_id: Mapped[str | None] = mapped_column(String(100), default=None)  # from the token
    editeur: Mapped[str | None] = mapped_column(String(200), default=None)  # EDITEUR header
    logiciel: Mapped[str | None] = mapped_column(String(200), default=None)  # LOGICIEL header
    version: Mapped[str | None] = mapped_column(String(100), default=None)  # VERSION header
    cfa_siren: Mapped[str | None] = mapped_column(String(9), default=None)  # from the key
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # error codes
    requete: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # masked
    reponse: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # masked
    retry_after: Mapped[int | None] = mapped_column(Integer, default=None)
    # A fingerprint of what was sent, to recognise a resend (e.g. the duplicate key of a Cerfa).
    empreinte: Mapped[str | None] = mapped_column(String(64), default=None)
