"""Documents attached to a dossier or an invoice (norm.md E11)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import ErrorItem, NotFound
from opco_server.models import DocumentLie, Dossier, Facture, Fichier
from opco_server.services import fichiers

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox


def _objet_existe(session: Session, opco: Opco, siren: str, type_objet: str, id_objet: str) -> bool:
    model, column = (
        (Dossier, Dossier.numero_interne)
        if type_objet == "DOSSIER_APPRENTISSAGE"
        else (Facture, Facture.numero_interne)
    )
    found = session.scalar(
        select(model.id).where(
            model.opco_id == opco.id, model.cfa_siren == siren, column == id_objet
        )
    )
    return found is not None


def deposer_document(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    infos: dict[str, Any],
    nom_fichier: str | None,
    contenu: bytes,
) -> Fichier:
    """POST /v1/documents (norm.md E11): one file, linked to each listed object of the CFA."""
    objets = infos["objets"]
    inconnus = [
        ErrorItem(
            "DOCUMENT_OBJECT_NOT_FOUND",
            f"{o['typeObjet']} « {o['idObjet']} » inconnu pour ce CFA.",
            f"infosFichier.objets[{i}].idObjet",
        )
        for i, o in enumerate(objets)
        if not _objet_existe(session, opco, siren, o["typeObjet"], str(o["idObjet"]))
    ]
    if inconnus:
        raise NotFound(*inconnus)
    fichier = fichiers.stocker(
        session, opco.id, nom_fichier, "application/pdf", contenu, sandbox.horloge.maintenant()
    )
    for objet in objets:
        session.add(
            DocumentLie(
                opco_id=opco.id,
                fichier_id=fichier.id,
                type_fichier=str(infos["typeFichier"]).upper(),
                type_objet=objet["typeObjet"],
                id_objet=str(objet["idObjet"]),
            )
        )
    session.flush()
    return fichier
