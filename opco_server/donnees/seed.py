"""The database made ready to serve, and the demo data (fixtures/demo.yaml) loaded through the
services, never raw INSERTs."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server import db
from opco_server.donnees import yamlfile
from opco_server.models import CfaEnregistre, Editeur, EntreeJournal, EtablissementCfa
from opco_server.services import identites, partage

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


def load_demo(sandbox: Sandbox) -> dict[str, Any]:
    return yamlfile.lire(sandbox.settings.fixtures_dir / "demo.yaml")


def demo_key(opco_id: str, siren: str) -> str:
    """Stable demo key of a demo CFA at an OPCO (printed by `opco-server identities`)."""
    return hashlib.sha256(f"opco-sandbox-demo:{opco_id}:{siren}".encode()).hexdigest()[:40]


def preparer_base(sandbox: Sandbox) -> None:
    """The database ready to serve: migrated (OPCO_MIGRATE), the journal's own SQLite file
    created, the demo data loaded into an empty database (OPCO_SEED_DEMO), and the shared
    state's row right (its next due instant recomputed: whatever wrote rows meanwhile)."""
    if sandbox.settings.migrate:
        db.migrate(sandbox.engine)
    if sandbox.engine_journal.dialect.name == "sqlite":
        # Its own file, not under Alembic.
        db.create_journal_table(sandbox.engine_journal, EntreeJournal.__table__)
    with sandbox.session() as session:
        if sandbox.settings.seed_demo:
            seed_if_empty(session, sandbox)
        partage.initialiser(session)
        session.commit()


def seed_if_empty(session: Session, sandbox: Sandbox) -> bool:
    if session.scalar(select(Editeur.id).limit(1)) is not None:
        return False
    seed(session, sandbox)
    return True


def seed(session: Session, sandbox: Sandbox) -> None:
    demo = load_demo(sandbox)
    for editeur in demo["editeurs"]:
        identites.creer_editeur(
            session, sandbox.horloge, editeur["nom"], editeur["client_id"], editeur["client_secret"]
        )
    for cfa in demo["cfas"]:
        enregistrer_cfa(session, cfa)
        for opco in sandbox.opcos:
            identites.generer_cle(
                session, sandbox.horloge, opco, cfa["siren"], cle=demo_key(opco.id, cfa["siren"])
            )


def enregistrer_cfa(session: Session, cfa: dict[str, Any]) -> CfaEnregistre:
    record = CfaEnregistre(siren=cfa["siren"], denomination=cfa["denomination"], iban=cfa["iban"])
    record.etablissements = [
        EtablissementCfa(siret=e["siret"], uai=e["uai"], denomination=e["denomination"])
        for e in cfa["etablissements"]
    ]
    session.add(record)
    session.flush()
    return record


def identities(sandbox: Sandbox) -> dict[str, Any]:
    """The demo identities in the shape documented in the README."""
    demo = load_demo(sandbox)
    editeur = demo["editeurs"][0]
    return {
        "editeur": {"client_id": editeur["client_id"], "client_secret": editeur["client_secret"]},
        "cfas": [
            {
                "siren": cfa["siren"],
                "denomination": cfa["denomination"],
                "siret": cfa["etablissements"][0]["siret"],
                "uai": cfa["etablissements"][0]["uai"],
                "etablissements": [
                    {"siret": e["siret"], "uai": e["uai"]} for e in cfa["etablissements"]
                ],
                "cles": {opco.id: demo_key(opco.id, cfa["siren"]) for opco in sandbox.opcos},
            }
            for cfa in demo["cfas"]
        ],
    }
