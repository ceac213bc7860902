"""Fixtures for rule tests: a valid Cerfa (the demo contract) and a context builder."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_CERFA = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))[
    "cerfa"
]


@pytest.fixture
def cerfa() -> dict:
    """The demo contract (BTS MHR, AKTO employer, apprentice aged 20): no blocking violation."""
    return copy.deepcopy(_CERFA)
