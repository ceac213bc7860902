"""Certificats de réalisation of an engaged dossier (norm.md E10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, ErrorItem
from opco_server.models import Certificat
from opco_server.services import fichiers
from opco_server.services.dossiers import consulter
from rules.cycle_de_vie import Etat

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox


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
