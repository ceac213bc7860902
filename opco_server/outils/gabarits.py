"""The services' result for one template of a bulk generation: its lifecycle (state, reception
day, rupture date) replayed once through the real services in a transaction rolled back, kept
to be copied to every dossier of the template (opco_server.outils.copies)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import NormError
from opco_server.horloge import aware
from opco_server.models import (
    Certificat,
    Dossier,
    Echeance,
    Facture,
    Fichier,
    FraisAnnexeEngage,
    LigneFacture,
)
from opco_server.services import dossiers, pilotage, ruptures, simulateur
from opco_server.services.fabrique import (
    ErreurGeneration,
    appliquer_identite,
    cerfa_cohorte,
    dates_contrat,
    solder,
)
from opco_server.services.personnes import Identites
from rules.cycle_de_vie import Etat

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.outils.plan import Position
    from opco_server.sandbox import Sandbox

MOTIF_ANNULATION = "Contrat non commencé"

COLONNES_COPIEES = (
    "etat",
    "commentaire_etat",
    "controles",
    "version_norme",
    "type_contrat_app",
    "editeur_id",
    "logiciel",
    "version_logiciel",
    "prochaine_action",
    "engagement",
    "regime_financement",
    "participation_employeur",
    "date_rupture",
    "organisme_siret",
    "employeur_siret",
    "date_debut_contrat",
)
COLONNES_ECHEANCE = tuple(
    c.name for c in Echeance.__table__.columns if c.name not in ("id", "dossier_id")
)
COLONNES_FRAIS = tuple(
    c.name for c in FraisAnnexeEngage.__table__.columns if c.name not in ("id", "dossier_id")
)
# Invoices, certificats and their files: what each dossier has of its own (ids, numbers, ranks,
# times, bodies naming it) is set at the copy, the rest is the template's.
COLONNES_FACTURE = (
    "type_facture",
    "montant_total",
    "iban_emetteur",
    "siret_emetteur",
    "est_certificat_realisation",
    "etat",
    "commentaire",
    "contenu",
)
COLONNES_LIGNE = ("index", "annee", "nature", "montant", "quantite")
COLONNES_CERTIFICAT = ("type_certificat", "numero_echeance", "contenu")
COLONNES_FICHIER = ("opco_id", "nom", "type_mime", "taille", "sha256", "contenu")


@dataclass(frozen=True)
class FactureModele:
    """An invoice of the template, as the services stored it (paid by the simulator)."""

    colonnes: dict[str, Any]
    fichier: dict[str, Any]
    lignes: tuple[dict[str, Any], ...]
    echeances: tuple[int | None, ...]  # each line's échéance: its index in Gabarit.echeances
    payee: bool  # paid by a transfer (a reference of its own)


@dataclass(frozen=True)
class CertificatModele:
    colonnes: dict[str, Any]
    fichier: dict[str, Any]


@dataclass(frozen=True)
class Gabarit:
    """What the services stored for one template, to copy to each dossier of the template."""

    cerfa: dict[str, Any]
    tranche: int  # AGES_TRANCHES index: the apprentices' birth dates follow it
    colonnes: dict[str, Any]
    garde_cle_doublon: bool  # False once refused or cancelled (the key no longer counts)
    delai_action: timedelta | None  # next action, after the reception
    numero_deca: str | None  # the template's, replaced by each dossier's own
    evenements: tuple[tuple[str, str | None, str, str, str], ...]  # (step, from, to, why, who)
    echeances: tuple[dict[str, Any], ...]
    frais: tuple[dict[str, Any], ...]
    factures: tuple[FactureModele, ...] = ()
    certificats: tuple[CertificatModele, ...] = ()


@dataclass
class Gabarits:
    """The templates of a run, by Position.cle, replayed when first needed."""

    sandbox: Sandbox
    opco: Opco
    siren: str
    base: dict[str, Any]  # the demo contract, with this CFA and an employer of this OPCO
    identites: Identites
    emetteur: dossiers.Emetteur
    gabarits: dict[tuple, Gabarit] = field(default_factory=dict)
    rejoues: int = 0
    modeles: int = 0

    def __getitem__(self, cle: tuple) -> Gabarit:
        return self.gabarits[cle]

    def cerfa(self, position: Position) -> dict:
        return cerfa_cohorte(
            self.sandbox.referentiel,
            self.base,
            *dates_contrat(position.reception.date()),
            *position.variante,
        )

    def preparer(self, positions: list[Position]) -> None:
        """Replay the lifecycle of each new template once, in a transaction rolled back."""
        jour = positions[0].reception.date()
        for cle in [c for c in self.gabarits if c[1] < jour]:  # days behind: never used again
            del self.gabarits[cle]
        nouvelles = {p.cle: p for p in positions if p.cle not in self.gabarits}
        if not nouvelles:
            return
        with self.sandbox.session() as session:
            try:
                for cle, position in nouvelles.items():
                    self.gabarits[cle] = self._rejouer(session, position)
                    self.rejoues += 1
            finally:
                session.rollback()

    def _transmettre(self, session: Session, cerfa: dict, tranche: int) -> Dossier:
        debut = date.fromisoformat(cerfa["contrat"]["dateDebutContrat"])
        for _ in range(50):
            self.modeles += 1  # a new apprentice each time: the rolled-back ones are still there
            modele = appliquer_identite(
                cerfa,
                self.identites.modele(self.modeles, debut, tranche),
                self.identites.maitre(0),
            )
            try:
                version = self.opco.versions[0]
                return dossiers.transmettre(
                    session, self.sandbox, self.opco, self.emetteur, modele, version
                )
            except NormError as exc:
                if any(i.code != "DOSSIER_DUPLICATE" for i in exc.items):
                    raise ErreurGeneration(
                        "Le contrat modèle est refusé à la transmission : "
                        + " ; ".join(f"[{i.code}] {i.description}" for i in exc.items)
                    ) from exc
        raise ErreurGeneration("Aucune identité libre pour le dossier modèle.")

    def _rejouer(self, session: Session, position: Position) -> Gabarit:
        """The services' lifecycle for one template, with the first dossier's times."""
        t, etat, sandbox = position.etapes, position.etat, self.sandbox
        tranche = position.variante[1]
        d = self._transmettre(session, self.cerfa(position), tranche)
        # Received at its own time, not now: what follows depends on it.
        d.recu_le = d.maj_le = position.reception
        simulateur.planifier_reception(d, sandbox)
        etapes = ["reception"] * len(d.evenements)

        def etape(nom: str, action: Callable[[], object]) -> None:
            avant = len(d.evenements)
            action()
            etapes.extend([nom] * (len(d.evenements) - avant))

        acteur = "simulateur"
        if etat != Etat.TRANSMIS:
            etape(
                "instruction",
                lambda: simulateur.instruire(session, sandbox, d, t["instruction"], acteur),
            )
        if etat == Etat.REFUSE:
            etape("refus", lambda: simulateur.refus_implicite(session, d, t["refus"]))
        elif etat == Etat.ANNULE:
            etape(
                "annulation",
                lambda: pilotage.forcer(session, sandbox, d, etat, MOTIF_ANNULATION, None),
            )
        elif etat in (Etat.ENGAGE, Etat.RUPTURE, Etat.SOLDE):
            # The convention came with the contract: the decision is due after the delay and
            # claimed by the simulator. Every generated maître is distinct: no other active
            # dossier of the OPCO shares one, which is all the instruction reads of them.
            simulateur.planifier(d, None, None)
            etape(
                "decision",
                lambda: simulateur.decider(session, sandbox, d, t["decision"], acteur, actifs=()),
            )
            if d.etat != Etat.ENGAGE:
                raise ErreurGeneration(
                    f"L'instruction refuse le contrat modèle chez {self.opco.nom} : "
                    f"{d.commentaire_etat}"
                )
            if etat in (Etat.RUPTURE, Etat.SOLDE):
                etape(
                    "rupture",
                    lambda: ruptures.rompre(
                        session, sandbox, d, position.date_rupture, position.motif_rupture, "client"
                    ),
                )
            if etat == Etat.SOLDE:  # every échéance still owed invoiced, then paid
                numero = f"GABARIT-{self.rejoues}"  # each dossier gets its own at the copy
                etape("solde", lambda: self._solder(session, d, numero, t))
        if d.etat != etat:
            raise ErreurGeneration(f"Le dossier modèle est à l'état {d.etat}, {etat} attendu.")
        session.flush()
        action = aware(d.prochaine_action_le) if d.prochaine_action_le else None
        return Gabarit(
            cerfa=copy.deepcopy(d.cerfa),
            tranche=tranche,
            colonnes={c: copy.deepcopy(getattr(d, c)) for c in COLONNES_COPIEES},
            garde_cle_doublon=d.cle_doublon is not None,
            delai_action=action - position.reception if action else None,
            numero_deca=d.numero_deca,
            evenements=tuple(
                (nom, e.etat_avant, e.etat_apres, e.cause, e.acteur)
                for nom, e in zip(etapes, d.evenements, strict=True)
            ),
            echeances=tuple({c: getattr(e, c) for c in COLONNES_ECHEANCE} for e in d.echeances),
            frais=tuple({c: getattr(f, c) for c in COLONNES_FRAIS} for f in d.frais_annexes),
            factures=_factures_modeles(session, d),
            certificats=_certificats_modeles(session, d),
        )

    def _solder(self, session: Session, d: Dossier, numero: str, t: dict[str, datetime]) -> None:
        try:
            solder(
                session, self.sandbox, self.opco, self.siren, d, numero, t["facture"], t["solde"]
            )
        except NormError as exc:
            raise ErreurGeneration(
                "La facture du dossier modèle est refusée : "
                + " ; ".join(f"[{i.code}] {i.description}" for i in exc.items)
            ) from exc


def _fichier_modele(fichier: Fichier) -> dict[str, Any]:
    return {c: getattr(fichier, c) for c in COLONNES_FICHIER}


def _certificats_modeles(session: Session, dossier: Dossier) -> tuple[CertificatModele, ...]:
    return tuple(
        CertificatModele(
            {c: copy.deepcopy(getattr(x, c)) for c in COLONNES_CERTIFICAT},
            _fichier_modele(session.get(Fichier, x.fichier_id)),
        )
        for x in session.scalars(
            select(Certificat).where(Certificat.dossier_id == dossier.id).order_by(Certificat.id)
        )
    )


def _factures_modeles(session: Session, dossier: Dossier) -> tuple[FactureModele, ...]:
    """The invoices of the template dossier, each line's échéance by its index."""
    index = {e.id: i for i, e in enumerate(dossier.echeances)}
    siennes = select(LigneFacture.facture_id).where(LigneFacture.dossier_id == dossier.id)
    return tuple(
        FactureModele(
            colonnes={c: copy.deepcopy(getattr(f, c)) for c in COLONNES_FACTURE},
            fichier=_fichier_modele(f.fichier),
            lignes=tuple({c: getattr(lg, c) for c in COLONNES_LIGNE} for lg in f.lignes),
            echeances=tuple(index.get(lg.echeance_id) for lg in f.lignes),
            payee=f.reference_virement is not None,
        )
        for f in session.scalars(
            select(Facture).where(Facture.id.in_(siennes)).order_by(Facture.id)
        )
    )
