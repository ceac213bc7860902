"""Scope and eligibility rules checked while instructing (rules.md 1.1, 1.6, 3.8, 5.2).

Also the calendar helpers they need: French public holidays and working days ("jours
ouvrables": Monday to Saturday, public holidays excluded).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

from rules.cerfa import CerfaVue
from rules.formats import MOTIF_RNCP, idcc_normalise, rncp_normalise
from rules.referentiel import Certification
from rules.registry import Constat, Contexte, Moment, Severite, regle

DECRET_2024_631 = date(2024, 8, 1)  # D6224-2 5°-7°: contracts concluded from this day
DELAI_DEPOT_JOURS_OUVRABLES = 5  # D6224-1
EMPLOYEURS_PUBLICS = range(21, 30)  # 21-29 go to the DDETS (CELIA); 30 (EPIC) stays with OPCOs
RNCP = "cerfa.formation.rncp"


def paques(annee: int) -> date:
    """Easter Sunday (Gregorian calendar, anonymous "Meeus/Jones/Butcher" algorithm)."""
    a, b, c = annee % 19, annee // 100, annee % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    mois, jour = divmod(h + ell - 7 * m + 114, 31)
    return date(annee, mois, jour + 1)


@lru_cache(maxsize=64)
def jours_feries(annee: int) -> frozenset[date]:
    """The 11 national public holidays (C. trav. L3133-1) of `annee`.

    FIDELITY: Alsace-Moselle (Good Friday, 26 December) and overseas holidays (abolition of
    slavery) are not included: the sandbox applies the national calendar everywhere.
    """
    p = paques(annee)
    fixes = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
    mobiles = (p + timedelta(days=1), p + timedelta(days=39), p + timedelta(days=50))
    return frozenset({date(annee, m, j) for m, j in fixes} | set(mobiles))


def est_ouvrable(jour: date) -> bool:
    """Jour ouvrable: Monday to Saturday, not a public holiday."""
    return jour.weekday() != 6 and jour not in jours_feries(jour.year)


def jours_ouvrables_entre(debut: date, fin: date) -> int:
    """Working days d with debut < d <= fin (0 when fin <= debut)."""
    jours = (debut + timedelta(days=n) for n in range(1, (fin - debut).days + 1))
    return sum(1 for jour in jours if est_ouvrable(jour))


def certification_visee(cerfa: CerfaVue, ctx: Contexte) -> tuple[str, Certification | None] | None:
    """(normalised RNCP, referential entry or None if unknown), None when no valid code."""
    rncp = rncp_normalise(cerfa.texte("formation.rncp") or "")
    return (rncp, ctx.referentiel.certification(rncp)) if MOTIF_RNCP.match(rncp) else None


def conclu_depuis_decret_2024(cerfa: CerfaVue) -> bool:
    """Contract concluded from 2024-08-01 (décret 2024-631 adds checks 5°-7° of D6224-2)."""
    conclusion = cerfa.date("contrat.dateConclusion")
    return conclusion is not None and conclusion >= DECRET_2024_631


@regle(
    "ELIG_PUBLIC_EMPLOYER",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Employeur public non industriel et commercial : le contrat relève de la DDETS.",
    base="rules.md 1.1, 5.2 (employeurs publics : plateforme CELIA ; EPIC type 30 admis)",
    message="{champ} : un employeur public de type {type} dépose ses contrats auprès de la DDETS, pas d'un OPCO.",
)
def employeur_public(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """typeEmployeur 21-29 is out of the OPCOs' scope; 30 (EPIC) is in (rules.md 1.1)."""
    type_employeur = cerfa.entier("employeur.typeEmployeur")
    if type_employeur in EMPLOYEURS_PUBLICS:
        yield Constat("cerfa.employeur.typeEmployeur", {"type": type_employeur})


@regle(
    "ELIG_WRONG_OPCO",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="La convention collective de l'employeur relève d'un autre OPCO.",
    base="rules.md 3.8, 5.2 (correspondance IDCC → OPCO)",
    message="{champ} : l'IDCC {idcc} relève de l'OPCO {opco_attendu}, pas de {opco}.",
)
def mauvais_opco(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The IDCC maps to this OPCO; silent for 9999/9998 and unknown or unmapped IDCCs (3.8)."""
    idcc = idcc_normalise(cerfa)
    convention = ctx.referentiel.convention(idcc) if idcc else None
    if ctx.opco_id and convention and convention.opco and convention.opco != ctx.opco_id:
        valeurs = {"idcc": idcc, "opco_attendu": convention.opco, "opco": ctx.opco_id}
        yield Constat("cerfa.employeur.codeIdcc", valeurs)


@regle(
    "ELIG_RNCP_UNKNOWN",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="La certification (RNCP) n'existe pas au répertoire national.",
    base="C. trav. L6211-1 ; rules.md 1.6, 5.2",
    message="{champ} : la certification {rncp} est inconnue du RNCP.",
)
def rncp_inconnu(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The certification exists in the RNCP (stub: everything but the magic codes) (1.6)."""
    visee = certification_visee(cerfa, ctx)
    if visee and visee[1] is None:
        yield Constat(RNCP, {"rncp": visee[0]})


@regle(
    "ELIG_RNCP_INACTIVE",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="La certification (RNCP) n'est pas active au début du contrat ou du cycle.",
    base="C. trav. L6211-1 ; rules.md 1.6, 5.2 (règle OPCO Atlas)",
    message="{champ} : la certification {rncp} n'est pas active le {jour} (active du {du} au {au}).",
)
def rncp_inactif(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The RNCP is active at min(dateDebutContrat, dateDebutFormation) (rules.md 1.6)."""
    visee = certification_visee(cerfa, ctx)
    debuts = [
        d
        for c in ("contrat.dateDebutContrat", "formation.dateDebutFormation")
        if (d := cerfa.date(c))
    ]
    if not visee or not visee[1] or not debuts:
        return
    c, jour = visee[1], min(debuts)
    if (c.actif_du and jour < c.actif_du) or (c.actif_au and jour > c.actif_au):
        yield Constat(
            RNCP, {"rncp": c.code, "jour": jour, "du": c.actif_du or "…", "au": c.actif_au or "…"}
        )


@regle(
    "ELIG_RNCP_NOT_APPRENTICESHIP",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="La certification n'est pas ouverte à l'apprentissage (ou relève du Répertoire spécifique).",
    base="C. trav. L6211-1 ; rules.md 1.6, 5.2",
    message="{champ} : la certification {rncp} n'est pas ouverte à l'apprentissage.",
)
def rncp_hors_apprentissage(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The certification is flagged open to apprenticeship; an RS code never is (1.6)."""
    code = rncp_normalise(cerfa.texte("formation.rncp") or "")
    visee = certification_visee(cerfa, ctx)
    if code.startswith("RS") or (visee and visee[1] and not visee[1].apprentissage):
        yield Constat(RNCP, {"rncp": code})


@regle(
    "ELIG_CFD_RNCP_MISMATCH",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Le code diplôme (CFD) n'est pas rattaché à la certification RNCP.",
    base="rules.md 1.6, 5.2",
    message="{champ} : le code diplôme {cfd} n'est pas rattaché à {rncp} (attendu : {attendus}).",
)
def cfd_hors_rncp(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """codeDiplome (first 8 characters) is one of the CFDs linked to the RNCP, when known (1.6)."""
    visee, cfd = certification_visee(cerfa, ctx), cerfa.texte("formation.codeDiplome")
    codes = visee[1].codes_diplome if visee and visee[1] else ()
    if cfd and codes and cfd.upper()[:8] not in codes:
        yield Constat(
            "cerfa.formation.codeDiplome",
            {"cfd": cfd, "rncp": visee[0], "attendus": ", ".join(codes)},
        )


@regle(
    "ELIG_CFA_NOT_QUALIOPI",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Le CFA n'a pas la certification qualité (Qualiopi) pour l'apprentissage.",
    base="C. trav. D6224-2 7°, L6316-1 ; rules.md 1.1, 5.2 (contrats conclus depuis le 2024-08-01)",
    message="{champ} : le CFA {siret} ne détient pas la certification qualité Qualiopi.",
)
def cfa_sans_qualiopi(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The CFA holds the apprenticeship quality certification (D6224-2 7°, from 2024-08-01)."""
    siret = cerfa.texte("organismeFormation.siret")
    if (
        siret
        and conclu_depuis_decret_2024(cerfa)
        and not ctx.referentiel.etablissement(siret).qualiopi
    ):
        yield Constat("cerfa.organismeFormation.siret", {"siret": siret})


@regle(
    "ELIG_CFA_NOT_HABILITATED",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Le CFA n'est pas habilité à préparer la certification visée.",
    base="C. trav. D6224-2 6°, R6113-16 ; rules.md 1.1, 5.2 (contrats conclus depuis le 2024-08-01)",
    message="{champ} : le CFA {siret} n'est pas habilité à préparer {rncp}.",
)
def cfa_non_habilite(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The CFA is habilitated for the RNCP where its habilitations are listed (D6224-2 6°)."""
    siret, visee = cerfa.texte("organismeFormation.siret"), certification_visee(cerfa, ctx)
    if not siret or not visee or not conclu_depuis_decret_2024(cerfa):
        return
    habilitations = ctx.referentiel.etablissement(siret).habilitations
    if habilitations is not None and visee[0] not in habilitations:
        yield Constat("cerfa.organismeFormation.siret", {"siret": siret, "rncp": visee[0]})


@regle(
    "ELIG_EMPLOYER_OPPOSITION",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="L'employeur fait l'objet d'une opposition, suspension ou interdiction de recruter.",
    base="C. trav. D6224-2 5°, L6225-1 à L6225-6 ; rules.md 1.1, 5.2 (contrats conclus depuis le 2024-08-01)",
    message="{champ} : l'employeur {siret} fait l'objet d'une décision d'opposition à l'engagement d'apprentis.",
)
def employeur_en_opposition(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """No opposition / suspension / recruitment ban against the employer (D6224-2 5°)."""
    siret = cerfa.texte("employeur.siret")
    if (
        siret
        and conclu_depuis_decret_2024(cerfa)
        and ctx.referentiel.etablissement(siret).opposition
    ):
        yield Constat("cerfa.employeur.siret", {"siret": siret})


@regle(
    "ELIG_DEPOSIT_LATE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Contrat transmis plus de 5 jours ouvrables après le début d'exécution.",
    base="C. trav. D6224-1 ; rules.md 1.1, 5.2",
    message="{champ} : contrat reçu le {reception}, {jours} jours ouvrables après le début d'exécution (5 au plus).",
)
def depot_tardif(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The OPCO receives the contract within 5 working days after dateDebutContrat (D6224-1)."""
    debut = cerfa.date("contrat.dateDebutContrat")
    if debut is None or ctx.date_reception is None:
        return
    jours = jours_ouvrables_entre(debut, ctx.date_reception)
    if jours > DELAI_DEPOT_JOURS_OUVRABLES:
        yield Constat(
            "cerfa.contrat.dateDebutContrat", {"reception": ctx.date_reception, "jours": jours}
        )
