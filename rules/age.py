"""Apprentice age rules (rules.md 1.2 and 5.3): limits of L6222-1 / L6222-2 / D6222-1."""

from __future__ import annotations

from collections.abc import Iterator

from rules.calculs import age_a, sans_limite_age, succession_apres_29
from rules.cerfa import CerfaVue
from rules.registry import Constat, Contexte, Moment, Severite, regle

NAISSANCE = "cerfa.apprenti.dateNaissance"
DEROGATION = "cerfa.contrat.typeDerogation"
COLLEGE_ACHEVE = {1, 11, 12, 21, 22, 31, 32, 40}  # derniereClasse proving collège was completed


@regle(
    "AGE_BIRTHDATE_FUTURE",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="La date de naissance de l'apprenti est dans le futur.",
    base="rules.md 1.2, 5.3",
    message="{champ} : la date de naissance {naissance} est postérieure à aujourd'hui ({jour}).",
)
def naissance_future(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The apprentice's birth date is not after the sandbox date (rules.md 5.3)."""
    naissance = cerfa.date("apprenti.dateNaissance")
    if naissance and naissance > ctx.aujourdhui:
        yield Constat(NAISSANCE, {"naissance": naissance, "jour": ctx.aujourdhui})


@regle(
    "AGE_UNDER_15",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="L'apprenti a moins de 15 ans au début du contrat.",
    base="C. trav. L6222-1 ; rules.md 1.2",
    message="{champ} : l'apprenti a {age} ans au début du contrat (15 ans minimum).",
)
def moins_de_15_ans(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The apprentice is at least 15 at dateDebutContrat (L6222-1)."""
    age = age_a(cerfa, "contrat.dateDebutContrat")
    if age is not None and age < 15:
        yield Constat(NAISSANCE, {"age": age})


@regle(
    "AGE_15_WITHOUT_COLLEGE",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 15 ans : collège achevé et dérogation 11 (ou 50) requis.",
    base="C. trav. L6222-1 ; rules.md 1.2",
    message="{champ} : apprenti de 15 ans, {motif}.",
)
def quinze_ans_sans_college(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A 15-year-old must have completed collège (blocking) and carry derogation 11/50 (warning).

    Collège is proven by derniereClasse 01/11-32/40 or by any diploma (brevet and above).
    """
    if age_a(cerfa, "contrat.dateDebutContrat") != 15:
        return
    classe, diplome = cerfa.entier("apprenti.derniereClasse"), cerfa.entier("apprenti.diplome")
    if classe not in COLLEGE_ACHEVE and (classe in {41, 42} or diplome in {None, 13}):
        yield Constat("cerfa.apprenti.derniereClasse", {"motif": "collège non achevé"})
    elif cerfa.entier("contrat.typeDerogation") not in {11, 50}:
        motif = "dérogation 11 (âge inférieur à 16 ans) non indiquée"
        yield Constat(DEROGATION, {"motif": motif}, Severite.AVERTISSEMENT)


@regle(
    "AGE_OVER_29_NO_EXCEPTION",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 30 à 35 ans sans cas d'exception à la limite d'âge.",
    base="C. trav. L6222-1, L6222-2, D6222-1 ; rules.md 1.2",
    message="{champ} : l'apprenti a {age} ans au début du contrat sans cas d'exception (RQTH, "
    "sportif de haut niveau, création d'entreprise, contrat successif avec dérogation 12).",
)
def plus_de_29_ans(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """From 30 at dateDebutContrat an exception of L6222-2 is needed (L6222-1).

    Apprentices of 36 and more at conclusion are reported by AGE_OVER_35 only (no double report).
    """
    age = age_a(cerfa, "contrat.dateDebutContrat")
    fin_35 = (age_a(cerfa, "contrat.dateConclusion") or 0) >= 36
    if (
        age is not None
        and age >= 30
        and not fin_35
        and not sans_limite_age(cerfa)
        and not succession_apres_29(cerfa)
    ):
        yield Constat(NAISSANCE, {"age": age})


@regle(
    "AGE_OVER_29_NEEDS_PROOF",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 30 à 35 ans au titre d'un contrat successif : justificatifs à vérifier.",
    base="C. trav. L6222-2 1° 2°, D6222-1 ; rules.md 1.2",
    message="{champ} : apprenti de {age} ans, contrat successif ; vérifier que le précédent "
    "contrat s'est terminé il y a moins d'un an (diplôme supérieur ou rupture indépendante).",
)
def plus_de_29_ans_justificatifs(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The succession exception needs a previous contract ended < 1 year ago (D6222-1).

    FIDELITY: the Cerfa carries no end date of the previous contract, so the check is always a
    warning asking for the proof whenever the exception is relied on.
    """
    age = age_a(cerfa, "contrat.dateDebutContrat")
    conclusion = age_a(cerfa, "contrat.dateConclusion")
    succession = succession_apres_29(cerfa) and not sans_limite_age(cerfa)
    if age is not None and age >= 30 and (conclusion or 0) <= 35 and succession:
        yield Constat("cerfa.contrat.typeContratApp", {"age": age})


@regle(
    "AGE_OVER_35",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 36 ans ou plus sans RQTH, sportif de haut niveau ni projet de création.",
    base="C. trav. L6222-2, D6222-1 ; rules.md 1.2",
    message="{champ} : l'apprenti a {age} ans à la conclusion (35 ans au plus hors RQTH, "
    "sportif de haut niveau ou création d'entreprise).",
)
def plus_de_35_ans(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Beyond 35 at dateConclusion only RQTH, sportif HN or a creation project remain (D6222-1)."""
    age = age_a(cerfa, "contrat.dateConclusion")
    if age is not None and age >= 36 and not sans_limite_age(cerfa):
        yield Constat(NAISSANCE, {"age": age})


@regle(
    "AGE_CREATION_ATTESTATION",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Apprenti de 30 ans ou plus au titre d'un projet de création : attestation requise.",
    base="C. trav. L6222-2 4° ; rules.md 1.2",
    message="{champ} : apprenti de {age} ans au titre d'un projet de création ou de reprise "
    "d'entreprise ; l'attestation sur l'honneur est requise.",
)
def attestation_creation(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """An apprentice of 30+ relying only on a creation project needs a sworn statement."""
    age = age_a(cerfa, "contrat.dateDebutContrat")
    autres = cerfa.booleen("apprenti.handicap") or cerfa.booleen(
        "apprenti.inscriptionSportifDeHautNiveau"
    )
    creation = cerfa.booleen("apprenti.projetCreationRepriseEntreprise")
    if age is not None and age >= 30 and creation and not autres:
        yield Constat("cerfa.apprenti.projetCreationRepriseEntreprise", {"age": age})


@regle(
    "AGE_DEROGATION_INCONSISTENT",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Dérogation d'âge incohérente avec l'âge de l'apprenti.",
    base="rules.md 1.2 (typeDerogation.control.ts), 5.3",
    message="{champ} : dérogation {derogation} incohérente avec l'âge de l'apprenti ({age} ans).",
)
def derogation_incoherente(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Derogation 11 needs age < 16 and derogation 12 age >= 30 at dateDebutContrat."""
    age, derogation = (
        age_a(cerfa, "contrat.dateDebutContrat"),
        cerfa.entier("contrat.typeDerogation"),
    )
    if age is not None and ((derogation == 11 and age >= 16) or (derogation == 12 and age < 30)):
        yield Constat(DEROGATION, {"derogation": derogation, "age": age})


@regle(
    "AGE_MINOR_NO_REPRESENTATIVE",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Apprenti mineur non émancipé sans représentant légal.",
    base="rules.md 1.3, 4.2, 5.3",
    message="{champ} : apprenti mineur non émancipé ({age} ans à la conclusion), "
    "le représentant légal (nom et prénom) est requis.",
)
def mineur_sans_representant(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A minor at dateConclusion, not declared emancipated, needs a legal representative."""
    age = age_a(cerfa, "contrat.dateConclusion")
    emancipe = cerfa.valeur("apprenti.apprentiMineurNonEmancipe") is False
    representant = cerfa.texte("apprenti.responsableLegal.nom") and cerfa.texte(
        "apprenti.responsableLegal.prenom"
    )
    if age is not None and age < 18 and not emancipe and not representant:
        yield Constat("cerfa.apprenti.responsableLegal", {"age": age})
