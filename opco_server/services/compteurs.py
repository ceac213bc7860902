"""Race-free counters: insert-if-missing then increment under the row lock, same transaction."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from opco_server.models import CompteurCfa, SequenceOpco


def _insert(session: Session, model, values: dict):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).values(**values).on_conflict_do_nothing()


def prochaine_sequence(session: Session, opco_id: str, nom: str) -> int:
    session.execute(_insert(session, SequenceOpco, {"opco_id": opco_id, "nom": nom, "valeur": 0}))
    where = (SequenceOpco.opco_id == opco_id, SequenceOpco.nom == nom)
    session.execute(update(SequenceOpco).where(*where).values(valeur=SequenceOpco.valeur + 1))
    return session.scalar(select(SequenceOpco.valeur).where(*where))


def prochain_rang(session: Session, opco_id: str, siren: str) -> int:
    session.execute(
        _insert(session, CompteurCfa, {"opco_id": opco_id, "siren": siren, "dernier_rang": 0})
    )
    where = (CompteurCfa.opco_id == opco_id, CompteurCfa.siren == siren)
    session.execute(
        update(CompteurCfa).where(*where).values(dernier_rang=CompteurCfa.dernier_rang + 1)
    )
    return session.scalar(select(CompteurCfa.dernier_rang).where(*where))


def total_cfa(session: Session, opco_id: str, siren: str) -> int:
    value = session.scalar(
        select(CompteurCfa.dernier_rang).where(
            CompteurCfa.opco_id == opco_id, CompteurCfa.siren == siren
        )
    )
    return value or 0


def page_par_rang(session: Session, model, opco_id: str, siren: str, page: int, size: int) -> list:  # type: ignore[no-untyped-def]
    """Rows of rank [(page-1)*size+1, page*size] of one CFA at one OPCO: an index range scan,
    as fast for 100,000 rows as for 10 (ranks are contiguous per CFA)."""
    first = (page - 1) * size + 1
    return list(
        session.scalars(
            select(model)
            .where(
                model.opco_id == opco_id,
                model.cfa_siren == siren,
                model.rang >= first,
                model.rang < first + size,
            )
            .order_by(model.rang)
        )
    )
