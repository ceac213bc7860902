"""What an OPCO's back office sees of its dossiers (the console): counts per state, a filtered
page of dossiers, a dossier's invoices and the files received for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opco_server.models import Certificat, DocumentLie, Dossier, Facture, Fichier, LigneFacture

TAILLE_PAGE = 50


def comptes_par_opco(session: Session) -> dict[str, dict[str, int]]:
    """OPCO id -> state -> number of dossiers."""
    rows = session.execute(
        select(Dossier.opco_id, Dossier.etat, func.count()).group_by(Dossier.opco_id, Dossier.etat)
    )
    comptes: dict[str, dict[str, int]] = {}
    for opco_id, etat, n in rows:
        comptes.setdefault(opco_id, {})[etat] = n
    return comptes


@dataclass(frozen=True)
class PageDossiers:
    dossiers: list[Dossier]
    total: int
    page: int
    pages: int


def page_dossiers(
    session: Session, opco_id: str, etat: str, siren: str, page: int, taille: int = TAILLE_PAGE
) -> PageDossiers:
    """The newest first, of one state and one CFA if given; the page is kept in range."""
    query = select(Dossier).where(Dossier.opco_id == opco_id)
    if etat:
        query = query.where(Dossier.etat == etat)
    if siren:
        query = query.where(Dossier.cfa_siren == siren)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // taille))
    page = min(max(1, page), pages)
    dossiers = session.scalars(
        query.order_by(Dossier.id.desc()).offset((page - 1) * taille).limit(taille)
    ).all()
    return PageDossiers(list(dossiers), total, page, pages)


def factures_du_dossier(session: Session, dossier: Dossier) -> list[Facture]:
    """The invoices (and credit notes) with a line on this dossier, oldest first."""
    ids = select(LigneFacture.facture_id).where(LigneFacture.dossier_id == dossier.id)
    return list(session.scalars(select(Facture).where(Facture.id.in_(ids)).order_by(Facture.id)))


@dataclass(frozen=True)
class Piece:
    """A file received for a dossier, and what it came as."""

    libelle: str
    numero: str
    nom: str
    taille: int
    recu_le: datetime


def pieces_du_dossier(session: Session, dossier: Dossier, factures: list[Facture]) -> list[Piece]:
    """Conventions, linked documents, certificates, then the given invoices' PDFs."""
    pieces: list[tuple[str, int]] = [("Convention", c.fichier_id) for c in dossier.conventions]
    pieces += [
        (f"Document ({type_fichier})", fichier_id)
        for type_fichier, fichier_id in session.execute(
            select(DocumentLie.type_fichier, DocumentLie.fichier_id).where(
                DocumentLie.opco_id == dossier.opco_id,
                DocumentLie.type_objet == "DOSSIER_APPRENTISSAGE",
                DocumentLie.id_objet == dossier.numero_interne,
            )
        )
    ]
    pieces += [
        (f"Certificat de réalisation ({type_certificat})", fichier_id)
        for type_certificat, fichier_id in session.execute(
            select(Certificat.type_certificat, Certificat.fichier_id).where(
                Certificat.dossier_id == dossier.id
            )
        )
    ]
    pieces += [(f"Facture {f.numero}", f.fichier_id) for f in factures]
    fichiers = {
        f.id: f
        for f in session.scalars(select(Fichier).where(Fichier.id.in_([i for _, i in pieces])))
    }
    return [
        Piece(libelle, f.numero, f.nom, f.taille, f.recu_le)
        for libelle, fichier_id in pieces
        if (f := fichiers.get(fichier_id)) is not None
    ]
