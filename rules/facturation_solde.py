"""Invoice rules at the end of the contract (rules.md 2.2, 2.6, 5.7): nothing after the
rupture, the final balance's certificat, deadline and employer invoice copy (regime 2025), a
credit note within the overpayment."""

from __future__ import annotations

from collections.abc import Iterator

from rules.calculs import ajouter_mois
from rules.echeancier import REGIME_2025
from rules.facturation import avoir, cumuls, echeance_de, facturation
from rules.facturation_vues import DossierVue, FactureVue, LigneVue
from rules.financement import NIVEAU_PARTICIPATION
from rules.registry import Constat, Contexte

MOIS_SOLDE_TARDIF = 4  # final balance not due 4 months after the contract end (R6332-25)


@facturation(
    "INV_AFTER_RUPTURE",
    resume="Période facturée commençant après la rupture du contrat.",
    base="rules.md 2.6, 5.7",
    message="{champ} : la période facturée commence le {debut}, après la rupture du {rupture}.",
)
def apres_rupture(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """No line invoices a period (échéance or dateDebutPeriode) starting after the rupture."""
    if avoir(facture):
        return
    for ligne in facture.lignes:
        rupture, ech = ligne.dossier.date_rupture if ligne.dossier else None, echeance_de(ligne)
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
    "INV_CREDIT_NOTE_EXCEEDS",
    resume="L'avoir dépasse le trop-perçu du dossier.",
    base="rules.md 2.6, 5.7",
    message="{champ} : avoir de {montant} € pour un trop-perçu de {trop_percu} € sur le dossier "
    "{dossier}.",
)
def avoir_excessif(facture: FactureVue, ctx: Contexte) -> Iterator[Constat]:
    """A credit note gives back, per dossier, no more than what was overpaid."""
    if not avoir(facture):
        return
    signales = set()
    lignes = [li for li in facture.lignes if li.dossier]
    for ligne, cumul in cumuls(lignes, lambda li: li.dossier.numero_interne):
        d = ligne.dossier
        if abs(cumul) > d.trop_percu and d.numero_interne not in signales:
            signales.add(d.numero_interne)
            valeurs = {"montant": abs(cumul), "trop_percu": d.trop_percu}
            yield Constat(f"{ligne.champ}.montant", {**valeurs, "dossier": d.numero_externe})


# --- helpers ---------------------------------------------------------------------------------


def _soldes_finaux(facture: FactureVue) -> Iterator[tuple[LigneVue, DossierVue]]:
    """Lines (of an invoice, not a credit note) on the contract's final balance.

    The final balance is a SOLDE échéance that is the highest-numbered one with an amount.
    """
    if avoir(facture):
        return
    for ligne in facture.lignes:
        ech, d = echeance_de(ligne), ligne.dossier
        if ech and d and ech.nature == "SOLDE":
            dernier = max((e.numero for e in d.echeances if e.montant_total > 0), default=None)
            if ech.numero == dernier:
                yield ligne, d
