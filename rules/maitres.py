"""Maître d'apprentissage rules (rules.md 1.4 and 5.5): presence, age, level, capacity."""

from __future__ import annotations

from collections.abc import Iterator

from rules.calculs import age_au, chevauchent, identite, maitres_renseignes, niveau_diplome
from rules.cerfa import CerfaVue
from rules.champs import date_, entier, texte
from rules.cycle_de_vie import ACTIFS
from rules.registry import Constat, Contexte, Moment, Severite, regle

IDENTITE = ("nom", "prenom", "dateNaissance")


@regle(
    "MA_MISSING",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Maître d'apprentissage 1 absent ou sans nom, prénom ou date de naissance.",
    base="C. trav. L6223-8-1, D6224-2 3° ; rules.md 1.4, 5.5",
    message="{champ} : le maître d'apprentissage 1 doit être renseigné (nom, prénom, date de "
    "naissance).",
)
def maitre_absent(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """maitre1 carries nom, prénom and date de naissance (the other fields: REQ_FIELD_MISSING)."""
    for cle in IDENTITE:
        lire = cerfa.date if cle == "dateNaissance" else cerfa.texte
        if lire(f"maitre1.{cle}") is None:
            yield Constat(f"cerfa.maitre1.{cle}")


@regle(
    "MA_INCOMPLETE",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Maître d'apprentissage 2 partiellement renseigné.",
    base="rules.md 1.4 (maitre2.control.ts), 5.5",
    message="{champ} : le maître d'apprentissage 2 est vide ou complet (nom, prénom, date de "
    "naissance).",
)
def maitre2_incomplet(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """maitre2 is either empty or has nom, prénom and date de naissance."""
    manquants = [c for c in IDENTITE if cerfa.texte(f"maitre2.{c}") is None]
    maitre2 = cerfa.valeur("maitre2")
    rempli = isinstance(maitre2, dict) and any(texte(maitre2, k) for k in maitre2)
    if rempli and manquants:
        yield from (Constat(f"cerfa.maitre2.{c}") for c in manquants)


@regle(
    "MA_UNDER_18",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Maître d'apprentissage mineur au début du contrat.",
    base="C. trav. L6223-8-1 ; rules.md 1.4 (maitres.control.ts), 5.5",
    message="{champ} : le maître d'apprentissage a {age} ans au début du contrat (18 ans au moins).",
)
def maitre_mineur(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Each maître is at least 18 at dateDebutContrat (L6223-8-1)."""
    debut = cerfa.date("contrat.dateDebutContrat")
    for cle, maitre in maitres_renseignes(cerfa):
        naissance = date_(maitre, "dateNaissance")
        if debut and naissance and age_au(naissance, debut) < 18:
            yield Constat(f"cerfa.{cle}.dateNaissance", {"age": age_au(naissance, debut)})


@regle(
    "MA_ATTESTATION_MISSING",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Attestation de l'employeur sur l'éligibilité du maître d'apprentissage non cochée.",
    base="rules.md 1.4, 4.2, 5.5",
    message="{champ} : l'employeur doit attester que le maître d'apprentissage remplit les "
    "conditions requises.",
)
def attestation_absente(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The employer ticked the maître eligibility statement (wire: employeur.attestationEligibilite)."""
    if not cerfa.booleen("employeur.attestationEligibilite"):
        yield Constat("cerfa.employeur.attestationEligibilite")


@regle(
    "MA_LEVEL_BELOW_TARGET",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Diplôme du maître inférieur au niveau visé : 2 ans d'expérience requis.",
    base="C. trav. R6223-22 ; rules.md 1.4, 4.3, 5.5",
    message="{champ} : niveau {niveau} du maître inférieur au niveau {cible} du diplôme visé ; "
    "2 ans d'expérience professionnelle en rapport sont requis.",
)
def niveau_insuffisant(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A maître below the target level needs 2 years of related experience (R6223-22 2°).

    The target level is the first digit of formation.typeDiplome (rules.md 4.3).
    """
    cible = niveau_diplome(cerfa.entier("formation.typeDiplome"))
    for cle, maitre in maitres_renseignes(cerfa):
        niveau = entier(maitre, "niveauDiplomeObtenu")
        if cible is not None and niveau is not None and niveau < cible:
            yield Constat(f"cerfa.{cle}.niveauDiplomeObtenu", {"niveau": niveau, "cible": cible})


@regle(
    "MA_CAPACITY_EXCEEDED",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="Maître d'apprentissage suivant plus de 2 apprentis (3 avec une prolongation 33).",
    base="C. trav. R6223-6 ; rules.md 1.4, 5.5",
    message="{champ} : ce maître suivrait {nombre} apprentis en même temps ({plafond} au plus).",
)
def capacite_depassee(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """At most 2 simultaneous apprentices per maître, +1 if one is a type-33 prolongation.

    FIDELITY: `ctx.dossiers_actifs` must not contain the dossier under instruction; when the
    current Cerfa is itself an avenant 33 of one of them the same apprentice is counted twice.
    """
    periode = (cerfa.date("contrat.dateDebutContrat"), cerfa.date("contrat.dateFinContrat"))
    for cle, m in maitres_renseignes(cerfa):
        cle_m = identite(m.get("nom"), m.get("prenom"), date_(m, "dateNaissance"))
        autres = [
            d for d in ctx.dossiers_actifs
            if d.etat in ACTIFS
            and chevauchent(periode, (d.date_debut_contrat, d.date_fin_contrat))
            and any(identite(*x) == cle_m for x in d.maitres)
        ]  # fmt: skip
        types = [cerfa.entier("contrat.typeContratApp"), *(d.type_contrat_app for d in autres)]
        plafond = 3 if 33 in types else 2
        if len(autres) + 1 > plafond:
            yield Constat(f"cerfa.{cle}.nom", {"nombre": len(autres) + 1, "plafond": plafond})


@regle(
    "MA_IS_APPRENTICE",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Le maître d'apprentissage est l'apprenti lui-même.",
    base="rules.md 5.5 (cohérence)",
    message="{champ} : le maître d'apprentissage a la même identité que l'apprenti.",
)
def maitre_apprenti(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The maître's identity (nom, prénom, date de naissance) differs from the apprentice's."""
    apprenti = cerfa.valeur("apprenti") or {}
    cle_a = identite(apprenti.get("nom"), apprenti.get("prenom"), date_(apprenti, "dateNaissance"))
    for cle, m in maitres_renseignes(cerfa):
        if identite(m.get("nom"), m.get("prenom"), date_(m, "dateNaissance")) == cle_a:
            yield Constat(f"cerfa.{cle}.nom")
