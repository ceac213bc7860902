"""Who may call: editors (OAuth2 clients), token revocations, registered CFAs and their API keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opco_server.db import Base


class Editeur(Base):
    """A software vendor holding OAuth2 client credentials (valid at every OPCO)."""

    __tablename__ = "editeurs"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    nom: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    cree_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoque_le: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class RevocationJetons(Base):
    """Access tokens issued up to `avant` (of one OPCO and/or one editor, or all) are void.

    Tokens are signed and self-contained (no row per token); this short list, held in every
    worker, is what `POST /_sandbox/jetons/expirer` and a reset add to."""

    __tablename__ = "revocations_jetons"

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str | None] = mapped_column(String(20), default=None)
    editeur_id: Mapped[int | None] = mapped_column(default=None)
    avant: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    motif: Mapped[str] = mapped_column(String(20))  # EXPIRATION or REINITIALISATION


class CfaEnregistre(Base):
    """A CFA (SIREN) as registered with the OPCOs, with its bank details."""

    __tablename__ = "cfas"

    id: Mapped[int] = mapped_column(primary_key=True)
    siren: Mapped[str] = mapped_column(String(9), unique=True)
    denomination: Mapped[str] = mapped_column(String(200))
    iban: Mapped[str | None] = mapped_column(String(34), default=None)

    etablissements: Mapped[list[EtablissementCfa]] = relationship(
        back_populates="cfa", order_by="EtablissementCfa.siret", cascade="all, delete-orphan"
    )


class EtablissementCfa(Base):
    """One establishment (SIRET) of a registered CFA."""

    __tablename__ = "etablissements_cfa"

    id: Mapped[int] = mapped_column(primary_key=True)
    cfa_id: Mapped[int] = mapped_column(ForeignKey("cfas.id", ondelete="CASCADE"))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    uai: Mapped[str | None] = mapped_column(String(8), default=None)
    denomination: Mapped[str] = mapped_column(String(200))

    cfa: Mapped[CfaEnregistre] = relationship(back_populates="etablissements")


class CleCfa(Base):
    """The API key of one CFA (SIREN) at one OPCO; a new key replaces the previous one."""

    __tablename__ = "cles_cfa"
    __table_args__ = (UniqueConstraint("opco_id", "siren"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opco_id: Mapped[str] = mapped_column(String(20))
    siren: Mapped[str] = mapped_column(String(9))
    cle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    cree_le: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    date_fin_validite: Mapped[date] = mapped_column(Date)
    revoquee_le: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
