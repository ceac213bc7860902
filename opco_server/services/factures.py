"""Invoices and credit notes: controls, acceptance, payment or rejection, SOLDE.

POST /v1/factures is checked by the FACTURATION rules (rules/facturation.py) on a view of
the invoice whose lines are resolved to the CFA's dossiers; accepted invoices put their
amounts "en cours d'instruction" on the échéances, then are paid after the OPCO's delay on
the sandbox clock (or paid / rejected now through the control API).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import rules
from opco_server.errors import BadRequest, NotFound
from opco_server.models import (
    Certificat,
    CfaEnregistre,
    DocumentLie,
    Dossier,
    Echeance,
    EtablissementCfa,
    Facture,
    LigneFacture,
    SequenceOpco,
)
from opco_server.services import compteurs, controles, cycle_de_vie, fichiers
from opco_server.services.engagements import niveau
from opco_server.wire import parse_date
from rules.cycle_de_vie import Etat, Evenement
from rules.facturation_vues import DossierVue, EcheanceVue, FactureVue, FraisEngage, LigneVue
from rules.registry import Moment

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

EN_COURS, REGLE, REJETEE = "EN_COURS_INSTRUCTION", "REGLE", "REJETEE"
NATURE_ENGAGEE = {
    "HEBERGEMENT": "HEBERGEMENT",
    "RESTAURATION": "RESTAURATION",
    "PREMIEREQUIPEMENT": "PREMIER_EQUIPEMENT",
    "MOBILITE": "MOBILITE",
}
# Documents that carry the copy of the CFA's 750 € invoice to the employer (typeFichier).
TYPES_COPIE_PARTICIPATION = {"COPIE_FACTURE_PARTICIPATION", "FACTURE_PARTICIPATION_EMPLOYEUR"}
MAGIE_REJET = "SANDBOX-REJET"  # an invoice number containing it is rejected at payment time
ZERO = Decimal("0")


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _entier(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _iban(value: object) -> str | None:
    text = "".join(str(value or "").split()).upper()
    return text or None


def _lignes_vivantes(session: Session, dossier: Dossier) -> list[Any]:
    return list(
        session.execute(
            select(LigneFacture, Facture)
            .join(Facture, LigneFacture.facture_id == Facture.id)
            .where(LigneFacture.dossier_id == dossier.id, Facture.etat != REJETEE)
        ).all()
    )


def trop_percu(dossier: Dossier) -> Decimal:
    return sum((max(ZERO, e.montant_regle - e.montant_total) for e in dossier.echeances), ZERO)


def vue_dossier(session: Session, sandbox: Sandbox, dossier: Dossier) -> DossierVue:
    lignes = _lignes_vivantes(session, dossier)
    deja: dict[str, Decimal] = defaultdict(lambda: ZERO)
    rqth: dict[int, Decimal] = defaultdict(lambda: ZERO)
    avoirs_en_cours = ZERO
    for ligne, facture in lignes:
        if facture.type_facture == "AVOIR":
            avoirs_en_cours += ligne.montant if facture.etat != REGLE else ZERO
        elif ligne.nature in NATURE_ENGAGEE:
            deja[NATURE_ENGAGEE[ligne.nature]] += ligne.montant
        elif ligne.nature == "MAJORATION_RQTH" and ligne.annee:
            rqth[ligne.annee] += ligne.montant
    certificats = session.scalars(
        select(Certificat.type_certificat).where(Certificat.dossier_id == dossier.id)
    ).all()
    copies = session.scalar(
        select(func.count(DocumentLie.id)).where(
            DocumentLie.opco_id == dossier.opco_id,
            DocumentLie.type_objet == "DOSSIER_APPRENTISSAGE",
            DocumentLie.id_objet == dossier.numero_interne,
            DocumentLie.type_fichier.in_(TYPES_COPIE_PARTICIPATION),
        )
    )
    return DossierVue(
        numero_interne=dossier.numero_interne,
        numero_externe=dossier.numero_externe,
        numero_deca=dossier.numero_deca,
        etat=dossier.etat,
        siret_cfa=dossier.organisme_siret,
        regime=dossier.regime_financement,
        date_conclusion=parse_date(dossier.cerfa["contrat"].get("dateConclusion")),
        date_fin_contrat=parse_date(dossier.cerfa["contrat"].get("dateFinContrat")),
        date_rupture=dossier.date_rupture,
        niveau=niveau(sandbox, dossier.cerfa),
        rqth=dossier.cerfa.get("apprenti", {}).get("handicap") is True,
        participation_employeur=dossier.participation_employeur or ZERO,
        echeances=tuple(
            EcheanceVue(
                e.numero,
                e.codification,
                e.nature,
                e.annee,
                e.montant_total,
                e.montant_regle,
                e.montant_en_cours,
                e.date_ouverture,
                e.date_debut,
                e.date_fin,
                e.iban,
            )
            for e in dossier.echeances
        ),
        frais={
            f.nature: FraisEngage(
                f.nature, f.quantite, f.prix_unitaire, f.montant_total, deja[f.nature]
            )
            for f in dossier.frais_annexes
        },
        majoration_rqth_facturee=dict(rqth),
        certificat_final=any(t.lower() == "final" for t in certificats),
        copie_participation=bool(copies),
        trop_percu=max(ZERO, trop_percu(dossier) - avoirs_en_cours),
    )


@dataclass
class Lecture:
    vue: FactureVue
    dossiers: dict[int, Dossier]  # line index -> resolved dossier


def lire(
    session: Session, sandbox: Sandbox, opco: Opco, siren: str, data: dict[str, Any]
) -> Lecture:
    """The invoice as the rules see it, lines resolved among this CFA's dossiers."""
    resolus: dict[int, Dossier] = {}
    vues: dict[int, DossierVue] = {}
    lignes = []
    _verrouiller(session, opco, siren, data.get("lignes") or [])
    for i, raw in enumerate(data.get("lignes") or []):
        numero = str(raw.get("numeroDossier") or "").strip() or None
        # Locked until commit (PostgreSQL): two invoices for the same échéance are checked
        # one after the other, never both against the same "restant".
        dossier = numero and session.scalar(
            select(Dossier)
            .where(
                Dossier.opco_id == opco.id,
                Dossier.cfa_siren == siren,
                Dossier.numero_externe == numero,
            )
            .with_for_update()
        )
        if dossier:
            resolus[i] = dossier
            vues.setdefault(dossier.id, vue_dossier(session, sandbox, dossier))
        lignes.append(
            LigneVue(
                index=i,
                nature=str(raw.get("natureLigne") or ""),
                montant=_decimal(raw.get("montant")) or ZERO,
                quantite=_decimal(raw.get("quantite")),
                numero_echeance=_entier(raw.get("numeroEcheance")),
                codification=str(raw["codificationEcheance"])
                if raw.get("codificationEcheance") not in (None, "")
                else None,
                numero_dossier=numero,
                numero_deca=raw.get("numeroDeca") or None,
                dossier=vues[dossier.id] if dossier else None,
                date_debut_periode=parse_date(raw.get("dateDebutPeriode")),
                date_fin_periode=parse_date(raw.get("dateFinPeriode")),
            )
        )
    siret = str(data.get("siretEmetteur") or "")
    numero = str(data.get("numero") or "")
    vue = FactureVue(
        numero=numero,
        type_facture=str(data.get("typeFacture") or "FACTURE"),
        date_emission=parse_date(data.get("dateEmission")),
        montant_total=_decimal(data.get("montantTotal")) or ZERO,
        iban_emetteur=_iban(data.get("ibanEmetteur")),
        siret_emetteur=siret,
        # One of the caller's own establishments: another CFA's SIRET is answered exactly as a
        # SIRET nobody has, so that invoices cannot probe which SIRETs other CFAs registered.
        siret_connu=session.scalar(
            select(EtablissementCfa.id)
            .join(EtablissementCfa.cfa)
            .where(EtablissementCfa.siret == siret, CfaEnregistre.siren == siren)
        )
        is not None,
        siren_cle=siren,
        deja_connue=_numero_pris(session, opco.id, siren, numero),
        lignes=tuple(lignes),
    )
    return Lecture(vue, resolus)


def _verrouiller(session: Session, opco: Opco, siren: str, lignes: list[Any]) -> None:
    """Lock every dossier of the invoice up front, in id order (PostgreSQL): two invoices
    naming the same dossiers in another order wait for each other instead of deadlocking."""
    numeros = {str(raw.get("numeroDossier") or "").strip() for raw in lignes} - {""}
    if numeros:
        session.scalars(
            select(Dossier.id)
            .where(
                Dossier.opco_id == opco.id,
                Dossier.cfa_siren == siren,
                Dossier.numero_externe.in_(sorted(numeros)),
            )
            .order_by(Dossier.id)
            .with_for_update()
        ).all()


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
    seq = compteurs.prochaine_sequence(session, opco.id, "facture")
    facture = Facture(
        opco_id=opco.id,
        cfa_siren=siren,
        numero_interne=numero_interne(seq),
        rang=compteurs.prochaine_sequence(session, opco.id, f"factures:{siren}"),
        numero=lecture.vue.numero,
        numero_actif=lecture.vue.numero,
        type_facture=lecture.vue.type_facture,
        date_emission=lecture.vue.date_emission,
        montant_total=lecture.vue.montant_total,
        iban_emetteur=lecture.vue.iban_emetteur,
        siret_emetteur=lecture.vue.siret_emetteur,
        est_certificat_realisation=data.get("estCertificatRealisation") is True,
        etat=EN_COURS,
        contenu=data,
        fichier=fichier,
        recue_le=now,
        reglement_prevu_le=now + opco.delai_paiement,
    )
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
    session.add(facture)
    try:
        session.flush()
    except IntegrityError as exc:
        # Lost a race with a concurrent invoice of the same number on other dossiers (nothing
        # else serializes them): the constraint, not the read in `lire`, guarantees that the
        # CFA's invoice number is never accepted twice.
        session.rollback()
        if not _numero_pris(session, opco.id, siren, lecture.vue.numero):
            raise
        raise BadRequest.one(
            "INV_DUPLICATE",
            f"facture.numero : la facture {lecture.vue.numero} est déjà connue.",
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


def _numero_pris(session: Session, opco_id: str, siren: str, numero: str) -> bool:
    return (
        session.scalar(
            select(Facture.id).where(
                Facture.opco_id == opco_id,
                Facture.cfa_siren == siren,
                Facture.numero_actif == numero,
            )
        )
        is not None
    )


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
    facture.etat, facture.reglement_prevu_le = REGLE, None
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
    facture.etat, facture.commentaire = REJETEE, motif
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
    if dossier.etat not in (Etat.ENGAGE, Etat.RUPTURE) or not dossier.echeances:
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
