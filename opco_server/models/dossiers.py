"""Apprenticeship dossiers as an OPCO holds them: the Cerfa as received plus its state."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opco_server.db import Base

if TYPE_CHECKING:
    from opco_server.models.pieces import Convention, Echeance, FraisAnnexeEngage


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
        # Same NIR on two apprentices: the transmission warning looks it up.
        Index("ix_dossiers_opco_apprenti_nir", "opco_id", "apprenti_nir"),
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
    apprenti_nir: Mapped[str | None] = mapped_column(String(15), default=None)
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
    # Back office simulation: the next thing the OPCO will do to this dossier, and when.
    prochaine_action: Mapped[str | None] = mapped_column(String(30), default=None)
    prochaine_action_le: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None, index=True
    )
    # Engagement (set when ENGAGE): amount, regime, employer participation, rupture.
    engagement: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    regime_financement: Mapped[str | None] = mapped_column(String(10), default=None)
    participation_employeur: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    date_rupture: Mapped[date | None] = mapped_column(Date, default=None)

    evenements: Mapped[list[EvenementDossier]] = relationship(
        back_populates="dossier", order_by="EvenementDossier.id", cascade="all, delete-orphan"
    )
    echeances: Mapped[list[Echeance]] = relationship(
        order_by="Echeance.numero", cascade="all, delete-orphan"
    )
    frais_annexes: Mapped[list[FraisAnnexeEngage]] = relationship(
        order_by="FraisAnnexeEngage.id", cascade="all, delete-orphan"
    )
    conventions: Mapped[list[Convention]] = relationship(
        order_by="Convention.id", cascade="all, delete-orphan"
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
