"""Referential loader: reads fixtures/referentiel/*.yaml into a rules.referentiel.Referentiel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opco_server.donnees import yamlfile
from rules.referentiel import Referentiel

DOSSIER = "referentiel"


def lire_fichiers(fixtures_dir: Path) -> dict[str, Any]:
    """Every YAML file of `fixtures_dir`/referentiel, parsed, keyed by file stem."""
    return {
        chemin.stem: yamlfile.lire(chemin)
        for chemin in sorted((fixtures_dir / DOSSIER).glob("*.yaml"))
    }


def charger_referentiel(fixtures_dir: Path) -> Referentiel:
    """The referential of `fixtures_dir` (the fixtures root, e.g. Path("fixtures"))."""
    return Referentiel.depuis(lire_fichiers(fixtures_dir))
