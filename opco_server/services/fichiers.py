"""Uploaded files: real PDF check, size limit, sanitised name, SHA-256; stored in the database."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from datetime import datetime

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, NormError, NotFound
from opco_server.models import Fichier
from opco_server.services import compteurs

MAX_OCTETS = 10 * 1024 * 1024

# Markup a browser could sniff as HTML/SVG in the first bytes of a "PDF" (polyglot files).
BALISES_RENIFLABLES = re.compile(rb"<\s*(?:html|script|!doctype|body|svg|iframe)", re.IGNORECASE)
# PDF white-space (ISO 32000-1, 7.2.2): all that may follow the last %%EOF.
BLANCS_PDF = b" \t\r\n\f\x00"
# Bounds of the parse: objects in the file (a convention or an invoice has a few dozen; each
# costs pypdf ~40 µs when it must rebuild a broken cross-reference table) and page-tree depth.
MAX_OBJETS = 10_000
PROFONDEUR_MAX = 32


class TooLarge(NormError):
    status = 413


def nom_sain(nom: str | None, defaut: str = "document.pdf") -> str:
    """Base name only, ASCII letters, digits, dot, dash, underscore; always ending in .pdf
    (whatever extension it came with: every stored file is a checked PDF); at most 100
    characters."""
    base = re.split(r"[\\\\/]", nom or "")[-1]
    plain = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._")
    radical = clean.rsplit(".", 1)[0] if "." in clean else clean
    radical = radical[:96].rstrip("._")
    return f"{radical}.pdf" if radical else defaut


def est_pdf(data: bytes) -> bool:
    """A real PDF, and only a PDF: the %PDF- header, parsed by pypdf with at least one page,
    nothing but white-space after the last %%EOF (no ZIP or HTML appended) and no HTML markup
    in the first 1024 bytes a browser could sniff (PDF/HTML polyglots)."""
    if not data.startswith(b"%PDF-"):
        return False
    fin = data.rfind(b"%%EOF")
    if fin < 0 or data[fin + len(b"%%EOF") :].strip(BLANCS_PDF):
        return False
    if BALISES_RENIFLABLES.search(data[:1024]):
        return False
    return _a_une_page(data)


def _a_une_page(data: bytes) -> bool:
    """pypdf reads the file (non-strict: real-world PDFs are often slightly off) and its page
    tree leads to a page. Bounded work whatever the file: at most MAX_OBJETS objects (a broken
    cross-reference table makes pypdf parse them all), the first branch of the page tree only
    (never the whole tree, never a content stream), pypdf bounding its own decompression."""
    if data.count(b"obj") > 2 * MAX_OBJETS:  # "n 0 obj" … "endobj"
        return False
    try:
        noeud = PdfReader(io.BytesIO(data), strict=False).root_object.get("/Pages")
        for _ in range(PROFONDEUR_MAX):
            noeud = noeud.get_object() if noeud is not None else None
            if not isinstance(noeud, DictionaryObject):
                return False
            enfants = noeud.get("/Kids")
            if noeud.get("/Type") == "/Page" or (
                "/Type" not in noeud
                and enfants is None
                and any(cle in noeud for cle in ("/Contents", "/MediaBox", "/Parent"))
            ):
                return True
            enfants = enfants.get_object() if enfants is not None else None
            if not isinstance(enfants, ArrayObject) or not enfants:
                return False
            noeud = enfants[0]
        return False
    except Exception:  # any parse error (deep nesting too) of a hostile file: a refusal, not a 500
        return False


def pdf_exemple(commentaire: str = "OPCO Sandbox") -> bytes:
    """A tiny valid PDF: one blank A4 page, exact cross-reference offsets (≈ 400 bytes).
    The sample document of the scenarios, the tests and the benchmarks."""
    objets = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
    ]
    sortie = bytearray(b"%PDF-1.4\n% " + commentaire.encode("ascii") + b"\n")
    positions = []
    for numero, objet in enumerate(objets, start=1):
        positions.append(len(sortie))
        sortie += b"%d 0 obj\n" % numero + objet + b"\nendobj\n"
    xref = len(sortie)
    sortie += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objets) + 1)
    sortie += b"".join(b"%010d 00000 n \n" % p for p in positions)
    sortie += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objets) + 1)
    sortie += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(sortie)


def trouver(session: Session, opco_id: str, numero: str) -> Fichier:
    """A file this OPCO received, by its document number (404 otherwise)."""
    fichier = session.scalar(
        select(Fichier).where(Fichier.opco_id == opco_id, Fichier.numero == numero)
    )
    if fichier is None:
        raise NotFound.one(
            "FILE_NOT_FOUND", f"Aucun fichier « {numero} ».", "numeroInterneDocument"
        )
    return fichier


def entetes_telechargement(fichier: Fichier) -> dict[str, str]:
    """Headers of a stored file served back: always a PDF download, never something a browser
    could sniff or render as a page (even a file stored before the parsed check, under any
    name): nosniff, attachment under a sanitised .pdf name, a sandbox CSP with no script."""
    return {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{nom_sain(fichier.nom)}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "X-Sha256": fichier.sha256,
    }


def numero_document(seq: int) -> str:
    """numeroInterneDocument: the `seq`-th file stored at the OPCO (its "document" counter)."""
    return f"D{seq:09d}"


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
            "Le fichier n'est pas un PDF valide : en-tête %PDF-, document lisible d'au moins "
            "une page, rien après la fin %%EOF et aucune balise HTML au début.",
            champ,
        )
    seq = compteurs.prochaine_sequence(session, opco_id, "document")
    fichier = Fichier(
        opco_id=opco_id,
        numero=numero_document(seq),
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
