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
from rules.cerfa import CerfaVue
from rules.cycle_de_vie import ACTIFS, Etat
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


def precedent(session: Session, opco_id: str, cerfa: CerfaVue) -> ContratPrecedent | None:
    """The contract named by numeroContratPrecedent (its DECA number), if this OPCO holds it."""
    from rules.calculs import en_decimal

    numero = cerfa.texte("contrat.numeroContratPrecedent")
    dossier = numero and session.scalar(
        select(Dossier).where(Dossier.opco_id == opco_id, Dossier.numero_deca == numero)
    )
    if not dossier:
        return None
    ancien = CerfaVue.de(dossier.cerfa)
    periodes = [
        p for p in ancien.valeur("contrat.remunerationsAnnuelles") or [] if isinstance(p, dict)
    ]
    periodes.sort(key=lambda p: str(p.get("dateDebut") or ""))
    return ContratPrecedent(
        numero_deca=numero,
        type_contrat_app=ancien.entier("contrat.typeContratApp"),
        date_fin=ancien.date_fin_contrat,
        dernier_taux=en_decimal(periodes[-1].get("taux")) if periodes else None,
    )


def meme_nir(
    session: Session, opco_id: str, cerfa: CerfaVue, limite: int = 5
) -> list[ApprentiConnu]:
    """The OPCO's dossiers whose apprentice bears this Cerfa's NIR (a few are enough)."""
    if cerfa.nir is None:
        return []
    query = (
        select(Dossier)
        .where(Dossier.opco_id == opco_id, Dossier.apprenti_nir == cerfa.nir[:13])
        .order_by(Dossier.id)
        .limit(limite)
    )
    return [
        ApprentiConnu(
            numero_interne=d.numero_interne,
            nom=d.apprenti_nom,
            prenom=d.apprenti_prenom,
            date_naissance=d.apprenti_date_naissance,
            sexe=CerfaVue.de(d.cerfa).valeur("apprenti.sexe"),
        )
        for d in session.scalars(query)
    ]


def bloquants(violations: Sequence[Violation]) -> list[Violation]:
    return [v for v in violations if v.severite == Severite.BLOQUANT]


def avertissements(violations: Sequence[Violation]) -> list[Violation]:
    return [v for v in violations if v.severite == Severite.AVERTISSEMENT]


def controler_transmission(cerfa: CerfaVue, ctx: Contexte) -> list[Violation]:
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
    query = select(Dossier).where(Dossier.opco_id == opco_id, Dossier.etat.in_(sorted(ACTIFS)))
    if sauf is not None:
        query = query.where(Dossier.id != sauf)
    return [resume(d) for d in session.scalars(query)]


def resume(dossier: Dossier) -> DossierActif:
    cerfa = CerfaVue.de(dossier.cerfa)
    maitres = tuple(
        (
            cerfa.texte(f"{m}.nom") or "",
            cerfa.texte(f"{m}.prenom") or "",
            cerfa.date(f"{m}.dateNaissance"),
        )
        for m in ("maitre1", "maitre2")
        if cerfa.texte(f"{m}.nom")
    )
    return DossierActif(
        numero_interne=dossier.numero_interne,
        etat=Etat(dossier.etat),
        maitres=maitres,
        date_debut_contrat=cerfa.date_debut_contrat,
        date_fin_contrat=cerfa.date_fin_contrat,
        type_contrat_app=cerfa.entier("contrat.typeContratApp"),
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
    opco, cerfa = sandbox.opcos[dossier.opco_id], CerfaVue.de(dossier.cerfa)
    if actifs is None:
        actifs = dossiers_actifs(session, dossier.opco_id, sauf=dossier.id)
    ctx = contexte(
        sandbox.referentiel,
        opco,
        aujourdhui or sandbox.horloge.aujourdhui(),
        date_reception=dossier.recu_le.date(),
        dossiers_actifs=actifs,
        contrat_precedent=precedent(session, dossier.opco_id, cerfa),
    )
    return ResultatInstruction(tuple(rules.evaluer(cerfa, ctx, Moment.INSTRUCTION)))
