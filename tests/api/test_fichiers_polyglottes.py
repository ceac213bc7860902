"""Uploaded files are PDFs and nothing else (issue 11 §5): PDF/HTML and PDF/ZIP polyglots are
refused, and a stored file always comes back as a PDF download a browser will not sniff."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select, update

from opco_server.models import Fichier
from opco_server.services.fichiers import pdf_exemple
from tests.api.test_cycle_de_vie import PDF, convention_de, deposer


def _zip() -> bytes:
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w") as archive:
        archive.writestr("index.html", "<script>alert(1)</script>")
    return tampon.getvalue()


POLYGLOTTES = {
    "pdf-html": b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n",
    "pdf-html dans un vrai pdf": PDF.replace(b"% OPCO Sandbox", b"% <!DOCTYPE html><BODY>"),
    "pdf-svg": PDF.replace(b"% OPCO Sandbox", b"% <svg onload=alert(1)>"),
    "pdf-zip": PDF + _zip(),
    "pdf-html en fin": PDF + b"<html><script>alert(1)</script></html>",
    "pdf sans page": PDF.replace(b"/Kids [3 0 R] /Count 1", b"/Kids [     ] /Count 0"),
    "pdf illisible": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}


def _fichiers(sandbox) -> int:
    with sandbox.session() as session:
        return session.scalar(select(func.count()).select_from(Fichier))


@pytest.fixture
def transmis(cfa, contrat) -> str:
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    return response.json()["numeroInterne"]


@pytest.mark.parametrize("sorte", list(POLYGLOTTES))
def test_a_polyglot_is_refused_and_nothing_is_stored(cfa, contrat, transmis, sandbox, sorte):
    avant = _fichiers(sandbox)
    response = deposer(cfa, convention_de(contrat, transmis), POLYGLOTTES[sorte], "x.pdf")
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert [(e["code"], e["champ"]) for e in errors] == [("FILE_NOT_PDF", "fichier")]
    assert _fichiers(sandbox) == avant


@pytest.mark.parametrize("sorte", ["exemple", "pdf suivi de blancs"])
def test_a_valid_pdf_is_accepted(cfa, contrat, transmis, sandbox, sorte):
    data = pdf_exemple() if sorte == "exemple" else PDF + b"\r\n \n"
    avant = _fichiers(sandbox)
    response = deposer(cfa, convention_de(contrat, transmis), data, "convention.pdf")
    assert response.status_code == 200, response.text
    assert _fichiers(sandbox) == avant + 1


def _dernier(sandbox) -> Fichier:
    with sandbox.session() as session:
        return session.scalar(select(Fichier).order_by(Fichier.id.desc()).limit(1))


def _entetes_pdf(response, nom: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == f'attachment; filename="{nom}"'
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.content == PDF


def test_a_file_sent_as_html_is_downloaded_as_a_pdf_attachment(
    cfa, client, contrat, transmis, sandbox
):
    response = deposer(cfa, convention_de(contrat, transmis), PDF, "evil.html")
    assert response.status_code == 200, response.text
    fichier = _dernier(sandbox)
    assert fichier.nom == "evil.pdf"
    _entetes_pdf(client.get(f"/_sandbox/opcos/akto/fichiers/{fichier.numero}"), "evil.pdf")


def test_a_file_stored_under_an_html_name_is_still_served_as_a_pdf(
    cfa, client, contrat, transmis, sandbox
):
    """Stored before names were forced to .pdf: the download renames it all the same."""
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    fichier = _dernier(sandbox)
    with sandbox.session() as session:
        session.execute(update(Fichier).where(Fichier.id == fichier.id).values(nom="x.html"))
        session.commit()
    _entetes_pdf(client.get(f"/_sandbox/opcos/akto/fichiers/{fichier.numero}"), "x.pdf")
