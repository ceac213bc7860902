"""Rule registry: one rule = one small pure function with a stable code.

A rule function takes the Cerfa (a `CerfaVue` of the schema-valid wire dict; an invoice rule a
`FactureVue`) and a `Contexte` and yields `Constat`s; the registry turns each into a `Violation` with the rule's severity (possibly
overridden per OPCO) and its French message template filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules.cerfa import CerfaVue
from rules.cycle_de_vie import Etat


class Severite(StrEnum):
    BLOQUANT = "bloquant"
    AVERTISSEMENT = "avertissement"


class Moment(StrEnum):
    TRANSMISSION = "transmission"  # synchronous controls on POST /dossiers (400)
    INSTRUCTION = "instruction"  # checks when the OPCO instructs (REFUSE / comment)
    FACTURATION = "facturation"  # controls of POST /factures (400), on a FactureVue


# The moments whose subject is a Cerfa, read through its CerfaVue (FACTURATION: a FactureVue).
MOMENTS_CERFA = (Moment.TRANSMISSION, Moment.INSTRUCTION)


@dataclass(frozen=True)
class Constat:
    """What a rule found: the field concerned and the values for its message template."""

    champ: str
    valeurs: Mapping[str, object] = field(default_factory=dict)
    severite: Severite | None = None  # for rules with two thresholds (warning, then blocking)


@dataclass(frozen=True)
class Violation:
    code: str
    severite: Severite
    moment: Moment
    champ: str
    message: str


@dataclass(frozen=True)
class DossierActif:
    """A dossier already held by the OPCO, as the instruction checks need it."""

    numero_interne: str
    etat: Etat
    maitres: tuple[tuple[str, str, date | None], ...]  # (nom, prénom, date de naissance)
    date_debut_contrat: date | None
    date_fin_contrat: date | None
    type_contrat_app: int | None


@dataclass(frozen=True)
class ContratPrecedent:
    """The contract a new one follows or amends (numeroContratPrecedent), as the OPCO holds it."""

    numero_deca: str
    type_contrat_app: int | None
    date_fin: date | None
    dernier_taux: Decimal | None  # rate of its last pay period (% of the SMIC/SMC)


@dataclass(frozen=True)
class ApprentiConnu:
    """An apprentice of another dossier of the OPCO bearing the same NIR (identity checks)."""

    numero_interne: str
    nom: str
    prenom: str
    date_naissance: date | None
    sexe: str | None


@dataclass(frozen=True)
class Contexte:
    """Everything a rule may read besides the Cerfa. `aujourdhui` is the sandbox clock."""

    aujourdhui: date
    referentiel: Any  # rules.referentiel.Referentiel
    opco_id: str = ""
    severites: Mapping[str, Severite] = field(default_factory=dict)
    date_reception: date | None = None
    dossiers_actifs: Sequence[DossierActif] = ()
    contrat_precedent: ContratPrecedent | None = None
    # The OPCO's other dossiers whose apprentice has this Cerfa's NIR (read by the service).
    meme_nir: Sequence[ApprentiConnu] = ()


Fonction = Callable[[Any, Contexte], Iterator[Constat]]


@dataclass(frozen=True)
class Regle:
    code: str
    severite: Severite
    moment: Moment
    resume: str
    base: str
    message: str
    fonction: Fonction
    # Why the rule is milder than the text it rests on (production contradicts a stricter one).
    assouplissement: str = ""

    def appliquer(self, sujet: object, contexte: Contexte) -> list[Violation]:
        """The rule's violations on `sujet`: a Cerfa (its view, or the wire dict it is then
        built from) for the Cerfa moments, a FactureVue for FACTURATION."""
        if self.moment in MOMENTS_CERFA:
            sujet = CerfaVue.de(sujet)  # type: ignore[arg-type]
        default = contexte.severites.get(self.code, self.severite)
        return [
            Violation(
                code=self.code,
                severite=c.severite or default,
                moment=self.moment,
                champ=c.champ,
                message=self.message.format(champ=c.champ, **c.valeurs),
            )
            for c in self.fonction(sujet, contexte)
        ]


_REGISTRE: dict[str, Regle] = {}
# Codes once published and then withdrawn: never handed out again.
RETIRES: frozenset[str] = frozenset()


def regle(
    code: str,
    *,
    severite: Severite,
    moment: Moment,
    resume: str,
    base: str,
    message: str,
    assouplissement: str = "",
) -> Callable[[Fonction], Fonction]:
    """Register a rule. `message` is a French template; `{champ}` names the field.
    `assouplissement` (French) says why the rule was softened, for docs/regles.md."""

    def decorator(fonction: Fonction) -> Fonction:
        if code in _REGISTRE or code in RETIRES:
            raise ValueError(f"duplicate or retired rule code {code}")
        _REGISTRE[code] = Regle(
            code, severite, moment, resume, base, message, fonction, assouplissement
        )
        return fonction

    return decorator


def catalogue() -> list[Regle]:
    ordre = list(Moment)
    return sorted(_REGISTRE.values(), key=lambda r: (ordre.index(r.moment), r.code))


def evaluer(sujet: object, contexte: Contexte, moment: Moment | None = None) -> list[Violation]:
    """Run every rule of `moment` (both Cerfa moments when None); collect all violations,
    never stop early."""
    moments = MOMENTS_CERFA if moment is None else (moment,)
    if isinstance(sujet, Mapping):  # a Cerfa's wire dict: viewed once for every rule
        sujet = CerfaVue.de(sujet)
    return [
        violation
        for r in catalogue()
        if r.moment in moments
        for violation in r.appliquer(sujet, contexte)
    ]
