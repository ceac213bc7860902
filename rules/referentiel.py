"""Referential data the rules read (SMIC, grid, RNCP, IDCC, NAF, SIRENE stub, NPEC).

Pure data classes and look-ups; reading the YAML files under fixtures/referentiel/ is the
caller's job (opco_server.referentiel), so that `rules/` does no I/O. `Referentiel.depuis(data)`
builds one from the already-parsed files (a dict: file stem -> parsed YAML).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class PeriodeSmic:
    debut: date
    horaire: Decimal
    mensuel: Decimal  # 35 h = horaire × 151.67
    horaire_mayotte: Decimal
    mensuel_mayotte: Decimal


@dataclass(frozen=True)
class Certification:
    code: str  # "RNCP35185" (normalised, prefix included)
    intitule: str
    niveau: int | None  # niveau du cadre national (3..8)
    actif_du: date | None
    actif_au: date | None  # None = still active
    apprentissage: bool  # "formation éligible à l'apprentissage"
    codes_diplome: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConventionCollective:
    code: str  # 4 digits, left-padded ("0843")
    libelle: str
    etat: str  # VIGUEUR_ETEN, VIGUEUR_NON_ETEN, ABROGE, PERIME, REMPLACE, MODIFIE
    opco: str | None  # sandbox OPCO id ("opcoep"), None when unknown


@dataclass(frozen=True)
class Etablissement:
    """SIRENE stub entry: only the listed SIRETs differ from the default (active, diffusible)."""

    siret: str
    etat: str = "actif"  # actif, ferme, inconnu
    diffusible: bool = True
    date_fermeture: date | None = None
    opposition: bool = False  # employer under opposition/suspension/ban (L6225-1 s.)
    qualiopi: bool = True  # CFA holds the apprenticeship quality certification
    habilitations: tuple[str, ...] | None = None  # CFA: RNCP codes it may prepare (None = all)


@dataclass(frozen=True)
class Npec:
    rncp: str
    cpne: str
    montant: Decimal
    applicable_du: date


@dataclass(frozen=True)
class Referentiel:
    smic: tuple[PeriodeSmic, ...] = ()
    # (année d'exécution 1..3, tranche "moins_18" | "18_20" | "21_25" | "26_plus") -> % du SMIC
    grille: Mapping[tuple[int, str], Decimal] = field(default_factory=dict)
    certifications: Mapping[str, Certification] = field(default_factory=dict)
    conventions: Mapping[str, ConventionCollective] = field(default_factory=dict)
    naf: frozenset[str] = frozenset()  # "1071C" (no dot)
    etablissements: Mapping[str, Etablissement] = field(default_factory=dict)
    npec: tuple[Npec, ...] = ()
    idcc_cpne: Mapping[str, str] = field(default_factory=dict)
    valeur_amorcage: Decimal = Decimal("0")

    def smic_au(self, jour: date, mayotte: bool = False) -> Decimal | None:
        """Monthly SMIC (35 h) in force on `jour`, Mayotte's when asked."""
        courant = None
        for periode in sorted(self.smic, key=lambda p: p.debut):
            if periode.debut <= jour:
                courant = periode
        if courant is None:
            return None
        return courant.mensuel_mayotte if mayotte else courant.mensuel

    def taux_minimal(self, annee: int, tranche: str) -> Decimal | None:
        """Minimum % of the SMIC for a contract year (a 4th year uses the 3rd-year rate)."""
        return self.grille.get((min(max(annee, 1), 3), tranche))

    def etablissement(self, siret: str) -> Etablissement:
        """SIRENE stub: a SIRET outside the documented sample is active and diffusible."""
        return self.etablissements.get(siret) or Etablissement(siret)
