"""Referential data the rules read (SMIC, grid, RNCP, IDCC, NAF, SIRENE stub, NPEC).

Pure data classes and look-ups; reading the YAML files under fixtures/referentiel/ is the
caller's job (opco_server.donnees.referentiel), so that `rules/` does no I/O. `Referentiel.depuis(data)`
builds one from the already-parsed files (a dict: file stem -> parsed YAML).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

IDCC_SPECIAUX = frozenset({"9999", "9998"})  # no agreement / agreement under negotiation


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
    # Magic identifiers that the sample declares unknown (everything else outside it is known).
    rncp_inconnus: frozenset[str] = frozenset()
    idcc_inconnus: frozenset[str] = frozenset()
    idcc_liste_complete: bool = False  # True: an IDCC outside `conventions` is unknown

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

    def certification(self, code: str) -> Certification | None:
        """RNCP look-up: None for a magic unknown code; outside the sample, active and open."""
        if code in self.rncp_inconnus:
            return None
        return self.certifications.get(code) or Certification(code, "", None, None, None, True)

    def convention(self, idcc: str) -> ConventionCollective | None:
        """Collective agreement by padded IDCC ("0843"), None when not in the sample."""
        return self.conventions.get(idcc)

    def idcc_connu(self, idcc: str) -> bool:
        """9999/9998 and sample codes are known; others too unless magic or the list is full."""
        if idcc in IDCC_SPECIAUX or idcc in self.conventions:
            return True
        return idcc not in self.idcc_inconnus and not self.idcc_liste_complete

    def naf_connu(self, code: str) -> bool:
        """NAF rév. 2 sub-class ("1071C", no dot) in the list; True when no list is loaded."""
        return not self.naf or code in self.naf

    def npec_au(self, rncp: str, idcc: str, jour: date) -> Npec | None:
        """NPEC of (RNCP, CPNE of the IDCC) with the latest date d'applicabilité <= `jour`."""
        cpne = self.idcc_cpne.get(idcc)
        candidats = [
            n for n in self.npec if n.rncp == rncp and n.cpne == cpne and n.applicable_du <= jour
        ]
        return max(candidats, key=lambda n: n.applicable_du, default=None)

    @classmethod
    def depuis(cls, data: Mapping[str, Any]) -> Referentiel:
        """Build from the parsed YAML files, keyed by file stem ("smic", "naf", ...)."""
        vide: dict[str, Any] = {}
        cert = data.get("certifications") or vide
        conv = data.get("conventions_collectives") or vide
        npec = data.get("npec") or vide
        return cls(
            smic=tuple(_periode_smic(p) for p in (data.get("smic") or vide).get("periodes", ())),
            grille={
                (int(annee), str(tranche)): _decimal(taux)
                for annee, ligne in (data.get("grille_remuneration") or vide)
                .get("taux", {})
                .items()
                for tranche, taux in ligne.items()
            },
            certifications={
                str(c): _certification(str(c), v) for c, v in cert.get("certifications", {}).items()
            },
            conventions={
                _idcc(c): ConventionCollective(
                    _idcc(c), v["libelle"], v["etat"], v.get("opco") or None
                )
                for c, v in conv.get("conventions", {}).items()
            },
            naf=frozenset(
                str(c).replace(".", "") for c in (data.get("naf") or vide).get("codes", {})
            ),
            etablissements={
                str(s): _etablissement(str(s), v)
                for s, v in (data.get("etablissements") or vide).get("etablissements", {}).items()
            },
            npec=tuple(
                Npec(
                    str(n["rncp"]),
                    str(n["cpne"]),
                    _decimal(n["montant"]),
                    _jour(n["applicable_du"]),
                )
                for n in npec.get("niveaux", ())
            ),
            idcc_cpne={_idcc(i): str(c) for i, c in npec.get("idcc_cpne", {}).items()},
            valeur_amorcage=_decimal(npec.get("valeur_amorcage", "0")),
            rncp_inconnus=frozenset(str(c) for c in cert.get("inconnus", ())),
            idcc_inconnus=frozenset(_idcc(c) for c in conv.get("inconnus", ())),
            idcc_liste_complete=bool(conv.get("liste_complete", False)),
        )


def _decimal(valeur: object) -> Decimal:
    # str() first so that a YAML float (1823.03) does not carry binary noise into the Decimal.
    return Decimal(str(valeur))


def _jour(valeur: object) -> date:
    return valeur if isinstance(valeur, date) else date.fromisoformat(str(valeur))


def _jour_ou_rien(valeur: object) -> date | None:
    return None if valeur in (None, "") else _jour(valeur)


def _idcc(valeur: object) -> str:
    return str(valeur).strip().zfill(4)


def _tuple(valeurs: Iterable[object] | None) -> tuple[str, ...] | None:
    return None if valeurs is None else tuple(str(v) for v in valeurs)


def _periode_smic(p: Mapping[str, Any]) -> PeriodeSmic:
    return PeriodeSmic(
        debut=_jour(p["debut"]),
        horaire=_decimal(p["horaire"]),
        mensuel=_decimal(p["mensuel"]),
        horaire_mayotte=_decimal(p["horaire_mayotte"]),
        mensuel_mayotte=_decimal(p["mensuel_mayotte"]),
    )


def _certification(code: str, v: Mapping[str, Any]) -> Certification:
    return Certification(
        code=code,
        intitule=str(v.get("intitule", "")),
        niveau=v.get("niveau"),
        actif_du=_jour_ou_rien(v.get("actif_du")),
        actif_au=_jour_ou_rien(v.get("actif_au")),
        apprentissage=bool(v.get("apprentissage", True)),
        codes_diplome=_tuple(v.get("codes_diplome")) or (),
    )


def _etablissement(siret: str, v: Mapping[str, Any]) -> Etablissement:
    return Etablissement(
        siret=siret,
        etat=str(v.get("etat", "actif")),
        diffusible=bool(v.get("diffusible", True)),
        date_fermeture=_jour_ou_rien(v.get("date_fermeture")),
        opposition=bool(v.get("opposition", False)),
        qualiopi=bool(v.get("qualiopi", True)),
        habilitations=_tuple(v.get("habilitations")),
    )
