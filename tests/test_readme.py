"""The README is what vendors paste from: its identities and error codes must be true."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def test_readme_shows_every_demo_key(sandbox):
    from opco_server.donnees.seed import identities

    data = identities(sandbox)
    assert data["editeur"]["client_id"] in README
    assert data["editeur"]["client_secret"] in README
    for cfa in data["cfas"]:
        assert cfa["siren"] in README
        for key in cfa["cles"].values():
            assert key in README


def test_readme_documents_every_error_code_the_server_emits():
    source = "\n".join(p.read_text("utf-8") for p in (ROOT / "opco_server").rglob("*.py"))
    emitted = set(re.findall(r'(?:\.one\(|ErrorItem\(|^\s+)\s*"([A-Z][A-Z_]{4,})",', source, re.M))
    emitted |= set(re.findall(r'"(OAUTH_[A-Z_]+)"', source))
    emitted |= set(re.findall(r'\d{3}: \("([A-Z_]+)"', source))
    emitted -= {"ID_SIREN_FORMAT"}  # CLI-only message, not an API error
    assert emitted
    catalogue = (ROOT / "docs" / "regles.md").read_text("utf-8")  # rule codes live there
    missing = sorted(
        code for code in emitted if f"`{code}`" not in README and f"`{code}`" not in catalogue
    )
    assert not missing, missing


def test_readme_commands_are_the_scripts_ci_runs():
    assert "bash scripts/serve.sh" in README
    assert "bash scripts/test.sh" in README
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text("utf-8")
