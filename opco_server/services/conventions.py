"""Conventions de formation (norm.md E7): checks and attachment to the dossier."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, ErrorItem
from opco_server.models import Convention, Dossier
from opco_server.services import fichiers, simulateur
from opco_server.services.dossiers import consulter
from opco_server.wire import parse_date
from rules.cerfa import CerfaVue
from rules.champs import normaliser_nom
from rules.cycle_de_vie import TERMINAUX, Etat

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox


def _incoherences(convention: dict[str, Any], dossier: Dossier) -> list[ErrorItem]:
    """The convention must describe the same contract as the Cerfa it completes."""
    cerfa, items = CerfaVue.de(dossier.cerfa), []
    pairs = [
        ("employeur.siret", cerfa.siret_employeur),
        ("organismeFormation.siret", cerfa.siret_organisme),
    ]
    for path, attendu in pairs:
        block, key = path.split(".")
        if str((convention.get(block) or {}).get(key, "")) != attendu:
            items.append(
                ErrorItem(
                    "CONV_MISMATCH",
                    f"« convention.{path} » ne correspond pas au dossier ({attendu}).",
                    f"convention.{path}",
                )
            )
    nom = (convention.get("apprenti") or {}).get("nom", "")
    if normaliser_nom(str(nom)) != normaliser_nom(cerfa.apprenti_nom or ""):
        items.append(
            ErrorItem(
                "CONV_MISMATCH",
                "« convention.apprenti.nom » ne correspond pas au dossier.",
                "convention.apprenti.nom",
            )
        )
    debut = parse_date((convention.get("contrat") or {}).get("dateDebutContrat"))
    if debut is not None and debut != cerfa.date_debut_contrat:
        items.append(
            ErrorItem(
                "CONV_MISMATCH",
                "« convention.contrat.dateDebutContrat » ne correspond pas au dossier.",
                "convention.contrat.dateDebutContrat",
            )
        )
    return items


def deposer_convention(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    convention: dict[str, Any],
    nom_fichier: str | None,
    data: bytes,
) -> Convention:
    """Attach a convention (JSON + PDF) to one of the CFA's dossiers (norm.md E7)."""
    dossier = consulter(session, opco, siren, str(convention["numeroInterneDossier"]))
    items = []
    if convention.get("mandatEmployeur") is not True:
        items.append(
            ErrorItem(
                "CONV_MANDATE_MISSING",
                "La convention ne mentionne pas le mandat de gestion donné par l'employeur au CFA : "
                "le contrat ne peut pas être transmis par l'API sans lui.",
                "convention.mandatEmployeur",
            )
        )
    if Etat(dossier.etat) in TERMINAUX:
        items.append(
            ErrorItem(
                "CONV_DOSSIER_CLOSED",
                f"Le dossier est à l'état {dossier.etat} : il n'accepte plus de convention.",
                "convention.numeroInterneDossier",
            )
        )
    items += _incoherences(convention, dossier)
    if items:
        raise BadRequest(*items)
    now = sandbox.horloge.maintenant()
    fichier = fichiers.stocker(session, opco.id, nom_fichier, "application/pdf", data, now)
    piece = Convention(dossier_id=dossier.id, fichier=fichier, contenu=convention, recue_le=now)
    dossier.conventions.append(piece)
    if dossier.prochaine_action == simulateur.REFUS_IMPLICITE:
        # The file is complete now: the decision is taken after the usual delay.
        simulateur.attendre_ou_decider(sandbox, dossier, now)
    session.flush()
    return piece
