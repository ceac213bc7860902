"""What the invoice rules read: an invoice with its lines resolved to the CFA's dossiers.

The service builds these views from the database; the rules stay pure. Amounts are Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rules.cycle_de_vie import Etat


class EtatFacture(StrEnum):
    """etatFacture on the wire (norm.md E9). An avoir REGLE is imputé, not paid."""

    RECUE = "RECUE"
    EN_COURS_INSTRUCTION = "EN_COURS_INSTRUCTION"
    REGLE = "REGLE"
    REJETEE = "REJETEE"


@dataclass(frozen=True)
class EcheanceVue:
    numero: int
    codification: str
    nature: str  # AVANCE, M7, M10, SOLDE
    annee: int
    montant_total: Decimal
    montant_regle: Decimal
    montant_en_cours: Decimal  # invoiced, not yet paid
    date_ouverture: date
    date_debut: date
    date_fin: date
    iban: str | None

    @property
    def restant(self) -> Decimal:
        """What may still be invoiced on this instalment."""
        return self.montant_total - self.montant_regle - self.montant_en_cours


@dataclass(frozen=True)
class FraisEngage:
    nature: str  # HEBERGEMENT, RESTAURATION, PREMIER_EQUIPEMENT, MOBILITE
    quantite: int
    prix_unitaire: Decimal
    montant_total: Decimal
    deja_facture: Decimal = Decimal("0")  # accepted (non-rejected) invoice lines so far


@dataclass(frozen=True)
class DossierVue:
    numero_interne: str
    numero_externe: str
    numero_deca: str | None
    etat: Etat
    siret_cfa: str  # organismeFormation.siret of the Cerfa
    regime: str | None  # "2020" / "2025" (None when not engaged)
    date_conclusion: date | None
    date_fin_contrat: date | None
    date_rupture: date | None
    niveau: int | None
    rqth: bool
    participation_employeur: Decimal
    echeances: tuple[EcheanceVue, ...] = ()
    frais: Mapping[str, FraisEngage] = field(default_factory=dict)
    majoration_rqth_facturee: Mapping[int, Decimal] = field(default_factory=dict)  # per year
    certificat_final: bool = False  # a final certificat de réalisation was received
    copie_participation: bool = False  # copy of the CFA's 750 € invoice to the employer
    trop_percu: Decimal = Decimal("0")  # paid beyond what is due (after a rupture)

    def echeance(self, numero: int | None) -> EcheanceVue | None:
        return next((e for e in self.echeances if e.numero == numero), None)


@dataclass(frozen=True)
class LigneVue:
    index: int
    nature: (
        str  # PEDAGOGIE, PREMIEREQUIPEMENT, HEBERGEMENT, RESTAURATION, MOBILITE, MAJORATION_RQTH
    )
    montant: Decimal
    quantite: Decimal | None
    numero_echeance: int | None  # parsed from numeroEcheance (int or digit string)
    codification: str | None
    numero_dossier: str | None  # the dossier's numeroExterne, as sent
    numero_deca: str | None
    dossier: DossierVue | None  # resolved among the CFA's dossiers at this OPCO, or None
    date_debut_periode: date | None = None
    date_fin_periode: date | None = None

    @property
    def champ(self) -> str:
        return f"facture.lignes[{self.index}]"


@dataclass(frozen=True)
class FactureVue:
    numero: str
    type_facture: str  # FACTURE or AVOIR
    date_emission: date | None
    montant_total: Decimal
    iban_emetteur: str | None  # as sent (spaces removed, upper-case), None when empty
    siret_emetteur: str
    siret_connu: bool  # an establishment of the sending CFA (key SIREN), registered
    siren_cle: str  # SIREN of the CFA key that sends it
    deja_connue: bool  # same CFA invoice number already accepted at this OPCO
    lignes: tuple[LigneVue, ...] = ()
