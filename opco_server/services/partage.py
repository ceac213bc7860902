"""The state every worker shares, held in each process and refreshed by one cheap check.

The clock, the profile, the faults, the editors, the CFA keys and the token revocations change
only through the control API, the console or a reset; requests read them all the time. Each
process therefore holds them in memory (`Instantane`), and each request reads a single row
(`etat_partage`: a version and the back office's next due instant) to learn whether anything
changed. Every change of that state bumps the version in its own transaction (`suivre`
installs the ORM hooks that do it; bulk statements call `signaler`), so that a change made
through one worker is seen by the next request of every worker.

The back office's next due instant is kept the same way: every flush that schedules an action
(a dossier's `prochaine_action_le`, an invoice's `reglement_prevu_le`) lowers it in the same
transaction, and the back office sets it to the true minimum after it ran (`recalculer`).
A request thus learns whether the back office has work from the row it reads anyway.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Engine, event, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from opco_server.horloge import Horloge, ReglageHorloge, aware
from opco_server.models import (
    CleCfa,
    Dossier,
    Editeur,
    EtatHorloge,
    EtatPartage,
    Facture,
    Panne,
    Parametre,
    RevocationJetons,
)
from opco_server.services import compteurs, horloge

LIGNE = 1
# A change of any of these is a change of the shared state: the version moves.
PARTAGES = (EtatHorloge, Parametre, Panne, Editeur, CleCfa, RevocationJetons)


@dataclass(frozen=True)
class EditeurConnu:
    id: int
    client_id: str
    secret_hash: str
    revoque: bool


@dataclass(frozen=True)
class CleConnue:
    opco_id: str
    siren: str
    date_fin_validite: date
    revoquee: bool


@dataclass(frozen=True)
class Revocation:
    opco_id: str | None
    editeur_id: int | None
    avant: float  # POSIX time: tokens issued at or before it are void
    motif: str  # EXPIRATION (the control API's "expirer") or REINITIALISATION

    def couvre(self, opco_id: str, editeur_id: int, emis: float) -> bool:
        return (
            emis <= self.avant
            and self.opco_id in (None, opco_id)
            and self.editeur_id in (None, editeur_id)
        )


@dataclass(frozen=True)
class Instantane:
    """The shared state as one worker holds it (immutable: swapped whole on a change)."""

    version: int
    horloge: ReglageHorloge | None
    profil: str | None
    pannes: Mapping[str, Panne]  # detached rows, read only
    editeurs: Mapping[int, EditeurConnu]
    editeurs_par_client: Mapping[str, EditeurConnu]
    cles: Mapping[str, CleConnue]  # by the key's SHA-256
    revocations: tuple[Revocation, ...]
    cle_jetons: str
    # Tokens whose signature this worker checked with `cle_jetons` (authentification.verifier_jeton):
    # a cache that lives and dies with this state (a new signing key, a new state).
    jetons_verifies: dict[tuple[str, str], dict] = field(default_factory=dict, compare=False)


def lire_version(engine: Engine) -> tuple[int, datetime | None]:
    """The one read of every request: (version, back office's next due instant).

    On the pooled DBAPI connection, without the ORM: through a Session, this one-row read cost
    ~0.5 ms of CPU (binds, compilation cache key, events), ten times the query itself."""
    connexion = engine.raw_connection()
    try:
        curseur = connexion.cursor()
        curseur.execute(_LIRE_VERSION)
        row = curseur.fetchone()
        curseur.close()
    finally:
        connexion.close()  # back to the pool (which rolls back what the driver began)
    if row is None:
        return 0, None
    version, prochaine = row
    if isinstance(prochaine, str):  # SQLite stores it as text
        prochaine = datetime.fromisoformat(prochaine)
    return int(version), aware(prochaine) if prochaine else None


_LIRE_VERSION = f"SELECT version, prochaine_action FROM etat_partage WHERE id = {LIGNE}"


def charger(session: Session, version: int) -> Instantane:
    """Everything the workers share, read in one unit of work."""
    profil = session.get(Parametre, "profil")
    pannes = {}
    for panne in session.scalars(select(Panne)):
        session.expunge(panne)
        pannes[panne.opco_id] = panne
    editeurs = {
        e.id: EditeurConnu(e.id, e.client_id, e.secret_hash, e.revoque_le is not None)
        for e in session.execute(
            select(Editeur.id, Editeur.client_id, Editeur.secret_hash, Editeur.revoque_le)
        )
    }
    cles = {
        c.cle_hash: CleConnue(c.opco_id, c.siren, c.date_fin_validite, c.revoquee_le is not None)
        for c in session.execute(
            select(
                CleCfa.cle_hash,
                CleCfa.opco_id,
                CleCfa.siren,
                CleCfa.date_fin_validite,
                CleCfa.revoquee_le,
            )
        )
    }
    revocations = tuple(
        Revocation(r.opco_id, r.editeur_id, aware(r.avant).timestamp(), r.motif)
        for r in session.scalars(select(RevocationJetons))
    )
    cle = session.scalar(select(EtatPartage.cle_jetons).where(EtatPartage.id == LIGNE))
    return Instantane(
        version=version,
        horloge=horloge.lire(session),
        profil=profil.valeur if profil else None,
        pannes=MappingProxyType(pannes),
        editeurs=MappingProxyType(editeurs),
        editeurs_par_client=MappingProxyType({e.client_id: e for e in editeurs.values()}),
        cles=MappingProxyType(cles),
        revocations=revocations,
        cle_jetons=cle or "",
    )


def initialiser(session: Session) -> None:
    """The shared row exists (a database migrated before it, or created by create_all) and the
    back office's next due instant is right (start-up: whatever wrote rows meanwhile)."""
    compteurs.inserer_si_absent(
        session, EtatPartage, {"id": LIGNE, "version": 1, "cle_jetons": secrets.token_hex(32)}
    )
    recalculer(session)


def signaler(session: Session) -> None:
    """The shared state changed in this transaction (bulk statements the hooks cannot see)."""
    table = EtatPartage.__table__
    session.connection().execute(
        update(table).where(table.c.id == LIGNE).values(version=table.c.version + 1)
    )


EXPIRATION, REINITIALISATION = "EXPIRATION", "REINITIALISATION"


def revoquer_jetons(
    session: Session,
    opco_id: str | None = None,
    editeur_id: int | None = None,
    motif: str = REINITIALISATION,
) -> datetime:
    """Void the tokens issued until now (real time) of one OPCO and/or one editor, or all."""
    maintenant = datetime.now(UTC)
    session.add(
        RevocationJetons(opco_id=opco_id, editeur_id=editeur_id, avant=maintenant, motif=motif)
    )
    session.flush()
    return maintenant


def planifier(session: Session, instant: datetime) -> None:
    """The back office has something to do at `instant`: lower the shared next due instant."""
    c = EtatPartage.__table__.c
    session.connection().execute(
        update(EtatPartage.__table__)
        .where(c.id == LIGNE, or_(c.prochaine_action.is_(None), c.prochaine_action > instant))
        .values(prochaine_action=instant)
    )


def recalculer(session: Session) -> None:
    """Set the next due instant to the true minimum, under the row's lock (FOR UPDATE on
    PostgreSQL, the write lock on SQLite): a concurrent `planifier` is never lost."""
    session.execute(select(EtatPartage.id).where(EtatPartage.id == LIGNE).with_for_update())
    dossier = session.scalar(select(func.min(Dossier.prochaine_action_le)))
    facture = session.scalar(select(func.min(Facture.reglement_prevu_le)))
    dues = [aware(d) for d in (dossier, facture) if d is not None]
    table = EtatPartage.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == LIGNE)
        .values(prochaine_action=min(dues) if dues else None)
    )


def suivre(fabrique: sessionmaker) -> None:
    """Install on a session factory the hooks that keep the shared row in step with flushes."""
    event.listen(fabrique, "before_flush", _avant_flush)
    event.listen(fabrique, "after_flush", _apres_flush)


def _avant_flush(session: Session, _contexte: Any, _instances: Any) -> None:
    dues: list[datetime] = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, PARTAGES):
            session.info["partage_modifie"] = True
        elif obj in session.deleted:
            continue
        elif isinstance(obj, Dossier) and obj.prochaine_action_le is not None:
            dues.append(aware(obj.prochaine_action_le))
        elif isinstance(obj, Facture) and obj.reglement_prevu_le is not None:
            dues.append(aware(obj.reglement_prevu_le))
    if dues:
        premiere = session.info.get("partage_prochaine")
        session.info["partage_prochaine"] = min([*dues, *([premiere] if premiere else [])])


def _apres_flush(session: Session, _contexte: Any) -> None:
    if session.info.pop("partage_modifie", False):
        signaler(session)
    if (instant := session.info.pop("partage_prochaine", None)) is not None:
        planifier(session, instant)


# --- This worker's copy ---------------------------------------------------------------------

PROFIL_DIALECTES, PROFIL_STRICT = "dialectes", "norme-stricte"


class EtatLocal:
    """This worker's copy of the shared state, and the changes it makes to it.

    Changes (the clock through Horloge.partagee, the profile) are made under the row's lock in the
    database, one at a time in this worker, then adopted at once. `synchroniser` runs once per
    request: one row read, a reload only when the version moved. `_generation` counts this
    worker's changes, so that a reload that read the database before a change of this worker
    committed does not undo it.
    """

    def __init__(
        self,
        horloge: Horloge,
        engine: Engine,
        fabrique: sessionmaker,
        sessions: Callable[..., AbstractContextManager[Session]],
    ) -> None:
        self.horloge, self._engine, self._sessions = horloge, engine, sessions
        self._verrou = threading.Lock()
        self._adoption = threading.Lock()
        self._generation = 0
        self.commun: Instantane | None = None
        self.prochaine_action: datetime | None = None  # the back office's next due instant
        self.profil = PROFIL_DIALECTES
        suivre(fabrique)
        horloge.partagee = self.changer_horloge

    def changer_profil(self, profil: str) -> None:
        with self._verrou, self._sessions() as session:
            valeurs = {"nom": "profil", "valeur": profil}
            compteurs.inserer_si_absent(session, Parametre, valeurs)
            session.merge(Parametre(**valeurs))
            session.commit()
            self._adopter(profil=profil)

    def changer_horloge(self, change: Callable[[ReglageHorloge], ReglageHorloge]) -> None:
        """Horloge.partagee: apply a change to the persisted clock atomically, then adopt it."""
        with self._verrou, self._sessions() as session:
            etat = horloge.changer(session, self.horloge.reglage(), change)
            session.commit()
            self._adopter(horloge=etat)

    def synchroniser(self) -> Instantane:
        """Read the shared version (and the back office's next due instant); reload the shared
        state only if another worker or action changed it."""
        generation = self._generation
        version, self.prochaine_action = lire_version(self._engine)
        courant = self.commun
        if courant is not None and courant.version == version:
            return courant
        with self._sessions(lecture=True) as session:
            commun = charger(session, version)
        self._adopter(generation=generation, commun=commun)
        return commun

    def courant(self) -> Instantane:
        """The shared state as this request's synchronisation left it."""
        return self.commun if self.commun is not None else self.synchroniser()

    def pannes_de(self, opco_id: str | None) -> Panne | None:
        """Once per request, off the event loop: the shared state brought up to date, then the
        OPCO's simulated faults (a detached row; None if none)."""
        commun = self.synchroniser()
        return None if opco_id is None else commun.pannes.get(opco_id)

    def _adopter(
        self,
        horloge: ReglageHorloge | None = None,
        profil: str | None = None,
        generation: int | None = None,
        commun: Instantane | None = None,
    ) -> None:
        """Take the shared state as committed: a change of this worker (generation None), or
        what a reload read (ignored if a change of this worker committed since it started)."""
        with self._adoption:
            if generation is None:
                self._generation += 1
            elif generation != self._generation:
                return
            if commun is not None:
                self.commun = commun
                horloge = horloge or commun.horloge
                # No row: the default profile (a reset empties the table).
                profil = profil or commun.profil or PROFIL_DIALECTES
            if horloge is not None:
                self.horloge.restaurer(*horloge)
            if profil is not None:
                self.profil = profil
