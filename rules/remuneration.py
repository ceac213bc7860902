"""Apprentice pay rules (rules.md 1.5 and 5.6): periods, D6222-26 minimum, hiring salary."""

from __future__ import annotations

from collections.abc import Iterator

from rules.calculs import (
    CENT,
    annee_execution,
    changements_tranche,
    debuts_annees,
    en_decimal,
    minutes_hebdo,
    periodes_remuneration,
    problemes_couverture,
    salaire_minimal,
    smic_employeur,
    taux_premiere_periode,
    tranche_au,
)
from rules.cerfa import CerfaVue
from rules.champs import date_, texte
from rules.registry import Constat, Contexte, Moment, Severite, regle

LIGNES = "cerfa.contrat.remunerationsAnnuelles"


@regle(
    "REM_PERIODS_COVERAGE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Périodes de rémunération non contiguës ou ne couvrant pas le contrat.",
    base="rules.md 4.2, 5.6",
    assouplissement="Bloquant auparavant. Les OPCO ont accepté des contrats de 364 à 395 jours "
    "payés sur une seule ligne « 1.1 » couvrant tout le contrat (norm.md 3.5) : un instructeur "
    "ne refuse pas un découpage imparfait, il refuse une paie inférieure au minimum légal d'une "
    "période, début de chaque année d'exécution compris (REM_BELOW_MINIMUM, à l'instruction).",
    message="{champ} : {probleme}.",
)
def couverture_periodes(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Pay periods are dated, contiguous, non-overlapping, cover the contract and match their ordre.

    Ordre "n.x" must lie within contract year n (12-month years from dateDebutContrat).
    A warning only: the OPCOs accepted a 370-395 day contract with one line covering it all. What
    an instructor refuses is pay below the legal minimum for a period, year starts included
    (REM_BELOW_MINIMUM, at instruction).
    """
    debut, fin = cerfa.date("contrat.dateDebutContrat"), cerfa.date("contrat.dateFinContrat")
    if debut and fin and debut < fin:
        for champ, probleme in problemes_couverture(
            cerfa.valeur("contrat.remunerationsAnnuelles"), debut, fin
        ):
            yield Constat(f"{LIGNES}{champ}", {"probleme": probleme})


@regle(
    "REM_BELOW_MINIMUM",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Taux de rémunération inférieur au minimum légal (âge, année d'exécution).",
    base="C. trav. D6222-26, D6222-27 ; rules.md 1.5, 5.6",
    message="{champ} : taux de {taux} % inférieur au minimum de {minimum} % ({tranche}, "
    "année {annee}).",
)
def taux_sous_minimum(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Each period's taux >= grid(bracket at its start, contract year), every year start included.

    FIDELITY: the RQTH extension year (+15 points) and D6222-28-1 (shorter contract counted as
    years already done) are not applied: the floor checked is never higher than the legal one.
    A bracket change inside a period is REM_BRACKET_CHANGE_LATE's business.
    """
    naissance, debut = (
        cerfa.date("apprenti.dateNaissance"),
        cerfa.date("contrat.dateDebutContrat"),
    )
    for i, (d, f, taux) in periodes_remuneration(cerfa):
        if naissance and debut and d and taux is not None:
            for jour in (d, *debuts_annees(debut, d, f or d)):
                tranche, annee = tranche_au(naissance, d), annee_execution(debut, jour)
                minimum = ctx.referentiel.taux_minimal(annee, tranche)
                if minimum is not None and taux < minimum:
                    valeurs = {"taux": taux, "minimum": minimum, "tranche": tranche, "annee": annee}
                    yield Constat(f"{LIGNES}[{i}].taux", valeurs)
                    break


@regle(
    "REM_BRACKET_CHANGE_LATE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Changement de tranche d'âge au sein d'une période de rémunération.",
    base="C. trav. D6222-26, D6222-34 (numéro à vérifier) ; rules.md 1.5, 5.6",
    message="{champ} : la tranche d'âge change le {jour} ({tranche}) ; une nouvelle période doit "
    "commencer au plus tard ce jour-là (minimum {minimum} %).",
)
def changement_tranche_tardif(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A new period starts by the 1st of the month after the 18/21/26th birthday.

    Blocking when the period's taux is below the minimum of the new bracket.
    """
    naissance, debut = (
        cerfa.date("apprenti.dateNaissance"),
        cerfa.date("contrat.dateDebutContrat"),
    )
    for i, (d, f, taux) in periodes_remuneration(cerfa):
        for jour in changements_tranche(naissance, d, f) if naissance and debut and d and f else ():
            tranche = tranche_au(naissance, jour)
            minimum = ctx.referentiel.taux_minimal(annee_execution(debut, jour), tranche)
            bloquant = taux is not None and minimum is not None and taux < minimum
            valeurs = {"jour": jour, "tranche": tranche, "minimum": minimum}
            yield Constat(
                f"{LIGNES}[{i}].dateFin", valeurs, Severite.BLOQUANT if bloquant else None
            )


@regle(
    "REM_SMC_NOT_APPLIED",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 21 ans ou plus payé sur le SMIC alors que le SMC est plus favorable.",
    base="C. trav. D6222-26 ; rules.md 1.5, 5.6",
    message="{champ} : à partir de 21 ans le taux s'applique au SMC ({smc} €) plus favorable que "
    "le SMIC ({smic} €).",
)
def smc_non_applique(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """From 21 the rate applies to the SMC when higher than the SMIC (typeSalaire SMC expected).

    FIDELITY: the SMC is the Cerfa's contrat.smc (no per-IDCC SMC stub); absent, nothing is checked.
    """
    smc, naissance = (
        en_decimal(cerfa.valeur("contrat.smc")),
        cerfa.date("apprenti.dateNaissance"),
    )
    for i, ligne in enumerate(cerfa.valeur("contrat.remunerationsAnnuelles") or []):
        d = date_(ligne, "dateDebut") if isinstance(ligne, dict) else None
        smic = smic_employeur(cerfa, ctx.referentiel, d)
        adulte = naissance and d and tranche_au(naissance, d) in {"21_25", "26_plus"}
        if smc and smic and adulte and smc > smic and texte(ligne, "typeSalaire") != "SMC":
            yield Constat(f"{LIGNES}[{i}].typeSalaire", {"smc": smc, "smic": smic})


@regle(
    "REM_SALARY_INCONSISTENT",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Salaire à l'embauche incohérent avec le taux de la période 1.1 et le SMIC.",
    base="C. trav. D6222-26 ; rules.md 1.5, 5.6",
    message="{champ} : salaire à l'embauche de {salaire} € pour {attendu} € attendus "
    "(taux 1.1 × SMIC au début du contrat × durée hebdomadaire / 35 h).",
)
def salaire_incoherent(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """salaireEmbauche = ceil(taux 1.1 × SMIC(dateDebutContrat) × hours / 35): below by more
    than 0.01 € blocks, above by more than 1 € warns.

    FIDELITY: hours beyond 35 are prorated, without overtime premium; the SMIC is Mayotte's
    when the employer's postcode starts with 976.
    """
    salaire = en_decimal(cerfa.valeur("contrat.salaireEmbauche"))
    smic = smic_employeur(cerfa, ctx.referentiel, cerfa.date("contrat.dateDebutContrat"))
    taux, minutes = taux_premiere_periode(cerfa), minutes_hebdo(cerfa)
    if salaire is not None and smic and taux is not None and minutes:
        attendu = salaire_minimal(taux, smic, minutes)
        if salaire < attendu - CENT or salaire > attendu + 1:
            severite = None if salaire < attendu else Severite.AVERTISSEMENT
            yield Constat(
                "cerfa.contrat.salaireEmbauche", {"salaire": salaire, "attendu": attendu}, severite
            )


@regle(
    "REM_AVENANT_33_DECREASE",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Avenant de prolongation (33) : le premier taux baisse par rapport au contrat prolongé.",
    base="C. trav. D6222-26 s. ; rules.md 1.5, 5.6",
    message="{champ} : taux de {taux} % inférieur au dernier taux du contrat prolongé "
    "({precedent} %, contrat n° {deca}).",
)
def avenant_33_en_baisse(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """An extension after exam failure (33) starts at least at the amended contract's last rate."""
    precedent, taux = ctx.contrat_precedent, taux_premiere_periode(cerfa)
    if cerfa.texte("contrat.typeContratApp") != "33" or precedent is None:
        return
    if taux is not None and precedent.dernier_taux is not None and taux < precedent.dernier_taux:
        yield Constat(
            f"{LIGNES}[0].taux",
            {"taux": taux, "precedent": precedent.dernier_taux, "deca": precedent.numero_deca},
        )


@regle(
    "REM_SUCCESSION_DECREASE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Contrat successif (21/22) : taux inférieur à celui de la dernière année du précédent.",
    base="C. trav. D6222-31, D6222-32 ; rules.md 1.5, 5.6",
    message="{champ} : taux de {taux} % inférieur au dernier taux du contrat précédent "
    "({precedent} %, n° {deca}) alors que l'âge ne donne droit qu'à {minimum} %.",
)
def succession_en_baisse(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A successive contract keeps at least the previous contract's last rate, unless the
    age-based minimum is higher (D6222-31/32)."""
    precedent, taux = ctx.contrat_precedent, taux_premiere_periode(cerfa)
    if cerfa.texte("contrat.typeContratApp") not in ("21", "22") or precedent is None:
        return
    debut, naissance = (
        cerfa.date("contrat.dateDebutContrat"),
        cerfa.date("apprenti.dateNaissance"),
    )
    if taux is None or precedent.dernier_taux is None or not debut or not naissance:
        return
    minimum = ctx.referentiel.taux_minimal(1, tranche_au(naissance, debut)) or 0
    if taux < precedent.dernier_taux and minimum < precedent.dernier_taux:
        yield Constat(
            f"{LIGNES}[0].taux",
            {
                "taux": taux,
                "precedent": precedent.dernier_taux,
                "deca": precedent.numero_deca,
                "minimum": minimum,
            },
        )
