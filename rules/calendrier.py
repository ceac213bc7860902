"""Contract dates, durations and working time (rules.md 1.3 and 5.4)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rules.calculs import (
    age_a,
    ajouter_mois,
    date_formation_pratique,
    duree_jours,
    duree_mois,
    en_decimal,
    minutes_hebdo,
)
from rules.cerfa import CerfaVue
from rules.registry import Constat, Contexte, Moment, Severite, regle

DEBUT, FIN = "contrat.dateDebutContrat", "contrat.dateFinContrat"
INITIAUX = {11, 21, 22, 23}
AVENANTS = set(range(31, 39))
HEURES_ANNUELLES = Decimal(1607)  # legal annual working time, as mission-apprentissage uses


def _c(chemin: str) -> str:
    return f"cerfa.{chemin}"


@regle(
    "DATE_END_BEFORE_START",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="La date de fin du contrat n'est pas postérieure à sa date de début.",
    base="rules.md 1.3, 5.4",
    message="{champ} : la fin du contrat ({fin}) doit être postérieure à son début ({debut}).",
)
def fin_avant_debut(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateFinContrat is after dateDebutContrat (rules.md 5.4)."""
    debut, fin = cerfa.date(DEBUT), cerfa.date(FIN)
    if debut and fin and fin <= debut:
        yield Constat(_c(FIN), {"debut": debut, "fin": fin})


@regle(
    "DATE_SIGNATURE_AFTER_START",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Contrat initial conclu après son début d'exécution.",
    base="rules.md 1.3 (ContratDates.control.ts), 5.4",
    message="{champ} : un contrat initial est conclu ({conclusion}) au plus tard le jour de son "
    "début d'exécution ({debut}).",
)
def signature_apres_debut(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """An initial contract (11/21/22/23) is concluded on or before dateDebutContrat."""
    conclusion, debut = cerfa.date("contrat.dateConclusion"), cerfa.date(DEBUT)
    initial = cerfa.entier("contrat.typeContratApp") in INITIAUX
    if initial and conclusion and debut and conclusion > debut:
        yield Constat("cerfa.contrat.dateConclusion", {"conclusion": conclusion, "debut": debut})


@regle(
    "DATE_AVENANT_EFFECT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Date d'effet de l'avenant absente ou hors de la période du contrat.",
    base="rules.md 1.3, 4.4, 5.4",
    message="{champ} : la date d'effet de l'avenant {motif}.",
)
def effet_avenant(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Avenants 31-37 carry dateEffetAvenant; for 31-38 it lies in [début, fin] of the contract."""
    type_contrat, effet = (
        cerfa.entier("contrat.typeContratApp"),
        cerfa.date("contrat.dateEffetAvenant"),
    )
    debut, fin, champ = cerfa.date(DEBUT), cerfa.date(FIN), "cerfa.contrat.dateEffetAvenant"
    if type_contrat not in AVENANTS:
        return
    if effet is None and type_contrat != 38:
        yield Constat(champ, {"motif": "est obligatoire pour un avenant de type 31 à 37"})
    elif effet and debut and fin and not debut <= effet <= fin:
        yield Constat(champ, {"motif": f"({effet}) n'est pas comprise entre {debut} et {fin}"})


@regle(
    "CONTRACT_PREVIOUS_MISSING",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Numéro du contrat précédent absent (obligatoire 31-37, attendu 21/22/23/38).",
    base="rules.md 3.6, 4.4, 5.4",
    message="{champ} : le numéro DECA du contrat précédent est {attendu} pour le type {type}.",
)
def contrat_precedent(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """numeroContratPrecedent is required for avenants 31-37 and expected for 21/22/23/38."""
    type_contrat = cerfa.entier("contrat.typeContratApp")
    if cerfa.texte("contrat.numeroContratPrecedent") or type_contrat not in {
        21,
        22,
        23,
        *AVENANTS,
    }:
        return
    champ = "cerfa.contrat.numeroContratPrecedent"
    if 31 <= type_contrat <= 37:
        yield Constat(champ, {"attendu": "obligatoire", "type": type_contrat})
    else:
        valeurs = {"attendu": "attendu", "type": type_contrat}
        yield Constat(champ, valeurs, Severite.AVERTISSEMENT)


@regle(
    "WORK_HOURS_MAX",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Durée hebdomadaire de travail : 40 h au plus (bloquant), 35 h attendues.",
    base="rules.md 1.3 (dureeTravail.control.ts), 5.4",
    message="{champ} : durée hebdomadaire de {heures} h {minutes:02d} {motif}.",
)
def duree_hebdomadaire(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Weekly time <= 40 h and minutes <= 59 (blocking); > 35 h, minors included, is a warning."""
    total, champ = minutes_hebdo(cerfa), "cerfa.contrat.dureeTravailHebdoHeures"
    heures = cerfa.entier("contrat.dureeTravailHebdoHeures") or 0
    minutes = cerfa.entier("contrat.dureeTravailHebdoMinutes") or 0
    valeurs: dict[str, object] = {"heures": heures, "minutes": minutes}
    if total > 40 * 60 or minutes > 59:
        yield Constat(champ, {**valeurs, "motif": "(40 h au plus)"}, Severite.BLOQUANT)
    elif total > 35 * 60:
        mineur = (age_a(cerfa, DEBUT) or 18) < 18
        motif = "pour un apprenti mineur (35 h au plus)" if mineur else "(35 h attendues)"
        yield Constat(champ, {**valeurs, "motif": motif})


@regle(
    "DUR_TOO_SHORT",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Contrat de moins de 6 mois (avertissement si réduction de durée justifiée).",
    base="C. trav. L6222-7-1, R6222-23-1 ; rules.md 1.3, 5.4",
    message="{champ} : le contrat dure {mois} mois (6 mois au moins).",
)
def duree_trop_courte(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The contract lasts at least 6 months, unless derogation 21/50 or situation 7/8 (warning)."""
    debut, fin = cerfa.date(DEBUT), cerfa.date(FIN)
    if debut and fin and debut < fin and duree_mois(debut, fin) < 6:
        justifie = cerfa.entier("contrat.typeDerogation") in {21, 50} or cerfa.entier(
            "apprenti.situationAvantContrat"
        ) in {7, 8}
        severite = Severite.AVERTISSEMENT if justifie else None
        yield Constat(_c(FIN), {"mois": duree_mois(debut, fin)}, severite)


@regle(
    "DUR_TOO_LONG",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Contrat de plus de 3 ans (4 ans si RQTH, dérogation 22/50 ou avenant 33/34).",
    base="C. trav. L6222-7-1, L6222-11, R6222-47 ; rules.md 1.3, 5.4",
    message="{champ} : le contrat dépasse {plafond} mois ({mois} mois).",
)
def duree_trop_longue(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """At most 36 months, 48 with RQTH, derogation 22/50 or avenant 33/34 (36 months + 1 day fails)."""
    debut, fin = cerfa.date(DEBUT), cerfa.date(FIN)
    allonge = (
        cerfa.valeur("apprenti.handicap") is True
        or cerfa.entier("contrat.typeDerogation") in {22, 50}
        or cerfa.entier("contrat.typeContratApp") in {33, 34}
    )
    plafond = 48 if allonge else 36
    if debut and fin and fin >= ajouter_mois(debut, plafond):
        yield Constat(_c(FIN), {"plafond": plafond, "mois": duree_mois(debut, fin)})


@regle(
    "DATE_PRACTICAL_START_WINDOW",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Début de la formation pratique hors de [début du contrat ; début + 3 mois].",
    base="C. trav. L6222-12 ; rules.md 1.3, 5.4",
    message="{champ} : la formation pratique ({pratique}) doit débuter entre {debut} et {limite}.",
)
def debut_formation_pratique(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateDebutContrat <= practical start <= min(dateDebutContrat + 3 months, dateFinContrat)."""
    champ, pratique = date_formation_pratique(cerfa)
    debut, fin = cerfa.date(DEBUT), cerfa.date(FIN)
    if pratique and debut:
        limite = min(ajouter_mois(debut, 3), fin or pratique)
        if not debut <= pratique <= limite:
            yield Constat(champ, {"pratique": pratique, "debut": debut, "limite": limite})


@regle(
    "DATE_CFA_START_LATE",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Formation en CFA commençant plus de 3 mois après le début du contrat.",
    base="C. trav. L6222-12 ; rules.md 1.3, 5.4",
    message="{champ} : la formation en CFA ({cfa}) débute après le {limite}.",
)
def debut_cfa_tardif(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateDebutFormation is at most 3 months after dateDebutContrat (L6222-12)."""
    cfa, debut = cerfa.date("formation.dateDebutFormation"), cerfa.date(DEBUT)
    if cfa and debut and cfa > ajouter_mois(debut, 3):
        yield Constat(
            "cerfa.formation.dateDebutFormation", {"cfa": cfa, "limite": ajouter_mois(debut, 3)}
        )


@regle(
    "DATE_CFA_START_EARLY",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Formation en CFA commencée plus de 3 mois avant le contrat : durée à réduire.",
    base="C. trav. L6222-12-1 ; rules.md 1.3, 5.4",
    message="{champ} : la formation en CFA ({cfa}) a débuté avant le {limite} ; la durée du "
    "contrat doit être réduite des mois déjà suivis.",
)
def debut_cfa_precoce(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A CFA start more than 3 months before dateDebutContrat is allowed (L6222-12-1) but flagged."""
    cfa, debut = cerfa.date("formation.dateDebutFormation"), cerfa.date(DEBUT)
    if cfa and debut and cfa < ajouter_mois(debut, -3):
        yield Constat(
            "cerfa.formation.dateDebutFormation", {"cfa": cfa, "limite": ajouter_mois(debut, -3)}
        )


@regle(
    "DATE_END_BEFORE_EXAMS",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Contrat se terminant avant la fin des épreuves.",
    base="rules.md 1.3, 5.4",
    message="{champ} : le contrat se termine ({fin}) avant la fin des épreuves ({examens}).",
)
def fin_avant_examens(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateFinContrat is on or after dateFinFormation (end of exams)."""
    fin, examens = cerfa.date(FIN), cerfa.date("formation.dateFinFormation")
    if fin and examens and fin < examens:
        yield Constat(_c(FIN), {"fin": fin, "examens": examens})


@regle(
    "DATE_END_AFTER_EXAMS",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Contrat se terminant plus de 2 mois (bloquant : 3 mois) après les épreuves.",
    base="rules.md 1.3 (notice : 2 mois ; ContratDates.control.ts : 3 mois), 5.4",
    message="{champ} : le contrat se termine ({fin}) plus de {mois} mois après la fin des "
    "épreuves ({examens}).",
)
def fin_apres_examens(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateFinContrat <= dateFinFormation + 2 months (warning), + 3 months (blocking).

    FIDELITY: "+ n months" is calendar months clamped to the month end (30 June + 2 months =
    30 August), as date-fns addMonths in the ministry generator; 31 August is a warning.
    """
    fin, examens = cerfa.date(FIN), cerfa.date("formation.dateFinFormation")
    if fin and examens and fin > ajouter_mois(examens, 3):
        yield Constat(_c(FIN), {"fin": fin, "examens": examens, "mois": 3}, Severite.BLOQUANT)
    elif fin and examens and fin > ajouter_mois(examens, 2):
        yield Constat(_c(FIN), {"fin": fin, "examens": examens, "mois": 2})


@regle(
    "DATE_TRAINING_SPAN",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Durée de la formation hors de 6 à 48 mois.",
    base="rules.md 1.3 (dateFormation.control.ts), 5.4",
    message="{champ} : la formation dure {mois} mois (de 6 à 48 mois attendus).",
)
def duree_formation(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dateDebutFormation -> dateFinFormation spans 6 to 48 months (end date included)."""
    debut, fin = (
        cerfa.date("formation.dateDebutFormation"),
        cerfa.date("formation.dateFinFormation"),
    )
    if debut and fin and (duree_mois(debut, fin) < 6 or fin >= ajouter_mois(debut, 48)):
        yield Constat("cerfa.formation.dateFinFormation", {"mois": duree_mois(debut, fin)})


@regle(
    "DUR_TRAINING_HOURS_25PCT",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Heures de formation inférieures à 25 % de la durée du contrat (base 1 607 h/an).",
    base="C. trav. L6211-2 ; rules.md 1.3 (formationSchema.ts), 5.4",
    message="{champ} : {heures} h de formation, moins de 25 % du temps du contrat ({minimum} h).",
)
def heures_formation(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """dureeFormation >= 25 % × 1 607 h × contract days / 365 (end date included)."""
    debut, fin = cerfa.date(DEBUT), cerfa.date(FIN)
    heures = en_decimal(cerfa.valeur("formation.dureeFormation"))
    if debut and fin and heures is not None and fin > debut:
        minimum = HEURES_ANNUELLES * duree_jours(debut, fin) / 4 / 365
        if heures < minimum:
            valeurs = {"heures": heures, "minimum": minimum.quantize(Decimal(1))}
            yield Constat("cerfa.formation.dureeFormation", valeurs)
