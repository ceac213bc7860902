"""The PDF check on hostile files: a refusal, never an exception, in bounded time."""

from __future__ import annotations

import io
import time
import zlib

import pytest
from pypdf import PdfReader, PdfWriter

from opco_server.services.fichiers import MAX_OBJETS, est_pdf, nom_sain, pdf_exemple


def _pdf(objets: list[bytes], xref: bool = True) -> bytes:
    """A PDF of these objects (1 is the catalog), with exact offsets or a broken xref."""
    sortie = bytearray(b"%PDF-1.4\n")
    positions = []
    for numero, objet in enumerate(objets, start=1):
        positions.append(len(sortie))
        sortie += b"%d 0 obj\n" % numero + objet + b"\nendobj\n"
    debut = len(sortie)
    sortie += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objets) + 1)
    sortie += b"".join(b"%010d 00000 n \n" % p for p in positions)
    sortie += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objets) + 1)
    sortie += b"startxref\n%d\n%%%%EOF\n" % (debut if xref else 99_999_999)
    return bytes(sortie)


CATALOGUE = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def test_the_sample_pdf_is_a_real_one_page_pdf():
    lecteur = PdfReader(io.BytesIO(pdf_exemple()), strict=True)
    assert len(lecteur.pages) == 1
    assert est_pdf(pdf_exemple()) and est_pdf(pdf_exemple("autre commentaire"))


def test_a_pdf_written_by_pypdf_passes():
    ecrivain = PdfWriter()
    for _ in range(3):
        ecrivain.add_blank_page(595, 842)
    tampon = io.BytesIO()
    ecrivain.write(tampon)
    assert est_pdf(tampon.getvalue())


def _profond() -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * 50_000 + b"]" * 50_000 + b" >>"])


def _bombe() -> bytes:
    """An xref stream inflating to 300 MB."""
    flux = zlib.compress(b"\x01\x00\x00" * (100 * 1024 * 1024))
    tete = b"%PDF-1.5\n"
    objet = (
        b"1 0 obj\n<< /Type /XRef /Size 3 /W [1 1 1] /Root 2 0 R /Filter /FlateDecode /Length "
        + str(len(flux)).encode()
        + b" >>\nstream\n"
        + flux
        + b"\nendstream\nendobj\n"
    )
    return tete + objet + b"startxref\n" + str(len(tete)).encode() + b"\n%%EOF\n"


def _trop_d_objets() -> bytes:
    """A broken xref makes pypdf parse every object: refused before that past MAX_OBJETS."""
    autres = [b"<< /A [1 2 3] >>"] * (MAX_OBJETS + 1)
    return _pdf([CATALOGUE, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE, *autres], False)


HOSTILES = {
    "arbre de pages cyclique": lambda: _pdf([CATALOGUE, b"<< /Type /Pages /Kids [2 0 R] >>"]),
    "page qui n'en est pas une": lambda: _pdf([CATALOGUE, b"<< /Type /Pages /Kids [1 0 R] >>"]),
    "sans arbre de pages": lambda: _pdf([b"<< /Type /Catalog >>"]),
    "kids qui n'est pas un tableau": lambda: _pdf([CATALOGUE, b"<< /Type /Pages /Kids 7 >>"]),
    "imbrication profonde": _profond,
    "bombe de decompression": _bombe,
    "trop d'objets": _trop_d_objets,
    "en-tete seul": lambda: b"%PDF-1.7\n%%EOF",
    "octets au hasard": lambda: b"%PDF-1.4\n" + bytes(range(256)) * 4000 + b"\n%%EOF",
}


@pytest.mark.parametrize("sorte", list(HOSTILES))
def test_a_hostile_pdf_is_refused_quickly(sorte):
    data = HOSTILES[sorte]()
    debut = time.perf_counter()
    assert est_pdf(data) is False
    assert time.perf_counter() - debut < 5


def test_a_broken_xref_is_still_read_when_the_file_is_small():
    """Non-strict reading: a slightly-off real-world PDF (wrong startxref) still passes."""
    data = _pdf([CATALOGUE, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE], xref=False)
    assert est_pdf(data)


@pytest.mark.parametrize(
    ("nom", "attendu"),
    [
        ("evil.html", "evil.pdf"),
        ("Convention.PDF", "Convention.pdf"),
        ("archive.tar.gz", "archive.tar.pdf"),
        ("sans-extension", "sans-extension.pdf"),
        ("x._.exe", "x.pdf"),
        (".html", "html.pdf"),
        ("..", "document.pdf"),
        (None, "document.pdf"),
        ("a" * 300 + ".svg", "a" * 96 + ".pdf"),
    ],
)
def test_stored_names_end_in_pdf(nom, attendu):
    assert nom_sain(nom) == attendu
