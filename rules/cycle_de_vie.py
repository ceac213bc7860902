"""The dossier lifecycle as one table: (state, event) -> next state (norm.md §3.3).

TRANSMIS -> EN_COURS_INSTRUCTION -> ENGAGE | REFUSE | ANNULE; ENGAGE -> RUPTURE | SOLDE;
RUPTURE -> SOLDE. REFUSE, ANNULE and SOLDE are terminal.
"""

from __future__ import annotations

from enum import StrEnum


class Etat(StrEnum):
    TRANSMIS = "TRANSMIS"
    EN_COURS_INSTRUCTION = "EN_COURS_INSTRUCTION"
    ENGAGE = "ENGAGE"
    REFUSE = "REFUSE"
    ANNULE = "ANNULE"
    RUPTURE = "RUPTURE"
    SOLDE = "SOLDE"


class Evenement(StrEnum):
    INSTRUIRE = "instruire"  # the OPCO starts instructing
    ENGAGER = "engager"  # funding decision: accepted (DECA deposit)
    REFUSER = "refuser"  # funding decision: refused (explicit or implicit)
    ANNULER = "annuler"  # duplicate, contract never started...
    ROMPRE = "rompre"  # rupture notified
    SOLDER = "solder"  # every échéance paid


TRANSITIONS: dict[tuple[Etat, Evenement], Etat] = {
    (Etat.TRANSMIS, Evenement.INSTRUIRE): Etat.EN_COURS_INSTRUCTION,
    (Etat.TRANSMIS, Evenement.REFUSER): Etat.REFUSE,
    (Etat.TRANSMIS, Evenement.ANNULER): Etat.ANNULE,
    (Etat.EN_COURS_INSTRUCTION, Evenement.ENGAGER): Etat.ENGAGE,
    (Etat.EN_COURS_INSTRUCTION, Evenement.REFUSER): Etat.REFUSE,
    (Etat.EN_COURS_INSTRUCTION, Evenement.ANNULER): Etat.ANNULE,
    (Etat.ENGAGE, Evenement.ANNULER): Etat.ANNULE,
    (Etat.ENGAGE, Evenement.ROMPRE): Etat.RUPTURE,
    (Etat.ENGAGE, Evenement.SOLDER): Etat.SOLDE,
    (Etat.RUPTURE, Evenement.SOLDER): Etat.SOLDE,
}

TERMINAUX = frozenset({Etat.REFUSE, Etat.ANNULE, Etat.SOLDE})
# A contract received, under instruction or running: its maître d'apprentissage is taken. The
# others are over or never started (refused, cancelled, broken off, solded).
ACTIFS = frozenset({Etat.TRANSMIS, Etat.EN_COURS_INSTRUCTION, Etat.ENGAGE})
# Engaged, then possibly broken off: the échéances of the funding can be invoiced.
FACTURABLES = frozenset({Etat.ENGAGE, Etat.RUPTURE})


class TransitionInterdite(ValueError):
    def __init__(self, etat: Etat, evenement: Evenement) -> None:
        super().__init__(f"{evenement.value} impossible depuis l'état {etat.value}")
        self.etat = etat
        self.evenement = evenement


def prochain_etat(etat: Etat | str, evenement: Evenement | str) -> Etat:
    """The state after `evenement`, or TransitionInterdite when the table has no such edge."""
    etat, evenement = Etat(etat), Evenement(evenement)
    try:
        return TRANSITIONS[(etat, evenement)]
    except KeyError:
        raise TransitionInterdite(etat, evenement) from None


def evenements_possibles(etat: Etat | str) -> list[Evenement]:
    return [ev for (source, ev) in TRANSITIONS if source == Etat(etat)]


def evenement_vers(source: Etat | str, cible: Etat | str) -> Evenement | None:
    """The event that leads from `source` to `cible`, if the table has one."""
    for (etat, ev), suivant in TRANSITIONS.items():
        if etat == Etat(source) and suivant == Etat(cible):
            return ev
    return None
