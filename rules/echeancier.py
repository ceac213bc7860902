"""Payment-schedule mechanics for rules.financement: contract years, instalment plans, cents.

Pure date and Decimal arithmetic; the regulatory choices (regime, NPEC adjustments, employer
participation) live in rules.financement. Conventions decided here:

* **Contract years** are 12-month slices from dateDebutContrat (`calculs.debut_annee`); end dates
  are inclusive (the contract's last day), as in rules.calculs.
* **Year fraction** (share of the annual amount funded): 1 for a whole contract year; otherwise
  months started / 12 (regime 2020, "tout mois commencé est dû", sliding months from the start)
  or days / 365 (regime 2025). Kept as a `Fraction` so that each amount is rounded once.
* **Cents**: ROUND_HALF_UP on cumulative shares (40 %, 70 %, 90 %, 100 %), so every instalment
  is ≥ 0 and the year's last instalment (its SOLDE) absorbs the rounding: the sum of a year's
  instalments equals the year's amount exactly, hence the schedule equals the engagement.
* **Periods covered**: AVANCE from the year start to the eve of the next instalment, M7 and M10
  from their opening to the eve of the next one (M10 to the year end); the SOLDE balances the
  whole year, so its period is the whole year. Periods and openings are clipped to the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from rules.calculs import UN_JOUR, ajouter_mois, debut_annee, duree_jours, mois_entre

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
JOURS_ANNEE = 365
REGIME_2020 = "2020"
REGIME_2025 = "2025"

# (nature, cumulative share of the year's amount, opening in months after the year start;
# None = at the contract end). R6332-25 before / after décret n° 2025-585.
Plan = tuple[tuple[str, Decimal, int | None], ...]
PLAN_2025: Plan = (
    ("AVANCE", Decimal("0.40"), 0),
    ("M7", Decimal("0.70"), 6),
    ("M10", Decimal("0.90"), 9),
    ("SOLDE", Decimal(1), 12),  # non-final year: with the next year's advance
)
PLAN_2020: Plan = (
    ("AVANCE", Decimal("0.40"), 0),
    ("M7", Decimal("0.70"), 6),
    ("SOLDE", Decimal(1), 9),
)
PLAN_2020_COURT: Plan = (("AVANCE", Decimal("0.50"), 0), ("SOLDE", Decimal(1), None))


@dataclass(frozen=True)
class Echeance:
    numero: int  # 1..n, in opening-date order
    codification: str  # "E<numero>" (E1, E2, ...), the form OPCOs expose (norm.md §3.5)
    montant: Decimal  # montantTotal, 2 decimals, ≥ 0
    date_ouverture: date  # date from which the CFA may invoice it
    date_debut: date  # period covered (inclusive)
    date_fin: date
    annee: int  # contract year 1..n
    nature: str  # "AVANCE", "M7", "M10" (regime 2025 only) or "SOLDE"
    iban: str | None = None  # CFA IBAN expected on invoices
    majoration_rqth: Decimal = ZERO  # part of `montant` due to the RQTH majoration (≤ montant)


@dataclass(frozen=True)
class Annee:
    numero: int
    debut: date
    fin: date  # last day, clipped to the contract end
    fraction: Fraction  # share of the annual amount: 1 for a whole contract year
    complete: bool  # a whole 12-month contract year


def centimes(montant: Decimal) -> Decimal:
    """Round to the cent, half up."""
    return montant.quantize(CENT, rounding=ROUND_HALF_UP)


def prorata(montant: Decimal, fraction: Fraction) -> Decimal:
    """`montant` × `fraction`, rounded once to the cent."""
    return centimes(montant * fraction.numerator / fraction.denominator)


def mois_commences(debut: date, fin_incluse: date) -> int:
    """Months started from `debut` to `fin_incluse` (sliding months; 28/09 → 03/10 N+1 = 13)."""
    return mois_entre(debut, fin_incluse) + 1 if fin_incluse >= debut else 0


def annees(regime: str, debut: date, fin: date) -> list[Annee]:
    """Contract years of [debut, fin] with the share of the annual amount each one funds."""
    resultat, n = [], 1
    while (d := debut_annee(debut, n)) <= fin:
        fin_pleine = debut_annee(debut, n + 1) - UN_JOUR
        f = min(fin_pleine, fin)
        if f == fin_pleine:
            fraction = Fraction(1)
        elif regime == REGIME_2020:
            fraction = Fraction(mois_commences(debut, f) - 12 * (n - 1), 12)
        else:
            # FIDELITY: base 365 as in the ymag example; a partial year spanning 29 February
            # is capped at 365/365, and a whole contract year (365 or 366 days) is worth 1.
            fraction = Fraction(min(duree_jours(d, f), JOURS_ANNEE), JOURS_ANNEE)
        resultat.append(Annee(n, d, f, fraction, f == fin_pleine))
        n += 1
    return resultat


def plan_echeances(regime: str, debut: date, fin: date) -> Plan:
    """Instalment plan of a contract: by regime, and for regime 2020 by duration (< 1 year)."""
    if regime == REGIME_2025:
        # FIDELITY: rules.md leaves open whether "50 % + balance" survives for contracts under
        # one year after July 2025; we apply 40/30/20/10 to the prorated amount, instalments
        # falling after the contract end opening on its last day.
        return PLAN_2025
    return PLAN_2020 if annees(regime, debut, fin)[0].complete else PLAN_2020_COURT


def echeances_annee(
    plan: Plan,
    debut_contrat: date,
    fin_contrat: date,
    annee: Annee,
    montant: Decimal,
    iban: str | None,
    majoration: Decimal = ZERO,
) -> list[Echeance]:
    """Instalments of one contract year (numero 0: `numeroter` numbers the whole schedule).

    `majoration` (the RQTH part of `montant`) is spread with the same cumulative shares and
    rounding, so each instalment's RQTH part sums to it over the year.
    """
    decalage = 12 * (annee.numero - 1)
    nominales = [None if m is None else ajouter_mois(debut_contrat, decalage + m) for *_, m in plan]
    resultat, cumul_precedent, maj_precedente = [], ZERO, ZERO
    for i, (nature, part, _) in enumerate(plan):
        cumul = centimes(montant * part)
        maj = min(centimes(majoration * part), cumul)
        ouverture = min(nominales[i] or fin_contrat, fin_contrat)
        suivante = nominales[i + 1] if i + 1 < len(plan) else None
        debut = annee.debut if nature == "SOLDE" or i == 0 else ouverture
        fin = annee.fin if nature == "SOLDE" or suivante is None else suivante - UN_JOUR
        resultat.append(
            Echeance(
                numero=0,
                codification="",
                montant=cumul - cumul_precedent,
                date_ouverture=ouverture,
                date_debut=min(debut, annee.fin),
                date_fin=min(fin, annee.fin),
                annee=annee.numero,
                nature=nature,
                iban=iban,
                majoration_rqth=min(max(maj - maj_precedente, ZERO), cumul - cumul_precedent),
            )
        )
        cumul_precedent, maj_precedente = cumul, maj
    return resultat


def deduire(echeances: Iterable[Echeance], somme: Decimal) -> tuple[list[Echeance], Decimal]:
    """Take `somme` off the instalments in order, none below 0: (instalments, amount taken).

    The amount taken comes off the pedagogy part first, the RQTH part last.
    """
    resultat, reste = [], somme
    for e in echeances:
        retrait = min(reste, e.montant)
        reste -= retrait
        montant = e.montant - retrait
        resultat.append(
            replace(e, montant=montant, majoration_rqth=min(e.majoration_rqth, montant))
        )
    return resultat, somme - reste


def numeroter(echeances: Iterable[Echeance]) -> tuple[Echeance, ...]:
    """Number the schedule 1..n in opening-date order (stable) and set codification "E<n>"."""
    ordonnees = sorted(echeances, key=lambda e: e.date_ouverture)
    return tuple(
        replace(e, numero=i, codification=f"E{i}") for i, e in enumerate(ordonnees, start=1)
    )


def repartir_rupture(
    echeances: Sequence[Echeance],
    total: Decimal,
    date_rupture: date,
    majorations: Mapping[int, Decimal] | None = None,
) -> tuple[Echeance, ...]:
    """Spread a reduced `total` over a schedule after a rupture on `date_rupture`.

    Instalments whose period starts after the rupture are cancelled (kept, montant 0, so that
    numbers already quoted on invoices stay valid). The others keep their amount in order while
    the total lasts; the last of them (the SOLDE of the rupture year, whose period is the whole
    year) takes the difference, and may exceed its first amount when earlier-planned money was
    cancelled. Surviving instalments end, and open at the latest, on the rupture date.

    `majorations` (contract year → RQTH majoration kept after the rupture) sets the RQTH part
    of the instalments: survivors keep their own while the year's majoration lasts (never above
    their amount), the last survivor of each year takes the balance; cancelled ones carry none.
    """
    vivantes = [i for i, e in enumerate(echeances) if e.date_debut <= date_rupture]
    resultat, reste = [], total
    for i, e in enumerate(echeances):
        if i not in vivantes:
            resultat.append(replace(e, montant=ZERO, majoration_rqth=ZERO))
            continue
        montant = reste if i == vivantes[-1] else min(e.montant, reste)
        reste -= montant
        resultat.append(
            replace(
                e,
                montant=montant,
                majoration_rqth=min(e.majoration_rqth, montant),
                date_ouverture=min(e.date_ouverture, date_rupture),
                date_fin=min(e.date_fin, date_rupture),
            )
        )
    if majorations is not None:
        resultat = _majorations_par_annee(resultat, vivantes, majorations)
    return tuple(resultat)


def _majorations_par_annee(
    echeances: list[Echeance], vivantes: list[int], majorations: Mapping[int, Decimal]
) -> list[Echeance]:
    """Survivors of each year keep their RQTH part while the year's majoration lasts; the last
    one takes the balance (each within [0, its amount])."""
    resultat = list(echeances)
    for annee, cible in majorations.items():
        indices = [i for i in vivantes if resultat[i].annee == annee]
        reste = max(cible, ZERO)
        for i in indices:
            e = resultat[i]
            part = reste if i == indices[-1] else min(e.majoration_rqth, reste)
            part = min(part, e.montant)
            reste -= part
            resultat[i] = replace(e, majoration_rqth=part)
    return resultat


class StatutEcheance(StrEnum):
    """Where an instalment stands on a given day, as the OPCO's portal shows it."""

    A_VENIR = "A_VENIR"  # not open yet: the CFA may not invoice it
    OUVERTE = "OUVERTE"  # open, not (fully) paid
    REGLEE = "REGLEE"  # paid in full, or nothing to pay
    ANNULEE = "ANNULEE"  # brought to 0 by a rupture, or unpaid in a cancelled dossier
    TROP_PERCU = "TROP_PERCU"  # paid beyond its amount (a rupture reduced it): avoir due


def statut_echeance(
    montant_total: Decimal,
    montant_regle: Decimal,
    date_ouverture: date,
    aujourdhui: date,
    rompu: bool = False,
    annule: bool = False,
) -> StatutEcheance:
    """The status of one instalment on `aujourdhui`. After a rupture (`rompu`) an instalment
    brought to 0 is cancelled (`repartir_rupture` keeps it so that its number stays valid);
    what was paid beyond an amount is an overpayment. In a cancelled dossier (`annule`),
    what was not paid is cancelled."""
    if montant_regle > montant_total:
        return StatutEcheance.TROP_PERCU
    if montant_total > 0 and montant_regle >= montant_total:
        return StatutEcheance.REGLEE
    if annule or (rompu and montant_total <= 0):
        return StatutEcheance.ANNULEE
    if date_ouverture > aujourdhui:
        return StatutEcheance.A_VENIR
    return StatutEcheance.REGLEE if montant_total <= 0 else StatutEcheance.OUVERTE
