"""Uploaded files (real PDF check, size limit, sanitised name, SHA-256) and conventions."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, ErrorItem, NormError
from opco_server.models import Convention, Dossier, Fichier
from opco_server.services import compteurs, simulateur
from opco_server.services.dossiers import consulter
from opco_server.wire import normaliser_nom, parse_date
from rules.cycle_de_vie import TERMINAUX, Etat

if TYPE_CHECKING:
    from opco_server.opcos import Opco
    from opco_server.sandbox import Sandbox

MAX_OCTETS = 10 * 1024 * 1024


class TooLarge(NormError):
    status = 413


def nom_sain(nom: str | None, defaut: str = "document.pdf") -> str:
    """Base name only, ASCII letters, digits, dot, dash, underscore; at most 100 characters."""
    base = re.split(r"[\\\\/]", nom or "")[-1]
    plain = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._")[:100]
    return clean or defaut


def est_pdf(data: bytes) -> bool:
    """A real PDF: the %PDF- header and an %%EOF marker near the end (not just a .pdf name)."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]


def stocker(
    session: Session,
    opco_id: str,
    nom: str | None,
    type_mime: str | None,
    data: bytes,
    at: datetime,
    champ: str = "fichier",
) -> Fichier:
    if len(data) > MAX_OCTETS:
        raise TooLarge.one(
            "FILE_TOO_LARGE", f"Le fichier dépasse {MAX_OCTETS // (1024 * 1024)} Mo.", champ
        )
    if not data:
        raise BadRequest.one("FILE_EMPTY", "Le fichier est vide.", champ)
    if not est_pdf(data):
        raise BadRequest.one(
            "FILE_NOT_PDF",
            "Le fichier n'est pas un PDF valide (en-tête %PDF- et fin %%EOF).",
            champ,
        )
    seq = compteurs.prochaine_sequence(session, opco_id, "document")
    fichier = Fichier(
        opco_id=opco_id,
        numero=f"D{seq:09d}",
        nom=nom_sain(nom),
        type_mime="application/pdf",
        taille=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        contenu=data,
        recu_le=at,
    )
    session.add(fichier)
    session.flush()
    return fichier


def _incoherences(convention: dict[str, Any], dossier: Dossier) -> list[ErrorItem]:
    """The convention must describe the same contract as the Cerfa it completes."""
    cerfa, items = dossier.cerfa, []
    pairs = [
        ("employeur.siret", cerfa["employeur"]["siret"]),
        ("organismeFormation.siret", cerfa["organismeFormation"]["siret"]),
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
    if normaliser_nom(str(nom)) != normaliser_nom(cerfa["apprenti"]["nom"]):
        items.append(
            ErrorItem(
                "CONV_MISMATCH",
                "« convention.apprenti.nom » ne correspond pas au dossier.",
                "convention.apprenti.nom",
            )
        )
    debut = parse_date((convention.get("contrat") or {}).get("dateDebutContrat"))
    if debut is not None and debut != parse_date(cerfa["contrat"]["dateDebutContrat"]):
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
    now = sandbox.clock.now()
    fichier = stocker(session, opco.id, nom_fichier, "application/pdf", data, now)
    piece = Convention(dossier_id=dossier.id, fichier=fichier, contenu=convention, recue_le=now)
    dossier.conventions.append(piece)
    if dossier.prochaine_action == simulateur.REFUS_IMPLICITE:
        # The file is complete now: the decision is taken after the usual delay.
        simulateur.attendre_ou_decider(sandbox, dossier, now)
    session.flush()
    return piece
