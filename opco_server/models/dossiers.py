"""Apprenticeship dossiers as an OPCO holds them: the Cerfa as received plus its state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opco_server.db import Base


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("opco_id", "numero_interne"),
        # Race-free duplicate detection: the key is NULL once the dossier no longer counts
        # (refused, cancelled), and NULLs never collide.
        UniqueConstraint("opco_id", "cle_doublon"),
        # Contiguous rank per (OPCO, CFA): page N of the états is a range scan on this index.
        UniqueConstraint("opco_id", "cfa_siren", "rang"),
        Index("ix_dossiers_opco_numero_externe", "opco_id", "numero_externe"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str] = mapped_column(String(20))
    numero_interne: Mapped[str] = mapped_column(String(30))
    numero_externe: Mapped[str] = mapped_column(String(30))
    numero_deca: Mapped[str | None] = mapped_column(String(15), default=None)
    etat: Mapped[str] = mapped_column(String(30))
    commentaire_etat: Mapped[str | None] = mapped_column(Text, default=None)
    cfa_siren: Mapped[str] = mapped_column(String(9))
    rang: Mapped[int] = mapped_column(Integer)
    organisme_siret: Mapped[str] = mapped_column(String(14))
    employeur_siret: Mapped[str] = mapped_column(String(14))
    apprenti_nom: Mapped[str] = mapped_column(String(200))
    apprenti_prenom: Mapped[str] = mapped_column(String(200))
    apprenti_date_naissance: Mapped[date] = mapped_column(Date)
    date_debut_contrat: Mapped[date] = mapped_column(Date)
    type_contrat_app: Mapped[int | None] = mapped_column(Integer, default=None)
    cle_doublon: Mapped[str | None] = mapped_column(String(400), default=None)
    version_norme: Mapped[str] = mapped_column(String(2))
    cerfa: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Rule violations found at transmission and instruction (warnings kept, for the history).
    controles: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    editeur_id: Mapped[int | None] = mapped_column(
        ForeignKey("editeurs.id", ondelete="SET NULL"), default=None
    )
    logiciel: Mapped[str | None] = mapped_column(String(200), default=None)
    version_logiciel: Mapped[str | None] = mapped_column(String(100), default=None)
    recu_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    maj_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    evenements: Mapped[list[EvenementDossier]] = relationship(
        back_populates="dossier", order_by="EvenementDossier.id", cascade="all, delete-orphan"
    )


class EvenementDossier(Base):
    """One change of state of a dossier: when, from what, to what, why and by whom."""

    __tablename__ = "evenements_dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    horodatage: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    etat_avant: Mapped[str | None] = mapped_column(String(30), default=None)
    etat_apres: Mapped[str] = mapped_column(String(30))
    cause: Mapped[str] = mapped_column(Text)
    acteur: Mapped[str] = mapped_column(String(30))

    dossier: Mapped[Dossier] = relationship(back_populates="evenements")


class SequenceOpco(Base):
    """Per-OPCO counters (dossier numbers...); incremented under the row lock."""

    __tablename__ = "sequences_opco"

    opco_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    nom: Mapped[str] = mapped_column(String(30), primary_key=True)
    valeur: Mapped[int] = mapped_column(Integer, default=0)


class CompteurCfa(Base):
    """Number of dossiers of one CFA (SIREN) at one OPCO: the `total` of the états pages."""

    __tablename__ = "compteurs_cfa"

    opco_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    siren: Mapped[str] = mapped_column(String(9), primary_key=True)
    dernier_rang: Mapped[int] = mapped_column(Integer, default=0)
