"""The OPCO's business rules at their two moments: transmission (400) and instruction.

Builds the rules' context from the sandbox (clock, referential, per-OPCO severities, the
OPCO's other active dossiers) and runs the registry. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

import rules
from opco_server.errors import BadRequest, ErrorItem
from opco_server.models import Dossier
from rules.referentiel import Referentiel
from rules.registry import (
    ApprentiConnu,
    Contexte,
    ContratPrecedent,
    DossierActif,
    Moment,
    Severite,
    Violation,
)

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

# States in which a dossier still occupies its maître d'apprentissage.
ETATS_ACTIFS = ("TRANSMIS", "EN_COURS_INSTRUCTION", "ENGAGE")


def contexte(
    referentiel: Referentiel,
    opco: Opco,
    aujourdhui: date,
    *,
    date_reception: date | None = None,
    dossiers_actifs: Sequence[DossierActif] = (),
    contrat_precedent: ContratPrecedent | None = None,
    meme_nir: Sequence[ApprentiConnu] = (),
) -> Contexte:
    """The rules' context: `aujourdhui` is the sandbox clock's date (or the checker's --date)."""
    today = aujourdhui
    return Contexte(
        aujourdhui=today,
        referentiel=referentiel,
        opco_id=opco.id,
        severites={code: Severite(value) for code, value in opco.severites.items()},
        date_reception=date_reception or today,
        dossiers_actifs=tuple(dossiers_actifs),
        contrat_precedent=contrat_precedent,
        meme_nir=tuple(meme_nir),
    )


def precedent(session: Session, opco_id: str, cerfa: dict) -> ContratPrecedent | None:
    """The contract named by numeroContratPrecedent (its DECA number), if this OPCO holds it."""
    from rules.calculs import en_decimal
    from rules.champs import date_, entier, texte

    numero = texte(cerfa, "contrat.numeroContratPrecedent")
    dossier = numero and session.scalar(
        select(Dossier).where(Dossier.opco_id == opco_id, Dossier.numero_deca == numero)
    )
    if not dossier:
        return None
    periodes = [
        p
        for p in dossier.cerfa["contrat"].get("remunerationsAnnuelles") or []
        if isinstance(p, dict)
    ]
    periodes.sort(key=lambda p: str(p.get("dateDebut") or ""))
    return ContratPrecedent(
        numero_deca=numero,
        type_contrat_app=entier(dossier.cerfa, "contrat.typeContratApp"),
        date_fin=date_(dossier.cerfa, "contrat.dateFinContrat"),
        dernier_taux=en_decimal(periodes[-1].get("taux")) if periodes else None,
    )


def meme_nir(session: Session, opco_id: str, cerfa: dict, limite: int = 5) -> list[ApprentiConnu]:
    """The OPCO's dossiers whose apprentice bears this Cerfa's NIR (a few are enough)."""
    from rules.identifiants import nir_et_champ

    trouve = nir_et_champ(cerfa)
    if not trouve:
        return []
    query = (
        select(Dossier)
        .where(Dossier.opco_id == opco_id, Dossier.apprenti_nir == trouve[0][:13])
        .order_by(Dossier.id)
        .limit(limite)
    )
    return [
        ApprentiConnu(
            numero_interne=d.numero_interne,
            nom=d.apprenti_nom,
            prenom=d.apprenti_prenom,
            date_naissance=d.apprenti_date_naissance,
            sexe=(d.cerfa.get("apprenti") or {}).get("sexe"),
        )
        for d in session.scalars(query)
    ]


def bloquants(violations: Sequence[Violation]) -> list[Violation]:
    return [v for v in violations if v.severite == Severite.BLOQUANT]


def avertissements(violations: Sequence[Violation]) -> list[Violation]:
    return [v for v in violations if v.severite == Severite.AVERTISSEMENT]


def controler_transmission(cerfa: dict, ctx: Contexte) -> list[Violation]:
    """Synchronous controls of POST /dossiers: every violation, blocking or not."""
    return rules.evaluer(cerfa, ctx, Moment.TRANSMISSION)


def refus(violations: Sequence[Violation], extra: Sequence[ErrorItem] = ()) -> BadRequest:
    """One 400 listing every blocking violation (and any extra transport-level item)."""
    items = [ErrorItem(v.code, v.message, v.champ) for v in violations]
    return BadRequest(*items, *extra)


@dataclass(frozen=True)
class ResultatInstruction:
    violations: tuple[Violation, ...]

    @property
    def bloquants(self) -> list[Violation]:
        return bloquants(self.violations)

    @property
    def avertissements(self) -> list[Violation]:
        return avertissements(self.violations)

    @property
    def refuse(self) -> bool:
        return bool(self.bloquants)

    def commentaire(self) -> str:
        """The French reasons an OPCO writes in commentaireEtat."""
        return commentaire(self.bloquants, self.avertissements)


def commentaire(bloquants_: Sequence[Violation], avertissements_: Sequence[Violation]) -> str:
    parts = []
    if bloquants_:
        parts.append("Refus : " + " ; ".join(f"[{v.code}] {v.message}" for v in bloquants_))
    if avertissements_:
        parts.append(
            "Avertissements : " + " ; ".join(f"[{v.code}] {v.message}" for v in avertissements_)
        )
    return " | ".join(parts)


def dossiers_actifs(session: Session, opco_id: str, sauf: int | None = None) -> list[DossierActif]:
    """The OPCO's other active dossiers, as the maître-capacity check reads them."""
    query = select(Dossier).where(Dossier.opco_id == opco_id, Dossier.etat.in_(ETATS_ACTIFS))
    if sauf is not None:
        query = query.where(Dossier.id != sauf)
    return [resume(d) for d in session.scalars(query)]


def resume(dossier: Dossier) -> DossierActif:
    from rules.champs import date_, entier, texte

    cerfa = dossier.cerfa
    maitres = tuple(
        (
            texte(cerfa, f"{m}.nom") or "",
            texte(cerfa, f"{m}.prenom") or "",
            date_(cerfa, f"{m}.dateNaissance"),
        )
        for m in ("maitre1", "maitre2")
        if texte(cerfa, f"{m}.nom")
    )
    return DossierActif(
        numero_interne=dossier.numero_interne,
        etat=dossier.etat,
        maitres=maitres,
        date_debut_contrat=date_(cerfa, "contrat.dateDebutContrat"),
        date_fin_contrat=date_(cerfa, "contrat.dateFinContrat"),
        type_contrat_app=entier(cerfa, "contrat.typeContratApp"),
    )


def evaluer_instruction(
    session: Session,
    sandbox: Sandbox,
    dossier: Dossier,
    aujourdhui: date | None = None,
    actifs: Sequence[DossierActif] | None = None,
) -> ResultatInstruction:
    """Instruction checks of a received dossier, as of `aujourdhui` (default: the clock).

    `actifs`: the OPCO's other active dossiers when the caller knows them (bulk generation,
    whose maîtres are all distinct); read from the database otherwise."""
    opco = sandbox.opcos[dossier.opco_id]
    if actifs is None:
        actifs = dossiers_actifs(session, dossier.opco_id, sauf=dossier.id)
    ctx = contexte(
        sandbox.referentiel,
        opco,
        aujourdhui or sandbox.horloge.aujourdhui(),
        date_reception=dossier.recu_le.date(),
        dossiers_actifs=actifs,
        contrat_precedent=precedent(session, dossier.opco_id, dossier.cerfa),
    )
    return ResultatInstruction(tuple(rules.evaluer(dossier.cerfa, ctx, Moment.INSTRUCTION)))
