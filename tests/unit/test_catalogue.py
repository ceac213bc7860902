"""The rule registry: well-formed codes, complete metadata, catalogue document up to date."""

from __future__ import annotations

import re

import pytest

import rules
from rules import registry
from rules.documentation import markdown
from tests.conftest import ROOT


def test_codes_are_well_formed():
    codes = [r.code for r in rules.catalogue()]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", c) for c in codes)


def test_the_registry_refuses_a_code_already_taken():
    """Uniqueness is the registry's own guard, at import (the catalogue is keyed by code)."""
    premiere = rules.catalogue()[0]
    enregistrer = registry.regle(
        premiere.code,
        severite=premiere.severite,
        moment=premiere.moment,
        resume=premiere.resume,
        base=premiere.base,
        message=premiere.message,
    )
    with pytest.raises(ValueError, match=premiere.code):
        enregistrer(premiere.fonction)
    assert rules.catalogue()[0] is premiere


def test_every_rule_has_summary_basis_and_a_message_naming_the_field():
    for regle in rules.catalogue():
        assert regle.resume and regle.base, regle.code
        assert "{champ}" in regle.message or "«" in regle.message, regle.code
        assert regle.fonction.__doc__, regle.code


def test_docs_regles_is_up_to_date():
    current = (ROOT / "docs" / "regles.md").read_text("utf-8")
    assert current == markdown(), (
        "docs/regles.md est périmé : python -m rules.documentation > docs/regles.md"
    )
