"""The plan of a bulk generation: how many dossiers of each state, and when each one was
received (its rank), broken off and paid (see opco_server.outils.generation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from opco_server.services.fabrique import FORMATIONS, VARIANTES, dates_contrat
from opco_server.services.personnes import AGES_TRANCHES
from rules.cycle_de_vie import Etat

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco

ETATS = tuple(e.value for e in Etat)
DECIDES = (Etat.ENGAGE, Etat.REFUSE, Etat.ANNULE, Etat.RUPTURE, Etat.SOLDE)
# Share of each state (per cent): most contracts are engaged.
REPARTITION = MappingProxyType(
    {
        Etat.TRANSMIS: 3,
        Etat.EN_COURS_INSTRUCTION: 5,
        Etat.ENGAGE: 62,
        Etat.REFUSE: 8,
        Etat.ANNULE: 5,
        Etat.RUPTURE: 12,
        Etat.SOLDE: 5,
    }
)
# Rupture dates: days after the contract start (the first is within the trial period).
RUPTURES = (
    (20, "PERIODE_ESSAI"),
    (75, "ACCORD_COMMUN"),
    (137, "DEMISSION_APPRENTI"),
    (250, "ACCORD_COMMUN"),
    (400, "OBTENTION_DIPLOME"),
    (600, "INAPTITUDE"),
)
# A SOLDE dossier: the CFA sends the final certificat de réalisation and invoices what is still
# owed this long after declaring the rupture; the OPCO pays after its delay.
DELAI_FACTURE = timedelta(days=3)
# Reception windows (before the clock's now).
FIN_DECIDES = timedelta(days=50)
JOURS_DECIDES = (7, 320)  # bounds of the decided window, ~200 receptions a day in between
RECEPTIONS_PAR_JOUR = 200


def repartir(nombre: int) -> dict[str, int]:
    """Dossiers per state for `nombre` (largest remainder; every state once from 7 on)."""
    parts = {e.value: nombre * p / 100 for e, p in REPARTITION.items()}
    comptes = {e: int(v) for e, v in parts.items()}
    for e in sorted(parts, key=lambda e: parts[e] - comptes[e], reverse=True):
        if sum(comptes.values()) == nombre:
            break
        comptes[e] += 1
    if nombre >= len(ETATS):
        for e in ETATS:
            if comptes[e] == 0:
                comptes[max(comptes, key=comptes.get)] -= 1
                comptes[e] = 1
    return comptes


@dataclass(frozen=True)
class Position:
    etat: str
    reception: datetime
    etapes: dict[str, datetime]  # time of each step of the lifecycle
    date_rupture: date | None
    motif_rupture: str | None

    @property
    def cle(self) -> tuple[str, date, date | None]:
        """What the services' result depends on besides the apprentice: the template (its
        training and age bracket follow its reception day)."""
        return self.etat, self.reception.date(), self.date_rupture

    @property
    def variante(self) -> tuple[int, int]:
        """(training, age bracket) of the day: every pair comes back every VARIANTES days."""
        jour = self.reception.toordinal() % VARIANTES
        return jour % len(FORMATIONS), jour // len(FORMATIONS) % len(AGES_TRANCHES)


@dataclass(frozen=True)
class Plan:
    opco: Opco
    maintenant: datetime
    comptes: dict[str, int]

    @property
    def nombre(self) -> int:
        return sum(self.comptes.values())

    def positions(self) -> Iterator[Position]:
        """Every position in order of reception (= of rank)."""
        o, now = self.opco, self.maintenant
        decides = {e.value: self.comptes[e.value] for e in DECIDES}
        n_decides = sum(decides.values())
        jours = min(max(n_decides / RECEPTIONS_PAR_JOUR, JOURS_DECIDES[0]), JOURS_DECIDES[1])
        fin = now - max(FIN_DECIDES, o.delai_refus_implicite + timedelta(days=5))
        phases = (
            (None, n_decides, fin - timedelta(days=jours), fin),
            (
                Etat.EN_COURS_INSTRUCTION.value,
                self.comptes[Etat.EN_COURS_INSTRUCTION],
                now - o.delai_refus_implicite + timedelta(days=1),
                now - o.delai_debut_instruction - timedelta(hours=1),
            ),
            (
                Etat.TRANSMIS.value,
                self.comptes[Etat.TRANSMIS],
                now - o.delai_debut_instruction + timedelta(hours=1),
                now - timedelta(minutes=5),
            ),
        )
        # Smooth weighted round robin: the decided states interleave evenly, exact counts.
        courant = dict.fromkeys(decides, 0)
        for etat_phase, nombre, debut, fin_phase in phases:
            for k in range(nombre):
                if etat_phase is None:
                    for e in courant:
                        courant[e] += decides[e]
                    etat = max(courant, key=courant.get)
                    courant[etat] -= n_decides
                else:
                    etat = etat_phase
                instant = debut + (fin_phase - debut) * ((k + 0.5) / nombre)
                yield self._position(etat, instant.replace(microsecond=0))

    def _position(self, etat: str, reception: datetime) -> Position:
        o = self.opco
        instruction = reception + o.delai_debut_instruction
        decision = instruction + o.delai_decision
        etapes = {
            "reception": reception,
            "instruction": instruction,
            "decision": decision,
            "refus": reception + o.delai_refus_implicite,
            "annulation": instruction + timedelta(days=3),
        }
        date_rupture = motif = None
        if etat in (Etat.RUPTURE, Etat.SOLDE):
            # A soldé contract was broken off early enough for its invoice to be paid by now.
            apres = DELAI_FACTURE + o.delai_paiement if etat == Etat.SOLDE else timedelta(0)
            date_rupture, motif = self._rupture(reception, apres)
            declaree = datetime.combine(date_rupture + timedelta(days=2), datetime.min.time(), UTC)
            etapes["rupture"] = max(decision + timedelta(hours=1), declaree + timedelta(hours=9))
        if etat == Etat.SOLDE:
            etapes["facture"] = etapes["rupture"] + DELAI_FACTURE
            etapes["solde"] = etapes["facture"] + o.delai_paiement  # paid: every échéance is
        return Position(etat, reception, etapes, date_rupture, motif)

    def _rupture(self, reception: datetime, apres: timedelta) -> tuple[date, str]:
        """Date and reason of the rupture of the contract received on `reception`: one of
        RUPTURES, declared by 3 days before now (`apres` more before), one a day (one template)
        and all of them over the days; if none fits yet, the latest date that does."""
        debut, _ = dates_contrat(reception.date())
        dernier = (self.maintenant - timedelta(days=3) - apres).date()
        possibles = [(j, m) for j, m in RUPTURES if debut + timedelta(days=j) <= dernier]
        if possibles:
            jours, motif = possibles[reception.toordinal() % len(possibles)]
            return debut + timedelta(days=jours), motif
        jours, motif = RUPTURES[0]
        return debut + timedelta(days=max(0, min(jours, (dernier - debut).days))), motif
