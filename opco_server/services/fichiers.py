"""Uploaded files: real PDF check, size limit, sanitised name, SHA-256; stored in the database."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, NormError
from opco_server.models import Fichier
from opco_server.services import compteurs

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
