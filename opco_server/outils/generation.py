"""Bulk generation of realistic dossiers for one CFA at one OPCO (`opco-server seed`).

Through the norm's API a generated dossier cannot be told from one that went through the
services:

- its Cerfa is fixtures/dossiers/contrat-v14.json moved to the contract start that follows its
  reception (one cohort per month: dates, pay periods and hiring salary follow), with its own
  apprentice (name, first name, sex, birth date and commune, NIR, e-mail, phone), its own
  maître d'apprentissage and one of the employer's establishments, chosen so that every transmission and instruction rule gives the verdict
  it gives to the cohort's contract;
- its numbers come from the OPCO's numbering and counters, its rank continues the CFA's ranks
  and the counters are moved past them: a later POST gets the next number and rank;
- its state, history, comment, DECA number, engagement, échéancier and rupture are what the
  services produce: the lifecycle of each distinct template (state, reception day, hence the
  contract's dates, and rupture date) is replayed once through the real services
  (dossiers.transmettre, simulateur, ruptures, pilotage, certificats, factures) in a transaction
  that is rolled back, and the result is copied to every dossier of that template, with its
  own identity, numbers and times;
- a SOLDE dossier got there as at a real OPCO: broken off, then its CFA sent the final
  certificat de réalisation and an invoice of every échéance still owed, which the OPCO paid
  after its delay, the payment solding it. Each one has its own certificat, invoice, lines
  and files, with the OPCO's next document, invoice and transfer numbers and the CFA's next
  invoice rank and number: a later POST /v1/factures gets the next ones.

Timeline: the decided dossiers (ENGAGE, REFUSE, ANNULE, RUPTURE, SOLDE) are received first,
over up to ~11 months ending 50 days ago; then the dossiers awaiting their convention
(EN_COURS_INSTRUCTION, implicit refusal still ahead), then those received in the last 24 hours
(TRANSMIS, instruction still ahead). Ranks follow the order of reception within a run.

Rows go in with bulk Core inserts, one transaction per batch: memory stays flat and the
counters always match the rows, even when the run is interrupted.

The plan of the run is in outils/plan.py, the templates in outils/gabarits.py, their copies
in outils/copies.py; the contracts and people they start from in services/fabrique.py and
services/personnes.py (the scenarios and example bodies use them too).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from opco_server.donnees.seed import load_demo
from opco_server.outils.copies import TABLES, Copieur
from opco_server.outils.gabarits import Gabarits
from opco_server.outils.plan import Plan, Position, repartir
from opco_server.services import dossiers
from opco_server.services.fabrique import ErreurGeneration, contrat_demo
from opco_server.services.personnes import Identites

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

TAILLE_LOT = 5_000
LOGICIEL = "opco-server seed"
ANALYSE_DES = 10_000  # PostgreSQL: refresh the planner's statistics after a load this big


@dataclass(frozen=True)
class Bilan:
    opco: str
    siren: str
    nombre: int
    premier_rang: int
    dernier_rang: int
    par_etat: dict[str, int]
    lignes: int  # rows inserted, all tables
    gabarits: int  # lifecycles replayed through the services
    duree: float  # seconds


def generer(
    sandbox: Sandbox,
    nombre: int,
    opco_id: str = "akto",
    siren: str | None = None,
    progression: Callable[[int, int], None] | None = None,
    taille_lot: int = TAILLE_LOT,
) -> Bilan:
    """Generate `nombre` dossiers for the CFA `siren` (default: the first demo CFA) at the OPCO
    `opco_id`; `progression(done, total)` is called after each batch."""
    opco = _opco(sandbox, nombre, opco_id)
    if siren is None:
        siren = str(load_demo(sandbox)["cfas"][0]["siren"])
    debut = time.perf_counter()
    sandbox.etat.synchroniser()
    gabarits = _gabarits(sandbox, opco, siren)
    copieur = Copieur(opco, siren, gabarits.identites, gabarits)
    plan = Plan(opco, sandbox.horloge.maintenant().replace(microsecond=0), repartir(nombre))
    fait = lignes = 0
    premier_rang = None
    for lot in _lots(plan.positions(), taille_lot):
        gabarits.preparer(lot)
        rows, rang = _inserer(sandbox, copieur, lot)
        lignes += rows
        premier_rang = rang if premier_rang is None else premier_rang
        fait += len(lot)
        if progression:
            progression(fait, nombre)
    if sandbox.engine.dialect.name == "postgresql" and nombre >= ANALYSE_DES:
        _analyser(sandbox)
    return Bilan(
        opco=opco.id,
        siren=siren,
        nombre=nombre,
        premier_rang=premier_rang or 0,
        dernier_rang=(premier_rang or 0) + nombre - 1,
        par_etat=plan.comptes,
        lignes=lignes,
        gabarits=gabarits.rejoues,
        duree=time.perf_counter() - debut,
    )


def _opco(sandbox: Sandbox, nombre: int, opco_id: str) -> Opco:
    if nombre < 1:
        raise ErreurGeneration(f"Le nombre de dossiers doit être au moins 1 (reçu : {nombre}).", 2)
    opco = sandbox.opcos.get(opco_id.lower())
    if opco is None:
        raise ErreurGeneration(
            f"OPCO inconnu : {opco_id} (connus : {', '.join(sandbox.opcos.ids)}).", code=2
        )
    return opco


def _gabarits(sandbox: Sandbox, opco: Opco, siren: str) -> Gabarits:
    """The run's templates, all from the demo contract of this CFA at this OPCO."""
    with sandbox.session() as session:
        base = contrat_demo(sandbox, session, opco, siren)
    domaine = base["maitre1"].get("courriel", "x@entreprise.example").split("@")[-1]
    emetteur = dossiers.Emetteur(siren, None, LOGICIEL, _version())
    return Gabarits(sandbox, opco, siren, base, Identites(domaine), emetteur)


def _inserer(sandbox: Sandbox, copieur: Copieur, lot: list[Position]) -> tuple[int, int]:
    """One batch in one transaction: (rows inserted, first rank)."""
    try:
        with sandbox.session() as session:
            rows, rang = copieur.inserer(session, lot)
            session.commit()
    except IntegrityError:  # an apprentice already at the OPCO: again, renaming him
        with sandbox.session() as session:
            rows, rang = copieur.inserer(session, lot, verifier=True)
            session.commit()
    return rows, rang


def _analyser(sandbox: Sandbox) -> None:
    """Fresh statistics after a bulk load (PostgreSQL): the planner keeps using the indexes."""
    with sandbox.session() as session:
        tables = ", ".join(m.__tablename__ for m in TABLES)
        session.execute(text(f"ANALYZE {tables}"))
        session.commit()


def _version() -> str:
    try:
        return metadata.version("opco-server")
    except metadata.PackageNotFoundError:
        return "dev"


def _lots(positions: Iterator[Position], taille: int) -> Iterator[list[Position]]:
    lot: list[Position] = []
    for p in positions:
        lot.append(p)
        if len(lot) == taille:
            yield lot
            lot = []
    if lot:
        yield lot
