"""OPCO funding of an apprenticeship contract: engagement, payment schedule, rupture, frais annexes.

Pure functions (no I/O, no clock): the caller extracts `Parametres` from the Cerfa, the
convention and the NPEC referential. Money is Decimal, 2 decimals, ROUND_HALF_UP. Regulatory
basis: C. trav. L6332-14, R6332-25 (versions before and after décret n° 2025-585 du 27 juin
2025), R6332-25-1/-2 (employer participation), D6332-82 (RQTH majoration), D6332-82-1
(distance-learning minoration), D6332-83 (frais annexes) — rules.md §2, norm.md §3.5 and §5.3.
Schedule mechanics (contract years, cumulative rounding, rupture spreading): rules.echeancier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from rules.calculs import duree_jours, euros
from rules.echeancier import (
    REGIME_2020,
    REGIME_2025,
    ZERO,
    Annee,
    Echeance,
    annees,
    centimes,
    deduire,
    echeances_annee,
    numeroter,
    plan_echeances,
    prorata,
    repartir_rupture,
)

DATE_REFORME_2025 = date(2025, 7, 1)
PARTICIPATION_EMPLOYEUR = Decimal("750.00")
PARTICIPATION_NOUVEL_EMPLOYEUR = Decimal("200.00")
NIVEAU_PARTICIPATION = 6
JOURS_PERIODE_ESSAI = 45
PLAFOND_RQTH_ANNUEL = Decimal("4000.00")
SEUIL_DISTANCIEL = Decimal("0.80")
TAUX_MINORATION = Decimal("0.80")
PLANCHER_MINORATION = Decimal("4000.00")
_PLAFONDS = {
    "HEBERGEMENT": Decimal("6.00"),  # per night
    "RESTAURATION": Decimal("3.00"),  # per meal
    "PREMIEREQUIPEMENT": Decimal("500.00"),  # once per contract
    "MAJORATIONRQTH": PLAFOND_RQTH_ANNUEL,  # per year of execution
}


@dataclass(frozen=True)
class Parametres:
    """Everything the computation needs, already extracted from the Cerfa and the convention."""

    npec_annuel: Decimal  # NPEC for (RNCP, CPNE of the IDCC) applicable at dateConclusion
    date_conclusion: date  # contrat.dateConclusion
    date_debut: date  # contrat.dateDebutContrat
    date_fin: date  # contrat.dateFinContrat (last day, inclusive)
    niveau: int | None  # certification level (3..8), None when unknown
    rqth: bool = False  # apprenti.handicap
    majorations_rqth: tuple[Decimal, ...] = ()  # convention couts.montantRQTHAnnee1..4
    heures_formation: Decimal | None = None  # formation.dureeFormation
    heures_distanciel: Decimal | None = None  # formation.nombreHeuresEnDistanciel
    iban: str | None = None  # CFA IBAN copied on each échéance
    reprise_apres_rupture: bool = False  # typeContratApp 23: participation 200 € instead of 750 €


@dataclass(frozen=True)
class Engagement:
    regime: str  # "2020" (concluded before 2025-07-01) or "2025"
    npec_retenu: Decimal  # after distance minoration
    montant_total: Decimal  # = sum of the échéances
    participation_employeur: Decimal  # already deducted from the first advance
    majoration_rqth: Decimal  # total RQTH majoration included
    echeances: tuple[Echeance, ...]
    remarques: tuple[str, ...]  # French notes


@dataclass(frozen=True)
class FraisAnnexe:
    nature: str  # HEBERGEMENT, RESTAURATION, PREMIER_EQUIPEMENT, MOBILITE
    quantite: int
    prix_unitaire: Decimal | None  # None: MOBILITE without a known OPCO flat rate
    montant_total: Decimal | None


def regime_financement(date_conclusion: date) -> str:
    """Funding regime: "2025" if concluded from 1 July 2025 (décret n° 2025-585), else "2020".

    FIDELITY: contracts concluded before 2020 (former regional funding) are treated as "2020".
    """
    return REGIME_2025 if date_conclusion >= DATE_REFORME_2025 else REGIME_2020


def calculer_engagement(p: Parametres) -> Engagement:
    """Engagement and échéancier of a contract (R6332-25; rules.md §2.2–2.5).

    Regime 2020: per contract year 40 % (year start) / 30 % (7th month) / 30 % SOLDE (10th month),
    the last partial year prorated by months started; a contract under one year gets the NPEC ×
    months started / 12, 50 % at the start and the balance at the contract end. Regime 2025: per
    year 40 % / 30 % (7th month) / 20 % (10th month) / 10 % SOLDE, opening with the next year's
    advance or, for the final year, at the contract end; partial years prorated per day / 365.
    Instalments that would open after the contract end open on its last day. Employer
    participation is deducted from the first advance; when it exceeds it, the advance drops to 0
    and the rest comes off the next instalments in order. The RQTH majoration (capped at 4 000 €
    per year) is added to its year's amount and spread with the same percentages, not as a
    separate line (an invoice's MAJORATION_RQTH lines are checked against `majoration_rqth`).
    """
    if p.date_fin < p.date_debut or p.npec_annuel < 0:
        raise ValueError("dates du contrat incohérentes ou NPEC négatif")
    regime = regime_financement(p.date_conclusion)
    npec, remarques = _npec_retenu(p, regime)
    plan = plan_echeances(regime, p.date_debut, p.date_fin)
    echeances, majoration = [], ZERO
    for annee, base, maj in _montants_annuels(p, regime, npec, p.date_fin):
        majoration += maj
        echeances += echeances_annee(plan, p.date_debut, p.date_fin, annee, base + maj, p.iban, maj)
    brut = sum((e.montant for e in echeances), ZERO)
    echeances, participation = deduire(echeances, _participation(p, regime, npec, brut, None))
    remarques += _remarques_rqth(p) + _remarques_participation(p, regime, participation)
    if regime == REGIME_2025 and not annees(regime, p.date_debut, p.date_fin)[0].complete:
        remarques.append(
            "Contrat de moins d'un an : échéancier 40/30/20/10 sur le montant proratisé"
        )
    return Engagement(
        regime=regime,
        npec_retenu=npec,
        montant_total=brut - participation,
        participation_employeur=participation,
        majoration_rqth=majoration,
        echeances=numeroter(echeances),
        remarques=tuple(remarques),
    )


def proratiser_rupture(
    e: Engagement, p: Parametres, date_rupture: date, *, periode_essai: bool | None = None
) -> Engagement:
    """Engagement reduced to the executed part of a broken contract (R6332-25; rules.md §2.6).

    `date_rupture` is the contract's last day. Funding follows the actual duration: months
    started from the start (regime 2020) or days executed / 365 of the year's amount (regime
    2025); the rupture year's RQTH majoration shrinks in the same proportion. Participation
    (R6332-25-2): during the trial period, 50 % of the NPEC × days / 365, at most 750 €;
    `periode_essai` None means "rupture within the first 45 calendar days" (45 days of practical
    training cannot be shorter). Échéances are spread by `echeancier.repartir_rupture`: the ones
    whose period starts after the rupture are kept with montant 0. A rupture on or after the
    planned end changes nothing. Amounts already invoiced are the invoice layer's concern.
    """
    if date_rupture >= p.date_fin:
        return e
    lignes = _montants_annuels(p, e.regime, e.npec_retenu, date_rupture)
    brut = sum((base + maj for _, base, maj in lignes), ZERO)
    jours = duree_jours(p.date_debut, date_rupture)
    if periode_essai is None:
        periode_essai = jours <= JOURS_PERIODE_ESSAI
    participation = _participation(
        p, e.regime, e.npec_retenu, brut, jours if periode_essai else None
    )
    # FIDELITY: the engagement is a ceiling; a cheaper trial-period participation could
    # otherwise push a very short contract above its initial engagement.
    total = min(brut - participation, e.montant_total)
    remarque = (
        f"Rupture au {date_rupture:%d/%m/%Y} : prise en charge ramenée de "
        f"{euros(e.montant_total)} à {euros(total)}"
    )
    return replace(
        e,
        montant_total=total,
        participation_employeur=participation,
        majoration_rqth=sum((maj for *_, maj in lignes), ZERO),
        echeances=repartir_rupture(
            e.echeances, total, date_rupture, {a.numero: maj for a, _, maj in lignes}
        ),
        remarques=(*e.remarques, remarque),
    )


def frais_annexes(
    nuits: int,
    repas: int,
    premier_equipement: Decimal | None,
    mobilite: bool,
    *,
    forfait_mobilite: Decimal | None = None,
) -> list[FraisAnnexe]:
    """Engaged frais annexes at their ceilings (D6332-83; rules.md §2.4, norm.md §3.5).

    Hébergement 6 € per night, restauration 3 € per meal, premier équipement up to 500 € once
    (a larger request is capped). Lines with a zero quantity are omitted. MOBILITE: the flat
    amount is set by each OPCO's board; pass it as `forfait_mobilite` (OPCO configuration).
    Without it the line records the declared mobility with no amount (prix and montant None):
    the invoice layer then only checks that mobility was declared.
    """
    if nuits < 0 or repas < 0 or (premier_equipement is not None and premier_equipement < 0):
        raise ValueError("quantités et montants de frais annexes positifs attendus")
    lignes = [
        FraisAnnexe(nature, quantite, prix, centimes(prix * quantite))
        for nature, quantite, prix in (
            ("HEBERGEMENT", nuits, _PLAFONDS["HEBERGEMENT"]),
            ("RESTAURATION", repas, _PLAFONDS["RESTAURATION"]),
        )
        if quantite > 0
    ]
    if premier_equipement:
        montant = centimes(min(premier_equipement, _PLAFONDS["PREMIEREQUIPEMENT"]))
        lignes.append(FraisAnnexe("PREMIER_EQUIPEMENT", 1, montant, montant))
    if mobilite:
        forfait = None if forfait_mobilite is None else centimes(forfait_mobilite)
        lignes.append(FraisAnnexe("MOBILITE", 1, forfait, forfait))
    return lignes


def plafond_frais(nature: str) -> Decimal | None:
    """Unit ceiling of a frais-annexe / invoice-line nature (D6332-83, D6332-82), None if none.

    Accepts the casings seen at OPCOs ("PREMIER_EQUIPEMENT", "Premierequipement",
    "MAJORATION_RQTH"). HEBERGEMENT 6 € per night, RESTAURATION 3 € per meal,
    PREMIER_EQUIPEMENT 500 € per contract, MAJORATION_RQTH 4 000 € per year of execution;
    MOBILITE (flat rate per OPCO) and unknown natures: None.
    """
    return _PLAFONDS.get(nature.upper().replace("_", "").replace(" ", ""))


def _montants_annuels(
    p: Parametres, regime: str, npec: Decimal, fin: date
) -> list[tuple[Annee, Decimal, Decimal]]:
    """(year, prorated NPEC, RQTH majoration) for each year up to `fin` (≤ planned end).

    The majoration requested for year n is not prorated when year n is executed as planned (the
    CFA requested it for that year); when a rupture cuts it short, it shrinks by executed /
    planned share of the year.
    """
    prevues = {a.numero: a.fraction for a in annees(regime, p.date_debut, p.date_fin)}
    return [
        (
            a,
            prorata(npec, a.fraction),
            prorata(_majoration(p, a.numero), a.fraction / prevues[a.numero]),
        )
        for a in annees(regime, p.date_debut, fin)
    ]


def _majoration(p: Parametres, annee: int) -> Decimal:
    if not p.rqth or annee > len(p.majorations_rqth):
        return ZERO
    return centimes(min(max(p.majorations_rqth[annee - 1], ZERO), PLAFOND_RQTH_ANNUEL))


def _npec_retenu(p: Parametres, regime: str) -> tuple[Decimal, list[str]]:
    """D6332-82-1: ≥ 80 % distance learning → NPEC × 0.8, not below 4 000 € (2025 regime)."""
    npec = centimes(p.npec_annuel)
    h, d = p.heures_formation, p.heures_distanciel
    if regime != REGIME_2025 or not h or h <= 0 or d is None or d < SEUIL_DISTANCIEL * h:
        return npec, []
    if npec <= PLANCHER_MINORATION:
        return npec, [f"Formation à distance ≥ 80 % : NPEC {euros(npec)} au plancher, non minoré"]
    retenu = max(centimes(npec * TAUX_MINORATION), PLANCHER_MINORATION)
    return retenu, [f"Minoration distanciel appliquée : NPEC {euros(npec)} → {euros(retenu)}"]


def _participation(
    p: Parametres, regime: str, npec: Decimal, brut: Decimal, jours_essai: int | None
) -> Decimal:
    """R6332-25-1/-2: 750 € (200 € after a rupture), level ≥ 6, 2025 regime; never above `brut`.

    `jours_essai`: days executed when the contract was broken during the trial period.
    """
    if regime != REGIME_2025 or p.niveau is None or p.niveau < NIVEAU_PARTICIPATION:
        return ZERO
    forfait = PARTICIPATION_NOUVEL_EMPLOYEUR if p.reprise_apres_rupture else PARTICIPATION_EMPLOYEUR
    if jours_essai is not None:
        forfait = min(forfait, prorata(npec, Fraction(max(jours_essai, 0), 2 * 365)))
    return min(forfait, brut)


def _remarques_rqth(p: Parametres) -> list[str]:
    if not p.rqth:
        return ["Majorations RQTH ignorées : apprenti sans RQTH"] if any(p.majorations_rqth) else []
    return [
        f"Majoration RQTH année {n} plafonnée à {euros(PLAFOND_RQTH_ANNUEL)} (demandé {euros(m)})"
        for n, m in enumerate(p.majorations_rqth, start=1)
        if m > PLAFOND_RQTH_ANNUEL
    ]


def _remarques_participation(p: Parametres, regime: str, participation: Decimal) -> list[str]:
    if regime == REGIME_2025 and p.niveau is None:
        return ["Niveau de certification inconnu : participation employeur non appliquée"]
    if participation:
        return [f"Participation employeur de {euros(participation)} déduite de la première avance"]
    return []
