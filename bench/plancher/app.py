"""The framework floor of bench/comparatif.py: connexion 3.3's FlaskApp on bench/plancher/
openapi.yaml, the sandbox's five measured requests (same methods, paths, media types), each
validated by connexion's own validators and answered by a handler that returns a dict.

Served by uvicorn (`python -m uvicorn bench.plancher.app:app --http h11`, from the repository's
root), it costs what the sandbox's stack costs before the sandbox does any work of its own.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import connexion


def jeton(body: dict[str, Any]) -> dict[str, Any]:
    return {"access_token": "plancher", "token_type": "Bearer", "expires_in": 3600}


def ecrire(body: dict[str, Any]) -> dict[str, Any]:
    return {"recu": True, "champs": len(body)}


def ecrire_formulaire(**parties: Any) -> dict[str, Any]:
    return {"recu": True, "parties": len(parties)}


def lire(numero_interne: str) -> dict[str, Any]:
    return {"numeroInterne": numero_interne, "etat": "ENGAGE"}


def lire_page(numero_page: int) -> dict[str, Any]:
    return {"EtatDossierResult": [], "page": numero_page}


app = connexion.FlaskApp(__name__, specification_dir=str(Path(__file__).resolve().parent))
app.add_api("openapi.yaml", pythonic_params=True, strict_validation=True)
