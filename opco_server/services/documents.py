"""Documents attached to a dossier or an invoice, and certificats de réalisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, ErrorItem, NotFound
from opco_server.models import Certificat, DocumentLie, Dossier, Facture, Fichier
from opco_server.services import fichiers
from opco_server.services.dossiers import consulter
from rules.cycle_de_vie import Etat

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


def deposer_certificat(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    certificat: dict[str, Any],
    nom_fichier: str | None,
    contenu: bytes,
) -> Certificat:
    """POST /v2/certificats (norm.md E10): certificat de réalisation of an engaged dossier."""
    dossier = consulter(session, opco, siren, str(certificat["numeroInterneDossier"]))
    items = []
    if dossier.etat not in (Etat.ENGAGE, Etat.RUPTURE, Etat.SOLDE):
        items.append(
            ErrorItem(
                "CERT_DOSSIER_NOT_ENGAGED",
                "Un certificat de réalisation ne "
                f"concerne qu'un dossier engagé (état actuel : {dossier.etat}).",
                "certificat.numeroInterneDossier",
            )
        )
    numero = (certificat.get("echeance") or {}).get("numero")
    if numero is not None and not any(str(e.numero) == str(numero) for e in dossier.echeances):
        items.append(
            ErrorItem(
                "CERT_ECHEANCE_UNKNOWN",
                f"Échéance « {numero} » inconnue pour ce dossier.",
                "certificat.echeance.numero",
            )
        )
    if items:
        raise BadRequest(*items)
    now = sandbox.horloge.maintenant()
    fichier = fichiers.stocker(session, opco.id, nom_fichier, "application/pdf", contenu, now)
    piece = Certificat(
        dossier_id=dossier.id,
        type_certificat=str(certificat["typeCertificat"]),
        numero_echeance=int(numero) if str(numero or "").isdigit() else None,
        contenu=certificat,
        fichier_id=fichier.id,
        recu_le=now,
    )
    session.add(piece)
    session.flush()
    return piece
