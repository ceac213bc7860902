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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterator
from decimal import Decimal

from rules.calculs import ajouter_mois
from rules.cycle_de_vie import FACTURABLES, Etat
from rules.echeancier import REGIME_2025, ZERO, centimes
from rules.facturation_vues import DossierVue, EcheanceVue, FactureVue, FraisEngage, LigneVue
from rules.financement import NIVEAU_PARTICIPATION, PLAFOND_RQTH_ANNUEL, plafond_frais
from rules.identifiants import iban_masque, iban_valide
from rules.registry import Constat, Contexte, Fonction, Moment, Severite, regle

FAQ = "FAQ API CFA OPCO, rejets ; norm.md §5.2"
PEDAGOGIE = "PEDAGOGIE"
FRAIS = ("HEBERGEMENT", "RESTAURATION", "PREMIEREQUIPEMENT", "MOBILITE")
UNITAIRES = ("HEBERGEMENT", "RESTAURATION")  # priced per night / per meal
MOIS_SOLDE_TARDIF = 4  # final balance not due 4 months after the contract end (R6332-25)


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
    if _avoir(facture):
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
        ech = _echeance(ligne)
        if ech and ech.iban and _iban(ech.iban) != _iban(facture.iban_emetteur):
            cle = (ligne.dossier.numero_externe, ech.numero)
            if cle not in vues:
                vues.add(cle)
                iban = iban_masque(facture.iban_emetteur)
                valeurs = {"iban": iban, "echeance": cle[1], "dossier": cle[0]}
                yield Constat("facture.ibanEmetteur", valeurs)


@facturation(
    "INV_FRAIS_ANNEXES_EXCEEDED",
    resume="Le montant des frais annexes excède le plafond ou le montant engagé.",
    base=f"{FAQ} ; rules.md 2.4",
    message="{champ} : {nature} {montant} € pour {reste} € restant engagé.",
)
def frais_au_dela_engagement(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Frais lines (running total per dossier and nature) stay within what remains engaged."""
    if _avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature in FRAIS and li.dossier]
    for ligne, cumul in _cumule(lignes, lambda li: (li.dossier.numero_interne, li.nature)):
        engage = _engage(ligne.dossier, ligne.nature)
        if engage and engage.montant_total is None:  # mobility declared without a flat amount
            continue
        reste = engage.montant_total - engage.deja_facture if engage else ZERO
        if cumul > reste:
            valeurs = {"nature": ligne.nature, "montant": cumul, "reste": reste}
            yield Constat(f"{ligne.champ}.montant", valeurs)


@facturation(
    "INV_IBAN_MISSING",
    resume="L'IBAN de l'émetteur (CFA) n'est pas renseigné.",
    base=f"{FAQ} ; rules.md 3.4",
    message="{champ} : l'IBAN de l'émetteur (CFA) {motif}.",
)
def iban_absent(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """An invoice (not a credit note) carries a valid CFA IBAN (ISO 13616)."""
    if _avoir(facture):
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
    if _avoir(facture):
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
    if _avoir(facture):
        return
    for ligne in facture.lignes:
        if (ech := _echeance(ligne)) and ech.date_ouverture > ctx.aujourdhui:
            valeurs = {"echeance": ech.numero, "ouverture": ech.date_ouverture}
            yield Constat(f"{ligne.champ}.numeroEcheance", valeurs)


@facturation(
    "INV_AMOUNT_MISMATCH",
    resume="Le montant ne correspond pas au montant attendu.",
    base=f"{FAQ} ; rules.md 2.4",
    message="{champ} : {montant} € facturés, {attendu} € attendus ({quantite} × {prix} €).",
)
def montant_unitaire(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Hébergement / restauration lines cost quantite × the engaged unit price."""
    if _avoir(facture):
        return
    for ligne in facture.lignes:
        engage = _engage(ligne.dossier, ligne.nature) if ligne.nature in UNITAIRES else None
        if engage and ligne.quantite is not None:
            attendu = centimes(ligne.quantite * engage.prix_unitaire)
            if ligne.montant != attendu:
                valeurs = {"montant": ligne.montant, "attendu": attendu, "quantite": ligne.quantite}
                yield Constat(f"{ligne.champ}.montant", {**valeurs, "prix": engage.prix_unitaire})


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
        requis = ligne.nature == PEDAGOGIE and not _avoir(facture)
        donne = ligne.numero_echeance is not None
        if ligne.dossier and (donne or requis) and _echeance(ligne) is None:
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
    admis = FACTURABLES | ({Etat.SOLDE} if _avoir(facture) else set())
    for ligne in facture.lignes:
        if ligne.dossier and ligne.dossier.etat not in admis:
            valeurs = {"dossier": ligne.dossier.numero_externe, "etat": ligne.dossier.etat}
            yield Constat(f"{ligne.champ}.numeroDossier", valeurs)


@facturation(
    "INV_AFTER_RUPTURE",
    resume="Période facturée commençant après la rupture du contrat.",
    base="rules.md 2.6, 5.7",
    message="{champ} : la période facturée commence le {debut}, après la rupture du {rupture}.",
)
def apres_rupture(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """No line invoices a period (échéance or dateDebutPeriode) starting after the rupture."""
    if _avoir(facture):
        return
    for ligne in facture.lignes:
        rupture, ech = ligne.dossier.date_rupture if ligne.dossier else None, _echeance(ligne)
        valeurs = {"rupture": rupture}
        if rupture and ech and ech.date_debut > rupture:
            yield Constat(f"{ligne.champ}.numeroEcheance", {**valeurs, "debut": ech.date_debut})
        elif rupture and ligne.date_debut_periode and ligne.date_debut_periode > rupture:
            yield Constat(
                f"{ligne.champ}.dateDebutPeriode", {**valeurs, "debut": ligne.date_debut_periode}
            )


@facturation(
    "INV_BALANCE_NO_ATTESTATION",
    resume="Solde final sans certificat de réalisation final.",
    base="C. trav. R6332-25 (décret n° 2025-585) ; rules.md 2.2, 5.7",
    message="{champ} : le solde final du dossier {dossier} exige le certificat de réalisation.",
)
def solde_sans_attestation(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Regime 2025: the final balance needs the final certificat de réalisation."""
    for ligne, dossier in _soldes_finaux(facture):
        if dossier.regime == REGIME_2025 and not dossier.certificat_final:
            yield Constat(f"{ligne.champ}.numeroEcheance", {"dossier": dossier.numero_externe})


@facturation(
    "INV_BALANCE_LATE",
    resume="Solde final facturé plus de 4 mois après la fin du contrat : il n'est plus dû.",
    base="C. trav. R6332-25 (décret n° 2025-585) ; rules.md 2.2, 5.7",
    message="{champ} : solde final facturé le {jour}, après la limite du {limite}.",
)
def solde_tardif(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Regime 2025: the final balance is invoiced within 4 months after the contract's end."""
    for ligne, dossier in _soldes_finaux(facture):
        fin = dossier.date_rupture or dossier.date_fin_contrat
        if dossier.regime == REGIME_2025 and fin:
            limite = ajouter_mois(fin, MOIS_SOLDE_TARDIF)
            if ctx.aujourdhui > limite:
                valeurs = {"jour": ctx.aujourdhui, "limite": limite}
                yield Constat(f"{ligne.champ}.numeroEcheance", valeurs)


@facturation(
    "INV_PARTICIPATION_COPY_MISSING",
    resume="Solde final sans copie de la facture de participation employeur (750 €).",
    base="C. trav. L6332-14, R6332-25-1 ; rules.md 2.5, 5.7",
    message="{champ} : le solde final du dossier {dossier} exige la copie de la facture de "
    "participation de l'employeur.",
)
def copie_participation(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Regime 2025, level ≥ 6: the final balance needs the copy of the employer's invoice."""
    for ligne, d in _soldes_finaux(facture):
        niveau_6 = d.niveau is not None and d.niveau >= NIVEAU_PARTICIPATION
        if d.regime == REGIME_2025 and niveau_6 and not d.copie_participation:
            yield Constat(f"{ligne.champ}.numeroEcheance", {"dossier": d.numero_externe})


@facturation(
    "FIN_RQTH_MAJORATION_CAP",
    resume="Majoration RQTH sans RQTH ou au-delà de 4 000 € par année d'exécution.",
    base="C. trav. D6332-82 ; rules.md 2.3, 5.7",
    message="{champ} : majoration RQTH {motif}.",
)
def plafond_rqth(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """MAJORATION_RQTH only for an RQTH apprentice, ≤ 4 000 € per year of execution."""
    if _avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature == "MAJORATION_RQTH" and li.dossier]
    for ligne, cumul in _cumule(lignes, lambda li: (li.dossier.numero_interne, _annee(li))):
        annee, d = _annee(ligne), ligne.dossier
        total = cumul + d.majoration_rqth_facturee.get(annee, ZERO)  # year unknown: this invoice
        if not d.rqth or total > PLAFOND_RQTH_ANNUEL:
            motif = f"de {total} € pour l'année {annee}" if d.rqth else "sans RQTH"
            yield Constat(f"{ligne.champ}.montant", {"motif": motif})


@facturation(
    "FIN_FRAIS_ANNEXES_CAP",
    resume="Frais annexes au-delà des plafonds réglementaires.",
    base="C. trav. D6332-83 ; rules.md 2.4, 5.7",
    message="{champ} : {nature} {motif}.",
)
def plafond_frais_annexes(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Nights ≤ 6 €, meals ≤ 3 € each, first equipment ≤ 500 € per contract, mobility declared."""
    if _avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature in FRAIS and li.dossier]
    for ligne, cumul in _cumule(lignes, lambda li: (li.dossier.numero_interne, li.nature)):
        engage, plafond = _engage(ligne.dossier, ligne.nature), plafond_frais(ligne.nature)
        if ligne.nature in UNITAIRES and ligne.quantite is not None:
            motif = _depasse(ligne.montant, plafond * ligne.quantite)
        elif ligne.nature == "PREMIEREQUIPEMENT":
            motif = _depasse(cumul + (engage.deja_facture if engage else ZERO), plafond)
        else:
            motif = (
                "non déclarée à l'engagement" if ligne.nature == "MOBILITE" and not engage else None
            )
        if motif:
            yield Constat(f"{ligne.champ}.montant", {"nature": ligne.nature, "motif": motif})


@facturation(
    "INV_CREDIT_NOTE_EXCEEDS",
    resume="L'avoir dépasse le trop-perçu du dossier.",
    base="rules.md 2.6, 5.7",
    message="{champ} : avoir de {montant} € pour un trop-perçu de {trop_percu} € sur le dossier "
    "{dossier}.",
)
def avoir_excessif(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """A credit note gives back, per dossier, no more than what was overpaid."""
    if not _avoir(facture):
        return
    signales = set()
    lignes = [li for li in facture.lignes if li.dossier]
    for ligne, cumul in _cumule(lignes, lambda li: li.dossier.numero_interne):
        d = ligne.dossier
        if abs(cumul) > d.trop_percu and d.numero_interne not in signales:
            signales.add(d.numero_interne)
            valeurs = {"montant": abs(cumul), "trop_percu": d.trop_percu}
            yield Constat(f"{ligne.champ}.montant", {**valeurs, "dossier": d.numero_externe})


# --- helpers ---------------------------------------------------------------------------------


def _avoir(facture: FactureVue) -> bool:
    return facture.type_facture == "AVOIR"


def _iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def _echeance(ligne: LigneVue) -> EcheanceVue | None:
    """The line's échéance in its resolved dossier, or None."""
    return ligne.dossier.echeance(ligne.numero_echeance) if ligne.dossier else None


def _annee(ligne: LigneVue) -> int | None:
    return ech.annee if (ech := _echeance(ligne)) else None


def _pedagogie(facture: FactureVue) -> Iterator[tuple[LigneVue, EcheanceVue]]:
    """PEDAGOGIE lines whose échéance is resolved, with it."""
    for ligne in facture.lignes:
        if ligne.nature == PEDAGOGIE and (ech := _echeance(ligne)):
            yield ligne, ech


def _engage(dossier: DossierVue | None, nature: str) -> FraisEngage | None:
    """The engaged frais of an invoice-line nature (PREMIEREQUIPEMENT ↔ PREMIER_EQUIPEMENT)."""
    if dossier is None:
        return None
    cle = "PREMIER_EQUIPEMENT" if nature == "PREMIEREQUIPEMENT" else nature
    return dossier.frais.get(cle) or dossier.frais.get(nature)


def _cumule(
    lignes: list[LigneVue], cle: Callable[[LigneVue], Hashable]
) -> Iterator[tuple[LigneVue, Decimal]]:
    """Each line with the running total of the invoice's lines sharing its key."""
    totaux: dict[Hashable, Decimal] = {}
    for ligne in lignes:
        totaux[cle(ligne)] = totaux.get(cle(ligne), ZERO) + ligne.montant
        yield ligne, totaux[cle(ligne)]


def _depasse(montant: Decimal, plafond: Decimal) -> str | None:
    return (
        f"de {montant} € au-delà du plafond de {centimes(plafond)} €" if montant > plafond else None
    )


def _soldes_finaux(facture: FactureVue) -> Iterator[tuple[LigneVue, DossierVue]]:
    """Lines (of an invoice, not a credit note) on the contract's final balance.

    The final balance is a SOLDE échéance that is the highest-numbered one with an amount.
    """
    if _avoir(facture):
        return
    for ligne in facture.lignes:
        ech, d = _echeance(ligne), ligne.dossier
        if ech and d and ech.nature == "SOLDE":
            dernier = max((e.numero for e in d.echeances if e.montant_total > 0), default=None)
            if ech.numero == dernier:
                yield ligne, d
