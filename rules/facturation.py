"""Controls of an invoice received on POST /v1/factures (norm.md E8, §5.2; rules.md 2.2-2.6, 5.7).

One code per rejection reason of the FAQ ("Quels sont les rejets possibles ?"), then the
invoice rules of rules.md 5.7. Rules read a `FactureVue` (lines resolved to the CFA's dossiers)
and never the database; a line whose dossier is unknown is reported once (INV_DOSSIER_UNKNOWN)
and skipped by the checks that need it.

A credit note (type AVOIR) gives money back: the checks of a charge make no sense for it
(échéance open, amount = restant, échéance already invoiced, IBAN missing, balance rules,
rupture period, frais annexes and RQTH ceilings). What applies to an AVOIR: INV_DUPLICATE
(invoice number only), INV_IBAN_MISMATCH (when an IBAN is given), INV_SIRET_UNKNOWN,
INV_SIRET_MISMATCH, INV_DOSSIER_NUMBER_MISSING, INV_DOSSIER_UNKNOWN, INV_DOSSIER_NOT_ENGAGED
(SOLDE also accepted), INV_ECHEANCE_UNKNOWN (numbers given must exist), INV_TOTAL_MISMATCH and
INV_CREDIT_NOTE_EXCEEDS (AVOIR only).

The frais annexes and RQTH ceilings are in rules/facturation_frais.py, what the end of the
contract (rupture, final balance, credit note) asks for in rules/facturation_solde.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from decimal import Decimal

from rules.cycle_de_vie import FACTURABLES, Etat
from rules.echeancier import ZERO
from rules.facturation_vues import EcheanceVue, FactureVue, LigneVue
from rules.identifiants import iban_masque, iban_valide
from rules.registry import Constat, Contexte, Fonction, Moment, Severite, regle

FAQ = "FAQ API CFA OPCO, rejets ; norm.md §5.2"
PEDAGOGIE = "PEDAGOGIE"


def facturation(code: str, **textes: str) -> Callable[[Fonction], Fonction]:
    """`regle` for a blocking check of POST /factures (textes: resume, base, message).

    The rule sees nothing but a FactureVue: `evaluer(cerfa, ctx)` without a moment (the offline
    checker) runs every rule, and a Cerfa has no invoice to check.
    """

    def decorator(fonction: Fonction) -> Fonction:
        @functools.wraps(fonction)
        def sur_facture(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
            return fonction(facture, ctx) if isinstance(facture, FactureVue) else iter(())

        regle(code, severite=Severite.BLOQUANT, moment=Moment.FACTURATION, **textes)(sur_facture)
        return fonction

    return decorator


@facturation(
    "INV_DUPLICATE",
    resume="La facture est déjà connue de notre système.",
    base=f"{FAQ} ; rules.md 5.7",
    message="{champ} : {motif}.",
)
def doublon(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Same CFA invoice number already accepted, or an échéance already invoiced or paid."""
    if facture.deja_connue:
        yield Constat("facture.numero", {"motif": f"la facture {facture.numero} est déjà connue"})
    if avoir(facture):
        return
    vues: set[tuple[str, int]] = set()
    for ligne, ech in _pedagogie(facture):
        cle, deja = (ligne.dossier.numero_interne, ech.numero), ech.montant_en_cours > 0
        solde = ech.montant_total > 0 and ech.montant_regle >= ech.montant_total
        if deja or solde or cle in vues:
            etat = "en cours" if deja else "réglée" if solde else "facturée deux fois ici"
            yield Constat(f"{ligne.champ}.numeroEcheance", {"motif": f"échéance {etat}"})
        vues.add(cle)


@facturation(
    "INV_IBAN_MISMATCH",
    resume="L'IBAN de l'émetteur est différent de celui connu dans l'échéance.",
    base=FAQ,
    message="{champ} : l'IBAN {iban} diffère de celui de l'échéance {echeance} du dossier "
    "{dossier}.",
)
def iban_different(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """The emitter IBAN equals the IBAN of every échéance invoiced (once per échéance)."""
    if not facture.iban_emetteur:
        return
    vues = set()
    for ligne in facture.lignes:
        ech = echeance_de(ligne)
        if ech and ech.iban and _iban(ech.iban) != _iban(facture.iban_emetteur):
            cle = (ligne.dossier.numero_externe, ech.numero)
            if cle not in vues:
                vues.add(cle)
                iban = iban_masque(facture.iban_emetteur)
                valeurs = {"iban": iban, "echeance": cle[1], "dossier": cle[0]}
                yield Constat("facture.ibanEmetteur", valeurs)


@facturation(
    "INV_IBAN_MISSING",
    resume="L'IBAN de l'émetteur (CFA) n'est pas renseigné.",
    base=f"{FAQ} ; rules.md 3.4",
    message="{champ} : l'IBAN de l'émetteur (CFA) {motif}.",
)
def iban_absent(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """An invoice (not a credit note) carries a valid CFA IBAN (ISO 13616)."""
    if avoir(facture):
        return
    if not facture.iban_emetteur:
        yield Constat("facture.ibanEmetteur", {"motif": "n'est pas renseigné"})
    elif not iban_valide(_iban(facture.iban_emetteur)):
        yield Constat("facture.ibanEmetteur", {"motif": "n'est pas un IBAN valide"})


@facturation(
    "INV_ECHEANCE_AMOUNT_MISMATCH",
    resume="Le montant de l'échéance ne correspond pas au montant attendu.",
    base="FAQ API CFA OPCO, rejets ; norm.md §5.2 (montantTotal − montantRegle − montantEnCoursInstruction)",
    message="{champ} : {montant} € facturés, {attendu} € attendus pour l'échéance {echeance}.",
)
def montant_echeance(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """A PEDAGOGIE line invoices exactly what remains of its échéance (when something does)."""
    if avoir(facture):
        return
    for ligne, ech in _pedagogie(facture):
        if ech.restant > 0 and ligne.montant != ech.restant:
            valeurs = {"montant": ligne.montant, "attendu": ech.restant, "echeance": ech.numero}
            yield Constat(f"{ligne.champ}.montant", valeurs)


@facturation(
    "INV_SIRET_UNKNOWN",
    resume="Le SIRET de l'émetteur est inconnu de l'OPCO.",
    base=FAQ,
    message="{champ} : le SIRET {siret} n'est pas celui d'un de vos établissements connus de l'OPCO.",
)
def siret_inconnu(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """The emitter SIRET is an establishment of the sending CFA, registered with the OPCO
    (another CFA's SIRET gets the same answer as a SIRET nobody has: no oracle)."""
    if not facture.siret_connu:
        yield Constat("facture.siretEmetteur", {"siret": facture.siret_emetteur})


@facturation(
    "INV_SIRET_MISMATCH",
    resume="Le SIRET associé à la facture est différent du SIRET de l'échéance.",
    base=f"{FAQ} ; rules.md 5.7",
    message="{champ} : le SIRET {siret} diffère de celui du dossier {dossier} ({attendu}).",
)
def siret_different(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """The emitter SIRET is the organismeFormation SIRET of every dossier invoiced."""
    dossiers = {li.dossier.numero_interne: li.dossier for li in facture.lignes if li.dossier}
    for d in dossiers.values():
        if d.siret_cfa != facture.siret_emetteur:
            valeurs = {"siret": facture.siret_emetteur, "dossier": d.numero_externe}
            yield Constat("facture.siretEmetteur", {**valeurs, "attendu": d.siret_cfa})


@facturation(
    "INV_DOSSIER_NUMBER_MISSING",
    resume="Le numéro externe du dossier doit être renseigné.",
    base=FAQ,
    message="{champ} : le numéro externe du dossier doit être renseigné.",
)
def numero_dossier_absent(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Every line names its dossier by numeroExterne."""
    for ligne in facture.lignes:
        if not (ligne.numero_dossier or "").strip():
            yield Constat(f"{ligne.champ}.numeroDossier")


@facturation(
    "INV_ECHEANCE_NOT_OPEN",
    resume="L'échéance n'est pas ouverte à la facturation.",
    base=f"{FAQ} ; rules.md 2.2",
    message="{champ} : l'échéance {echeance} n'ouvre à la facturation que le {ouverture}.",
)
def echeance_fermee(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """The échéance invoiced is open (dateOuverture ≤ the sandbox date)."""
    if avoir(facture):
        return
    for ligne in facture.lignes:
        if (ech := echeance_de(ligne)) and ech.date_ouverture > ctx.aujourdhui:
            valeurs = {"echeance": ech.numero, "ouverture": ech.date_ouverture}
            yield Constat(f"{ligne.champ}.numeroEcheance", valeurs)


@facturation(
    "INV_TOTAL_MISMATCH",
    resume="Le montant total de la facture doit correspondre à la somme des montants des lignes.",
    base=f"{FAQ} ; norm.md E8",
    message="{champ} : {total} € pour une somme des lignes de {somme} €.",
)
def total_different(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """montantTotal equals the sum of lignes[].montant."""
    somme = sum((li.montant for li in facture.lignes), ZERO)
    if facture.montant_total != somme:
        yield Constat("facture.montantTotal", {"total": facture.montant_total, "somme": somme})


@facturation(
    "INV_ECHEANCE_UNKNOWN",
    resume="Le numéro d'échéance est inconnu.",
    base=FAQ,
    message="{champ} : échéance {echeance} inconnue pour le dossier {dossier}.",
)
def echeance_inconnue(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """A line's échéance number exists in its dossier; invoiced PEDAGOGIE lines must carry one."""
    for ligne in facture.lignes:
        requis = ligne.nature == PEDAGOGIE and not avoir(facture)
        donne = ligne.numero_echeance is not None
        if ligne.dossier and (donne or requis) and echeance_de(ligne) is None:
            valeurs = {"echeance": ligne.numero_echeance, "dossier": ligne.dossier.numero_externe}
            yield Constat(f"{ligne.champ}.numeroEcheance", valeurs)


@facturation(
    "INV_DOSSIER_UNKNOWN",
    resume="Dossier inconnu pour ce CFA auprès de l'OPCO.",
    base="rules.md 5.7",
    message="{champ} : dossier {numero} inconnu pour ce CFA.",
)
def dossier_inconnu(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """A numeroDossier given resolves among the CFA's own dossiers (other CFAs never told)."""
    for ligne in facture.lignes:
        if (ligne.numero_dossier or "").strip() and ligne.dossier is None:
            yield Constat(f"{ligne.champ}.numeroDossier", {"numero": ligne.numero_dossier})


@facturation(
    "INV_DOSSIER_NOT_ENGAGED",
    resume="Le dossier facturé n'est pas engagé (ni rompu).",
    base="rules.md 4.5, 5.7",
    message="{champ} : le dossier {dossier} est à l'état {etat}.",
)
def dossier_non_engage(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """The dossier is ENGAGE or RUPTURE (a credit note may also target a SOLDE dossier)."""
    admis = FACTURABLES | ({Etat.SOLDE} if avoir(facture) else set())
    for ligne in facture.lignes:
        if ligne.dossier and ligne.dossier.etat not in admis:
            valeurs = {"dossier": ligne.dossier.numero_externe, "etat": ligne.dossier.etat}
            yield Constat(f"{ligne.champ}.numeroDossier", valeurs)


# --- helpers shared by the invoice rules ----------------------------------------------------


def avoir(facture: FactureVue) -> bool:
    return facture.type_facture == "AVOIR"


def _iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def echeance_de(ligne: LigneVue) -> EcheanceVue | None:
    """The line's échéance in its resolved dossier, or None."""
    return ligne.dossier.echeance(ligne.numero_echeance) if ligne.dossier else None


def _pedagogie(facture: FactureVue) -> Iterator[tuple[LigneVue, EcheanceVue]]:
    """PEDAGOGIE lines whose échéance is resolved, with it."""
    for ligne in facture.lignes:
        if ligne.nature == PEDAGOGIE and (ech := echeance_de(ligne)):
            yield ligne, ech


def cumuls(
    lignes: list[LigneVue], cle: Callable[[LigneVue], Hashable]
) -> Iterator[tuple[LigneVue, Decimal]]:
    """Each line with the running total of the invoice's lines sharing its key."""
    totaux: dict[Hashable, Decimal] = {}
    for ligne in lignes:
        totaux[cle(ligne)] = totaux.get(cle(ligne), ZERO) + ligne.montant
        yield ligne, totaux[cle(ligne)]
