"""Files received through the norm (conventions, invoices, documents) and conventions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opco_server.db import Base


class Fichier(Base):
    """A stored upload: sanitised name, type, size and SHA-256; content kept in the database."""

    __tablename__ = "fichiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str] = mapped_column(String(20))
    numero: Mapped[str] = mapped_column(String(30), index=True)  # numeroInterneDocument
    nom: Mapped[str] = mapped_column(String(255))
    type_mime: Mapped[str] = mapped_column(String(100))
    taille: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    contenu: Mapped[bytes] = mapped_column(LargeBinary)
    recu_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Convention(Base):
    """The convention de formation attached to a dossier (the latest one received counts)."""

    __tablename__ = "conventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id", ondelete="CASCADE"))
    contenu: Mapped[dict[str, Any]] = mapped_column(JSON)
    recue_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    fichier: Mapped[Fichier] = relationship()


class Echeance(Base):
    """One instalment of an engaged dossier's schedule (norm.md §3.5)."""

    __tablename__ = "echeances"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    numero: Mapped[int] = mapped_column(Integer)
    codification: Mapped[str] = mapped_column(String(10))
    nature: Mapped[str] = mapped_column(String(20))
    annee: Mapped[int] = mapped_column(Integer)
    montant_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    montant_regle: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    montant_en_cours: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    # Part of montant_total due to the RQTH majoration (the rest is pedagogy).
    majoration_rqth: Mapped[Decimal] = mapped_column(
        Numeric(12, 2), default=Decimal("0"), server_default="0"
    )
    date_ouverture: Mapped[date] = mapped_column(Date)
    date_debut: Mapped[date] = mapped_column(Date)
    date_fin: Mapped[date] = mapped_column(Date)
    iban: Mapped[str | None] = mapped_column(String(34), default=None)


class FraisAnnexeEngage(Base):
    """An engaged ancillary cost (hébergement, restauration, premier équipement...)."""

    __tablename__ = "frais_annexes"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    nature: Mapped[str] = mapped_column(String(30))
    quantite: Mapped[int] = mapped_column(Integer)
    prix_unitaire: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    montant_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
