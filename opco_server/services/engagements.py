"""Engagement of a dossier: DECA deposit number, NPEC-based amount, échéancier, frais annexes.

The arithmetic lives in rules.financement (pure); this module gathers its inputs from the
Cerfa, the convention and the referential, and stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.models import CfaEnregistre, Dossier, Echeance, EvenementDossier, FraisAnnexeEngage
from opco_server.services import compteurs
from rules import financement
from rules.calculs import euros, niveau_diplome
from rules.champs import date_, entier, texte, valeur
from rules.cycle_de_vie import Etat
from rules.echeancier import StatutEcheance, statut_echeance

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


def departement(code_postal: str | None) -> str:
    """DECA's 3-character département of the place of execution (norm.md 3.1)."""
    cp = (code_postal or "").strip()
    if len(cp) != 5 or not cp.isdigit():
        return "075"
    if cp.startswith("97"):
        return cp[:3]
    if cp.startswith("20"):
        return "02A" if cp < "20200" else "02B"
    return "0" + cp[:2]


def numero_deca(session: Session, dossier: Dossier, at: datetime) -> str:
    return deca(dossier.cerfa, at, compteurs.prochaine_sequence(session, dossier.opco_id, "deca"))


def deca(cerfa: dict, at: datetime, seq: int) -> str:
    """15 characters: département, year and month of deposit, "00", 4-digit sequence."""
    dept = departement(texte(cerfa, "employeur.adresse.codePostal"))
    return f"{dept}{at:%Y%m}00{seq % 10_000:04d}"


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def niveau(sandbox: Sandbox, cerfa: dict) -> int | None:
    rncp = texte(cerfa, "formation.rncp")
    certification = sandbox.referentiel.certification(_rncp(rncp)) if rncp else None
    if certification is not None and certification.niveau:
        return certification.niveau
    return niveau_diplome(entier(cerfa, "formation.typeDiplome"))


def _rncp(code: str) -> str:
    code = code.strip().upper()
    return code if code.startswith("RNCP") else f"RNCP{code}"


def npec(sandbox: Sandbox, cerfa: dict) -> tuple[Decimal, str | None]:
    """Annual NPEC of (certification, branch) at the conclusion date, or the fallback value."""
    rncp, idcc = texte(cerfa, "formation.rncp"), texte(cerfa, "employeur.codeIdcc")
    conclusion = date_(cerfa, "contrat.dateConclusion") or date_(cerfa, "contrat.dateDebutContrat")
    trouve = None
    if rncp and idcc and conclusion:
        trouve = sandbox.referentiel.npec_au(_rncp(rncp), idcc.zfill(4), conclusion)
    if trouve is not None:
        return trouve.montant, None
    return sandbox.referentiel.valeur_amorcage, (
        "[FIN_NPEC_NOT_FOUND] Pas de NPEC publié pour cette certification dans cette branche : "
        f"financement sur la valeur d'amorçage ({euros(sandbox.referentiel.valeur_amorcage)})."
    )


def parametres(session: Session, sandbox: Sandbox, dossier: Dossier) -> financement.Parametres:
    cerfa = dossier.cerfa
    couts = (dossier.conventions[-1].contenu.get("couts") or {}) if dossier.conventions else {}
    cfa = session.scalar(select(CfaEnregistre).where(CfaEnregistre.siren == dossier.cfa_siren))
    montant, _ = npec(sandbox, cerfa)
    return financement.Parametres(
        npec_annuel=montant,
        date_conclusion=date_(cerfa, "contrat.dateConclusion") or dossier.date_debut_contrat,
        date_debut=dossier.date_debut_contrat,
        date_fin=date_(cerfa, "contrat.dateFinContrat") or dossier.date_debut_contrat,
        niveau=niveau(sandbox, cerfa),
        rqth=valeur(cerfa, "apprenti.handicap") is True,
        majorations_rqth=tuple(
            _decimal(couts.get(f"montantRQTHAnnee{i}")) or Decimal("0") for i in range(1, 5)
        ),
        heures_formation=_decimal(valeur(cerfa, "formation.dureeFormation")),
        heures_distanciel=_decimal(valeur(cerfa, "formation.nombreHeuresEnDistanciel")),
        iban=cfa.iban if cfa else None,
        reprise_apres_rupture=entier(cerfa, "contrat.typeContratApp") == 23,
    )


def _enregistrer(dossier: Dossier, engagement: financement.Engagement, iban: str | None) -> None:
    dossier.engagement = engagement.montant_total
    dossier.regime_financement = engagement.regime
    dossier.participation_employeur = engagement.participation_employeur
    existantes = {e.numero: e for e in dossier.echeances}
    for e in engagement.echeances:
        row = existantes.pop(e.numero, None) or Echeance(numero=e.numero)
        row.codification, row.nature, row.annee = e.codification, e.nature, e.annee
        row.montant_total = e.montant
        row.majoration_rqth = e.majoration_rqth
        row.date_ouverture, row.date_debut, row.date_fin = (
            e.date_ouverture,
            e.date_debut,
            e.date_fin,
        )
        row.iban = iban
        row.montant_regle = row.montant_regle or Decimal("0")
        row.montant_en_cours = row.montant_en_cours or Decimal("0")
        if row not in dossier.echeances:
            dossier.echeances.append(row)
    for row in existantes.values():
        if not row.montant_regle and not row.montant_en_cours:
            dossier.echeances.remove(row)
        else:
            row.montant_total = Decimal("0.00")
            row.majoration_rqth = Decimal("0.00")


def engager(session: Session, sandbox: Sandbox, dossier: Dossier, at: datetime) -> list[str]:
    """Deposit number, engaged amount, échéancier and frais annexes of an accepted dossier.

    Returns the French remarks of the computation (fallback NPEC, minoration, participation).
    """
    dossier.numero_deca = numero_deca(session, dossier, at)
    p = parametres(session, sandbox, dossier)
    engagement = financement.calculer_engagement(p)
    _, note_npec = npec(sandbox, dossier.cerfa)
    _enregistrer(dossier, engagement, p.iban)
    couts = (dossier.conventions[-1].contenu.get("couts") or {}) if dossier.conventions else {}
    dossier.frais_annexes = [
        FraisAnnexeEngage(
            nature=f.nature,
            quantite=f.quantite,
            prix_unitaire=f.prix_unitaire,
            montant_total=f.montant_total,
        )
        for f in financement.frais_annexes(
            int(couts.get("nombreHebergementTotaux") or 0),
            int(couts.get("nombreRepasTotaux") or 0),
            _decimal(couts.get("montantPremierEquipement")),
            bool(
                couts.get("mentionMobiliteInternationale")
                or couts.get("mentionMobilitéInternationale")
            ),
        )
        if f.montant_total is not None and f.prix_unitaire is not None
    ]
    session.flush()
    return [n for n in (note_npec, *engagement.remarques) if n]


def rompre(
    session: Session,
    sandbox: Sandbox,
    dossier: Dossier,
    date_rupture: date,
    at: datetime,
    acteur: str,
) -> None:
    """Funding follows the actual duration: future échéances cancelled, the current prorated."""
    avant = dossier.engagement
    p = parametres(session, sandbox, dossier)
    engagement = financement.proratiser_rupture(financement.calculer_engagement(p), p, date_rupture)
    _enregistrer(dossier, engagement, p.iban)
    dossier.date_rupture = date_rupture
    dossier.evenements.append(
        EvenementDossier(
            horodatage=at,
            etat_avant=dossier.etat,
            etat_apres=dossier.etat,
            acteur=acteur,
            cause=f"Échéancier recalculé à la rupture du {date_rupture:%d/%m/%Y} : engagement "
            f"{euros(avant)} → {euros(dossier.engagement)}.",
        )
    )
    session.flush()


@dataclass(frozen=True)
class LigneEcheance:
    """One instalment as the OPCO's portal shows it: amounts, dates, status on a day."""

    numero: int
    codification: str
    nature: str
    montant_total: Decimal
    montant_regle: Decimal
    montant_en_cours: Decimal
    date_ouverture: date
    date_debut: date
    date_fin: date
    statut: StatutEcheance

    @property
    def trop_percu(self) -> Decimal:
        return max(Decimal("0"), self.montant_regle - self.montant_total)


@dataclass(frozen=True)
class Echeancier:
    """A dossier's schedule on a day: its instalments, the contract's span, the rupture."""

    lignes: list[LigneEcheance]
    debut: date
    fin: date
    aujourdhui: date
    rupture: date | None

    @property
    def trop_percu(self) -> Decimal:
        return sum((e.trop_percu for e in self.lignes), Decimal("0"))


def echeancier(dossier: Dossier, aujourdhui: date) -> Echeancier:
    """The dossier's échéancier with each instalment's status on `aujourdhui` (sandbox day)."""
    annule = dossier.etat == Etat.ANNULE
    lignes = [
        LigneEcheance(
            e.numero,
            e.codification,
            e.nature,
            e.montant_total,
            e.montant_regle or Decimal("0"),
            e.montant_en_cours or Decimal("0"),
            e.date_ouverture,
            e.date_debut,
            e.date_fin,
            statut_echeance(
                e.montant_total,
                e.montant_regle or Decimal("0"),
                e.date_ouverture,
                aujourdhui,
                rompu=dossier.date_rupture is not None,
                annule=annule,
            ),
        )
        for e in sorted(dossier.echeances, key=lambda e: e.numero)
    ]
    fin = date_(dossier.cerfa, "contrat.dateFinContrat") or dossier.date_debut_contrat
    return Echeancier(lignes, dossier.date_debut_contrat, fin, aujourdhui, dossier.date_rupture)
