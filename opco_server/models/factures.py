"""Invoices (and credit notes) received through the norm, their lines, certificats, documents."""

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
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opco_server.db import Base
from opco_server.models.pieces import Fichier


class Facture(Base):
    __tablename__ = "factures"
    __table_args__ = (
        UniqueConstraint("opco_id", "numero_interne"),
        # The CFA's invoice number is unique among its live invoices; NULL once rejected, so a
        # corrected invoice can be sent again (FAQ).
        UniqueConstraint("opco_id", "cfa_siren", "numero_actif"),
        UniqueConstraint("opco_id", "cfa_siren", "rang"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str] = mapped_column(String(20))
    cfa_siren: Mapped[str] = mapped_column(String(9))
    rang: Mapped[int] = mapped_column(Integer)
    numero_interne: Mapped[str] = mapped_column(String(30))
    numero: Mapped[str] = mapped_column(String(100))
    numero_actif: Mapped[str | None] = mapped_column(String(100), default=None)
    type_facture: Mapped[str] = mapped_column(String(10))
    date_emission: Mapped[date | None] = mapped_column(Date, default=None)
    montant_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    iban_emetteur: Mapped[str | None] = mapped_column(String(34), default=None)
    siret_emetteur: Mapped[str] = mapped_column(String(14))
    est_certificat_realisation: Mapped[bool] = mapped_column(default=False)
    etat: Mapped[str] = mapped_column(String(30))
    commentaire: Mapped[str | None] = mapped_column(Text, default=None)
    reference_virement: Mapped[str | None] = mapped_column(String(40), default=None)
    date_reglement: Mapped[date | None] = mapped_column(Date, default=None)
    contenu: Mapped[dict[str, Any]] = mapped_column(JSON)
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id", ondelete="CASCADE"))
    recue_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reglement_prevu_le: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None, index=True
    )

    fichier: Mapped[Fichier] = relationship()
    lignes: Mapped[list[LigneFacture]] = relationship(
        order_by="LigneFacture.index", cascade="all, delete-orphan"
    )

    @property
    def est_avoir(self) -> bool:
        return self.type_facture == "AVOIR"

    @property
    def signe(self) -> int:
        """Stored amounts are positive; an avoir gives money back, so it reads negative
        wherever it is shown (norm, control API, console): sums per dossier give the net."""
        return -1 if self.est_avoir else 1

    @property
    def montant_signe(self) -> Decimal:
        return self.signe * self.montant_total


class LigneFacture(Base):
    __tablename__ = "lignes_facture"

    id: Mapped[int] = mapped_column(primary_key=True)
    facture_id: Mapped[int] = mapped_column(
        ForeignKey("factures.id", ondelete="CASCADE"), index=True
    )
    index: Mapped[int] = mapped_column(Integer)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    echeance_id: Mapped[int | None] = mapped_column(
        ForeignKey("echeances.id", ondelete="SET NULL"), default=None
    )
    annee: Mapped[int | None] = mapped_column(Integer, default=None)
    nature: Mapped[str] = mapped_column(String(30))
    montant: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantite: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)


class Certificat(Base):
    """Certificat de réalisation (intermediate or final) of a dossier."""

    __tablename__ = "certificats"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    type_certificat: Mapped[str] = mapped_column(String(20))
    numero_echeance: Mapped[int | None] = mapped_column(Integer, default=None)
    contenu: Mapped[dict[str, Any]] = mapped_column(JSON)
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id", ondelete="CASCADE"))
    recu_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DocumentLie(Base):
    """A document attached to a dossier or an invoice (POST /v1/documents)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str] = mapped_column(String(20))
    fichier_id: Mapped[int] = mapped_column(ForeignKey("fichiers.id", ondelete="CASCADE"))
    type_fichier: Mapped[str] = mapped_column(String(100))
    type_objet: Mapped[str] = mapped_column(String(30))
    id_objet: Mapped[str] = mapped_column(String(30), index=True)
