"""What services and rules read of a Cerfa: a typed, read-only view of the wire dict.

`CerfaVue.de(cerfa)` is built once per request over the validated dict (nothing is copied):
the fields that identify the contract are read once and typed here; any other field is read
by its dotted wire path (`vue.texte("formation.rncp")`), with the readers of rules.champs.
Like FactureVue for invoices, rules receive it instead of the dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from rules import champs

# A well-formed NIR: 13 characters, or 15 with its key; département digits or 2A/2B.
MOTIF_NIR = re.compile(r"^\d{5}(?:\d{2}|2[AB])\d{6}(?:\d{2})?$")


@dataclass(frozen=True)
class CerfaVue:
    _cerfa: dict[str, Any] = field(repr=False)  # the wire dict: read through the methods
    siret_organisme: str | None  # organismeFormation.siret, as sent
    siret_employeur: str | None  # employeur.siret, as sent
    apprenti_nom: str | None  # as sent (not normalised)
    apprenti_prenom: str | None
    apprenti_date_naissance: date | None
    # apprenti.nir, spaces removed and upper-cased, when well-formed (13 or 15 characters)
    nir: str | None
    type_contrat_app: int | None  # contrat.typeContratApp: 11-23 contract, 31-38 avenant
    date_debut_contrat: date | None
    date_fin_contrat: date | None
    date_effet_avenant: date | None
    date_rupture: date | None  # contrat.dateRupture: a rupture notified by re-sending

    @classmethod
    def de(cls, cerfa: Mapping[str, Any] | CerfaVue) -> CerfaVue:
        """The view of a Cerfa (a view is returned as is). Never raises: a missing or mistyped
        field reads as None (the schema has refused such a Cerfa before any service reads it)."""
        if isinstance(cerfa, CerfaVue):
            return cerfa
        d = cerfa if isinstance(cerfa, dict) else dict(cerfa) if isinstance(cerfa, Mapping) else {}
        nir = (champs.texte(d, "apprenti.nir") or "").replace(" ", "").upper()
        return cls(
            _cerfa=d,
            siret_organisme=_chaine(d, "organismeFormation.siret"),
            siret_employeur=_chaine(d, "employeur.siret"),
            apprenti_nom=_chaine(d, "apprenti.nom"),
            apprenti_prenom=_chaine(d, "apprenti.prenom"),
            apprenti_date_naissance=champs.date_(d, "apprenti.dateNaissance"),
            nir=nir if MOTIF_NIR.match(nir) else None,
            type_contrat_app=_entier_strict(champs.valeur(d, "contrat.typeContratApp")),
            date_debut_contrat=champs.date_(d, "contrat.dateDebutContrat"),
            date_fin_contrat=champs.date_(d, "contrat.dateFinContrat"),
            date_effet_avenant=champs.date_(d, "contrat.dateEffetAvenant"),
            date_rupture=champs.date_(d, "contrat.dateRupture"),
        )

    @property
    def avenant(self) -> bool:
        """Types 31-38 amend an existing contract."""
        return self.type_contrat_app is not None and self.type_contrat_app >= 30

    @property
    def donnees(self) -> Mapping[str, Any]:
        """The wire dict, read-only (its blocks are the caller's: never changed through it)."""
        return MappingProxyType(self._cerfa)

    # --- any other field, by its dotted wire path ("apprenti.adresse.codePostal") ---------

    def valeur(self, chemin: str) -> object:
        return champs.valeur(self._cerfa, chemin)

    def texte(self, chemin: str) -> str | None:
        return champs.texte(self._cerfa, chemin)

    def date(self, chemin: str) -> date | None:
        return champs.date_(self._cerfa, chemin)

    def entier(self, chemin: str) -> int | None:
        return champs.entier(self._cerfa, chemin)

    def booleen(self, chemin: str) -> bool:
        return champs.booleen(self._cerfa, chemin)

    def renseigne(self, chemin: str) -> bool:
        """Filled unless missing, null, blank or an empty list."""
        return champs.renseigne(self._cerfa, chemin)


def _chaine(cerfa: Mapping[str, Any], chemin: str) -> str | None:
    v = champs.valeur(cerfa, chemin)
    return v if isinstance(v, str) else None


def _entier_strict(v: object) -> int | None:
    """An integer as the schema types it (a digit string or a boolean is not one)."""
    return v if isinstance(v, int) and not isinstance(v, bool) else None
