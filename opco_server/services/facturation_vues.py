"""What the invoice rules read (rules/facturation_vues.py), built from the database: the
invoice received, its lines resolved among the CFA's dossiers, each dossier with its échéances,
engaged frais annexes and what was already invoiced. Amounts are Decimal."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opco_server.models import (
    Certificat,
    CfaEnregistre,
    DocumentLie,
    Dossier,
    EtablissementCfa,
    Facture,
    LigneFacture,
)
from opco_server.services.engagements import niveau
from opco_server.wire import parse_date
from rules.cerfa import CerfaVue
from rules.cycle_de_vie import Etat
from rules.facturation_vues import (
    DossierVue,
    EcheanceVue,
    EtatFacture,
    FactureVue,
    FraisEngage,
    LigneVue,
)

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

ZERO = Decimal("0")
NATURE_ENGAGEE = {
    "HEBERGEMENT": "HEBERGEMENT",
    "RESTAURATION": "RESTAURATION",
    "PREMIEREQUIPEMENT": "PREMIER_EQUIPEMENT",
    "MOBILITE": "MOBILITE",
}
# Documents that carry the copy of the CFA's 750 € invoice to the employer (typeFichier).
TYPES_COPIE_PARTICIPATION = {"COPIE_FACTURE_PARTICIPATION", "FACTURE_PARTICIPATION_EMPLOYEUR"}


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
            .where(LigneFacture.dossier_id == dossier.id, Facture.etat != EtatFacture.REJETEE.value)
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
            avoirs_en_cours += ligne.montant if facture.etat != EtatFacture.REGLE.value else ZERO
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
    cerfa = CerfaVue.de(dossier.cerfa)
    return DossierVue(
        numero_interne=dossier.numero_interne,
        numero_externe=dossier.numero_externe,
        numero_deca=dossier.numero_deca,
        etat=Etat(dossier.etat),
        siret_cfa=dossier.organisme_siret,
        regime=dossier.regime_financement,
        date_conclusion=cerfa.date("contrat.dateConclusion"),
        date_fin_contrat=cerfa.date_fin_contrat,
        date_rupture=dossier.date_rupture,
        niveau=niveau(sandbox, dossier.cerfa),
        rqth=cerfa.booleen("apprenti.handicap"),
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
        deja_connue=numero_pris(session, opco.id, siren, numero),
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


def numero_pris(session: Session, opco_id: str, siren: str, numero: str) -> bool:
    """The CFA's invoice number is already that of one of its live invoices at the OPCO."""
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
