"""Invoices and credit notes: controls, acceptance, payment or rejection, SOLDE.

POST /v1/factures is checked by the FACTURATION rules (rules/facturation*.py) on a view of
the invoice whose lines are resolved to the CFA's dossiers; accepted invoices put their
amounts "en cours d'instruction" on the échéances, then are paid after the OPCO's delay on
the sandbox clock (or paid / rejected now through the control API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import rules
from opco_server.errors import BadRequest, NotFound
from opco_server.models import (
    Dossier,
    Echeance,
    Facture,
    Fichier,
    LigneFacture,
    SequenceOpco,
)
from opco_server.services import compteurs, controles, cycle_de_vie, fichiers
from opco_server.services.facturation_vues import ZERO, Lecture, lire, numero_pris
from rules.cycle_de_vie import FACTURABLES, Evenement
from rules.facturation_vues import EtatFacture, FactureVue
from rules.registry import Moment

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

# An invoice under instruction (the console compares with it).
EN_COURS = EtatFacture.EN_COURS_INSTRUCTION.value
MAGIE_REJET = "SANDBOX-REJET"  # an invoice number containing it is rejected at payment time


def deposer(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    data: dict[str, Any],
    nom_fichier: str | None,
    contenu: bytes,
    at: datetime | None = None,
) -> Facture:
    """POST /v1/factures: every violation in one 400, or an invoice under instruction.

    Received at `at` and checked on its day (default: the clock's now; the bulk generator
    replays invoices received in the past)."""
    now = at or sandbox.horloge.maintenant()
    lecture = lire(session, sandbox, opco, siren, data)
    ctx = controles.contexte(sandbox.referentiel, opco, now.date())
    bloquants = controles.bloquants(rules.evaluer(lecture.vue, ctx, Moment.FACTURATION))
    if bloquants:
        raise controles.refus(bloquants)
    fichier = fichiers.stocker(session, opco.id, nom_fichier, "application/pdf", contenu, now)
    facture = _nouvelle_facture(session, opco, siren, lecture.vue, data, fichier, now)
    _ajouter_lignes(facture, lecture)
    return _enregistrer(session, opco, siren, facture)


def _nouvelle_facture(
    session: Session,
    opco: Opco,
    siren: str,
    vue: FactureVue,
    data: dict[str, Any],
    fichier: Fichier,
    now: datetime,
) -> Facture:
    """The invoice under instruction, paid after the OPCO's delay: its numbers, what it is."""
    seq = compteurs.prochaine_sequence(session, opco.id, "facture")
    return Facture(
        opco_id=opco.id,
        cfa_siren=siren,
        numero_interne=numero_interne(seq),
        rang=compteurs.prochaine_sequence(session, opco.id, f"factures:{siren}"),
        numero=vue.numero,
        numero_actif=vue.numero,
        type_facture=vue.type_facture,
        date_emission=vue.date_emission,
        montant_total=vue.montant_total,
        iban_emetteur=vue.iban_emetteur,
        siret_emetteur=vue.siret_emetteur,
        est_certificat_realisation=data.get("estCertificatRealisation") is True,
        etat=EN_COURS,
        contenu=data,
        fichier=fichier,
        recue_le=now,
        reglement_prevu_le=now + opco.delai_paiement,
    )


def _ajouter_lignes(facture: Facture, lecture: Lecture) -> None:
    """One line per invoice line, on its dossier and échéance; a PEDAGOGIE charge puts its
    amount "en cours d'instruction" on the échéance."""
    for ligne in lecture.vue.lignes:
        dossier = lecture.dossiers[ligne.index]
        echeance = next((e for e in dossier.echeances if e.numero == ligne.numero_echeance), None)
        if echeance is not None and ligne.nature == "PEDAGOGIE" and facture.type_facture != "AVOIR":
            echeance.montant_en_cours += ligne.montant
        facture.lignes.append(
            LigneFacture(
                index=ligne.index,
                dossier_id=dossier.id,
                echeance_id=echeance.id if echeance else None,
                annee=echeance.annee if echeance else None,
                nature=ligne.nature,
                montant=ligne.montant,
                quantite=ligne.quantite,
            )
        )


def _enregistrer(session: Session, opco: Opco, siren: str, facture: Facture) -> Facture:
    numero = facture.numero
    session.add(facture)
    try:
        session.flush()
    except IntegrityError as exc:
        # Lost a race with a concurrent invoice of the same number on other dossiers (nothing
        # else serializes them): the constraint, not the read in `lire`, guarantees that the
        # CFA's invoice number is never accepted twice.
        session.rollback()
        if not numero_pris(session, opco.id, siren, numero):
            raise
        raise BadRequest.one(
            "INV_DUPLICATE",
            f"facture.numero : la facture {numero} est déjà connue.",
            "facture.numero",
        ) from exc
    return facture


def numero_interne(seq: int) -> str:
    """numeroInterneFacture: the `seq`-th invoice of the OPCO (its "facture" counter)."""
    return f"F{seq:09d}"


def reference_virement(opco_id: str, at: datetime, seq: int) -> str:
    """The bank transfer of a payment on `at`: the `seq`-th of the OPCO ("virement" counter)."""
    return f"VIR-{opco_id.upper()}-{at:%Y%m%d}-{seq:06d}"


def restant(echeance: Echeance) -> Decimal:
    """What the CFA may still invoice on the échéance (norm.md §5.2)."""
    return echeance.montant_total - echeance.montant_regle - echeance.montant_en_cours


def echeances_dues(dossier: Dossier, jour: date) -> list[Echeance]:
    """The dossier's échéances open for invoicing on `jour` with something still owed."""
    return [
        e
        for e in sorted(dossier.echeances, key=lambda e: e.numero)
        if e.date_ouverture <= jour and restant(e) > 0
    ]


def corps_facture(
    dossier: Dossier, echeances: list[Echeance], numero: str, jour: date, iban: str
) -> dict[str, Any]:
    """The JSON part of POST /v1/factures that invoices what remains of `echeances` (one
    PEDAGOGIE line each), issued on `jour` under the CFA's number `numero` from the
    dossier's training establishment: the FACTURATION rules accept it when the échéances are
    open on `jour` and `iban` is the CFA's (the one of the échéances)."""
    lignes = [
        {
            "montant": float(restant(e)),
            "natureLigne": "PEDAGOGIE",
            "quantite": 1,
            "numeroEcheance": e.numero,
            "codificationEcheance": e.codification,
            "numeroDeca": dossier.numero_deca,
            "numeroDossier": dossier.numero_externe,
        }
        for e in echeances
    ]
    return {
        "numero": numero,
        "dateEmission": jour.isoformat(),
        "ibanEmetteur": iban,
        "siretEmetteur": dossier.organisme_siret,
        "estCertificatRealisation": False,
        "lignes": lignes,
        "montantTotal": float(sum((restant(e) for e in echeances), ZERO)),
    }


def _dossiers(session: Session, facture: Facture) -> list[Dossier]:
    ids = sorted({ligne.dossier_id for ligne in facture.lignes})
    return [session.get(Dossier, i) for i in ids]


def regler(session: Session, sandbox: Sandbox, facture: Facture, at: datetime, acteur: str) -> None:
    """Pay: amounts move from "en cours" to "réglé"; a credit note gives back the overpayment."""
    if MAGIE_REJET in facture.numero.upper() and acteur == "simulateur":
        rejeter(session, facture, at, "Rejet simulé (valeur magique SANDBOX-REJET).")
        return
    _etat_attendu(session, facture)
    for ligne in facture.lignes:
        dossier = session.get(Dossier, ligne.dossier_id)
        if facture.type_facture == "AVOIR":
            _rembourser(dossier, ligne.montant)
        elif ligne.echeance_id is not None and ligne.nature == "PEDAGOGIE":
            echeance = next(e for e in dossier.echeances if e.id == ligne.echeance_id)
            echeance.montant_en_cours -= ligne.montant
            echeance.montant_regle += ligne.montant
    facture.etat, facture.reglement_prevu_le = EtatFacture.REGLE.value, None
    # An avoir is imputé on the overpayment, not paid: no transfer, no reference of its own.
    # Its date_reglement keeps the date of imputation (console only, never on the wire).
    if facture.type_facture != "AVOIR":
        seq = compteurs.prochaine_sequence(session, facture.opco_id, "virement")
        facture.reference_virement = reference_virement(facture.opco_id, at, seq)
    facture.date_reglement = at.date()
    for dossier in _dossiers(session, facture):
        solder_si_tout_regle(session, dossier, at, acteur)
    session.flush()


def _rembourser(dossier: Dossier, montant: Decimal) -> None:
    for echeance in dossier.echeances:
        excedent = max(ZERO, echeance.montant_regle - echeance.montant_total)
        repris = min(excedent, montant)
        echeance.montant_regle -= repris
        montant -= repris


def rejeter(session: Session, facture: Facture, at: datetime, motif: str) -> None:
    """Reject: nothing stays "en cours"; the CFA may send a corrected invoice (FAQ)."""
    _etat_attendu(session, facture)
    for ligne in facture.lignes:
        if (
            ligne.echeance_id is not None
            and ligne.nature == "PEDAGOGIE"
            and facture.type_facture != "AVOIR"
        ):
            dossier = session.get(Dossier, ligne.dossier_id)
            echeance = next(e for e in dossier.echeances if e.id == ligne.echeance_id)
            echeance.montant_en_cours -= ligne.montant
    facture.etat, facture.commentaire = EtatFacture.REJETEE.value, motif
    facture.numero_actif = facture.reglement_prevu_le = None
    session.flush()


def _etat_attendu(session: Session, facture: Facture) -> None:
    """Still under instruction, read under the invoice's row lock (PostgreSQL): the control API
    and the back office of another worker never both pay or reject the same invoice."""
    session.refresh(facture, with_for_update=True)
    if facture.etat != EN_COURS:
        raise cycle_de_vie.Conflict.one(
            "INV_STATE_INVALID", f"La facture est déjà à l'état {facture.etat}.", "etatFacture"
        )


def solder_si_tout_regle(session: Session, dossier: Dossier, at: datetime, acteur: str) -> bool:
    """ENGAGE/RUPTURE -> SOLDE once every échéance is paid exactly (nothing owed either way)."""
    if dossier.etat not in FACTURABLES or not dossier.echeances:
        return False
    if any(e.montant_regle != e.montant_total or e.montant_en_cours for e in dossier.echeances):
        return False
    cycle_de_vie.appliquer(
        session,
        dossier,
        Evenement.SOLDER,
        at=at,
        acteur=acteur,
        cause="Toutes les échéances sont réglées.",
    )
    dossier.commentaire_etat = "Dossier soldé : toutes les échéances sont réglées."
    return True


def trouver(
    session: Session, opco_id: str, numero_interne: str, siren: str | None = None
) -> Facture:
    query = select(Facture).where(
        Facture.opco_id == opco_id, Facture.numero_interne == numero_interne
    )
    facture = session.scalar(query)
    if facture is None or (siren is not None and facture.cfa_siren != siren):
        raise NotFound.one(
            "INV_NOT_FOUND", f"Aucune facture « {numero_interne} ».", "numeroInterneFacture"
        )
    return facture


def prochaine_due(session: Session, jusqu_a: datetime) -> Facture | None:
    return session.scalar(
        select(Facture)
        .where(Facture.reglement_prevu_le.is_not(None), Facture.reglement_prevu_le <= jusqu_a)
        .order_by(Facture.reglement_prevu_le, Facture.id)
        .limit(1)
    )


@dataclass(frozen=True)
class PageFactures:
    total: int
    page: int
    factures: list[Facture]


def page_etats(session: Session, opco: Opco, siren: str, page: int) -> PageFactures:
    factures = compteurs.page_par_rang(
        session, Facture, opco.id, siren, page, opco.taille_page_etats
    )
    total = (
        session.scalar(
            select(SequenceOpco.valeur).where(
                SequenceOpco.opco_id == opco.id, SequenceOpco.nom == f"factures:{siren}"
            )
        )
        or 0
    )
    return PageFactures(total, page, factures)
