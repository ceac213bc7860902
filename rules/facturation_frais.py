"""Invoice rules on frais annexes and the RQTH majoration (rules.md 2.3, 2.4, 5.7): within
what was engaged, priced as engaged, under the regulatory ceilings."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rules.echeancier import ZERO, centimes
from rules.facturation import FAQ, avoir, cumuls, echeance_de, facturation
from rules.facturation_vues import DossierVue, FactureVue, FraisEngage, LigneVue
from rules.financement import PLAFOND_RQTH_ANNUEL, plafond_frais
from rules.registry import Constat, Contexte

FRAIS = ("HEBERGEMENT", "RESTAURATION", "PREMIEREQUIPEMENT", "MOBILITE")
UNITAIRES = ("HEBERGEMENT", "RESTAURATION")  # priced per night / per meal


@facturation(
    "INV_FRAIS_ANNEXES_EXCEEDED",
    resume="Le montant des frais annexes excède le plafond ou le montant engagé.",
    base=f"{FAQ} ; rules.md 2.4",
    message="{champ} : {nature} {montant} € pour {reste} € restant engagé.",
)
def frais_au_dela_engagement(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Frais lines (running total per dossier and nature) stay within what remains engaged."""
    if avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature in FRAIS and li.dossier]
    for ligne, cumul in cumuls(lignes, lambda li: (li.dossier.numero_interne, li.nature)):
        engage = _engage(ligne.dossier, ligne.nature)
        if engage and engage.montant_total is None:  # mobility declared without a flat amount
            continue
        reste = engage.montant_total - engage.deja_facture if engage else ZERO
        if cumul > reste:
            valeurs = {"nature": ligne.nature, "montant": cumul, "reste": reste}
            yield Constat(f"{ligne.champ}.montant", valeurs)


@facturation(
    "INV_AMOUNT_MISMATCH",
    resume="Le montant ne correspond pas au montant attendu.",
    base=f"{FAQ} ; rules.md 2.4",
    message="{champ} : {montant} € facturés, {attendu} € attendus ({quantite} × {prix} €).",
)
def montant_unitaire(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """Hébergement / restauration lines cost quantite × the engaged unit price."""
    if avoir(facture):
        return
    for ligne in facture.lignes:
        engage = _engage(ligne.dossier, ligne.nature) if ligne.nature in UNITAIRES else None
        if engage and ligne.quantite is not None:
            attendu = centimes(ligne.quantite * engage.prix_unitaire)
            if ligne.montant != attendu:
                valeurs = {"montant": ligne.montant, "attendu": attendu, "quantite": ligne.quantite}
                yield Constat(f"{ligne.champ}.montant", {**valeurs, "prix": engage.prix_unitaire})


@facturation(
    "FIN_RQTH_MAJORATION_CAP",
    resume="Majoration RQTH sans RQTH ou au-delà de 4 000 € par année d'exécution.",
    base="C. trav. D6332-82 ; rules.md 2.3, 5.7",
    message="{champ} : majoration RQTH {motif}.",
)
def plafond_rqth(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """MAJORATION_RQTH only for an RQTH apprentice, ≤ 4 000 € per year of execution."""
    if avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature == "MAJORATION_RQTH" and li.dossier]
    for ligne, cumul in cumuls(lignes, lambda li: (li.dossier.numero_interne, _annee(li))):
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
    if avoir(facture):
        return
    lignes = [li for li in facture.lignes if li.nature in FRAIS and li.dossier]
    for ligne, cumul in cumuls(lignes, lambda li: (li.dossier.numero_interne, li.nature)):
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


# --- helpers ---------------------------------------------------------------------------------


def _annee(ligne: LigneVue) -> int | None:
    return ech.annee if (ech := echeance_de(ligne)) else None


def _engage(dossier: DossierVue | None, nature: str) -> FraisEngage | None:
    """The engaged frais of an invoice-line nature (PREMIEREQUIPEMENT ↔ PREMIER_EQUIPEMENT)."""
    if dossier is None:
        return None
    cle = "PREMIER_EQUIPEMENT" if nature == "PREMIEREQUIPEMENT" else nature
    return dossier.frais.get(cle) or dossier.frais.get(nature)


def _depasse(montant: Decimal, plafond: Decimal) -> str | None:
    return (
        f"de {montant} € au-delà du plafond de {centimes(plafond)} €" if montant > plafond else None
    )
