"""Journal storage: record (bounded: oldest entries dropped), query with filters.

Recording runs in the journal's writer (opco_server.journal.ecrivain), on the journal's own
engine: it reads no other table (the caller's identities come with the captured request).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from opco_server.errors import NotFound, OAuthError
from opco_server.horloge import aware
from opco_server.masquage import nettoyer
from opco_server.models import EntreeJournal
from opco_server.services import conformite
from opco_server.services.authentification import identifiants_basic
from rules.cerfa import CerfaVue
from rules.doublon import cle_doublon

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

ELAGAGE_TOUS_LES = 100


def _client_basic(entetes: dict[str, str]) -> str | None:
    """The client_id of a token request's `Authorization: Basic` header (never its secret)."""
    try:
        basic = identifiants_basic(entetes.get("authorization"))
    except OAuthError:
        return None
    return basic[0] if basic else None


def enregistrer(session: Session, **champs: Any) -> None:
    """Add the row of one request (see `valeurs`)."""
    session.execute(insert(EntreeJournal), [valeurs(**champs)])


def enregistrer_lot(session: Session, lignes: list[dict[str, Any]]) -> None:
    """Add the rows of a batch in one statement (executemany, no ORM unit of work)."""
    if lignes:
        session.execute(insert(EntreeJournal), lignes)


def valeurs(
    *,
    opco_id: str,
    methode: str,
    chemin: str,
    operation: str | None,
    statut: int,
    duree_ms: float,
    horodatage: datetime,
    horodatage_reel: datetime,
    client_id: str | None,
    cfa_siren: str | None,
    entetes: dict[str, str],
    entetes_bruts: dict[str, str],
    query: dict[str, str],
    corps: Any,
    corps_brut: bytes,
    reponse_entetes: dict[str, str],
    reponse_corps: Any,
    ecarts: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The column values of one request's row: `client_id` and `cfa_siren` are the token's
    editor and the key's CFA as authentication found them during the request
    (opco_server.journal.capture)."""
    codes = []
    if isinstance(reponse_corps, dict):
        codes = [e.get("code") for e in reponse_corps.get("errors", []) if isinstance(e, dict)]
    retry = reponse_entetes.get("retry-after")
    if client_id is None and operation == "authentification.obtenir_jeton":
        # A token request names its client: in its Basic header or in its form.
        client_id = _client_basic(entetes_bruts)
        if client_id is None and isinstance(corps, dict):
            client_id = corps.get("client_id")
        client_id = client_id if isinstance(client_id, str) else None
    return dict(
        horodatage=horodatage,
        horodatage_reel=horodatage_reel,
        opco_id=opco_id,
        methode=_court(methode, 10),
        chemin=_court(chemin, 500),
        operation=operation,
        statut=statut,
        duree_ms=duree_ms,
        client_id=_court(client_id, 100),
        editeur=_court(entetes.get("editeur"), 200),
        logiciel=_court(entetes.get("logiciel"), 200),
        version=_court(entetes.get("version"), 100),
        cfa_siren=_court(cfa_siren, 9),
        codes=[_court(c, 100) for c in codes if isinstance(c, str) and c],
        requete={
            "entetes": entetes,
            "query": query,  # masked with the rest of the row (opco_server.journal.lignes)
            "corps": corps,
            # The norm deviations tolerated (opco_server.http.tolerance), as {code, champ}.
            **({"ecarts": ecarts} if ecarts else {}),
        },
        reponse={
            "entetes": {
                k: v
                for k, v in reponse_entetes.items()
                if k in {"content-type", "retry-after", "www-authenticate"}
            },
            "corps": reponse_corps,
        },
        retry_after=int(retry) if retry and retry.isdigit() else None,
        empreinte=empreinte(corps_brut) if operation and "transmettre" in operation else None,
    )


def _court(valeur: str | None, taille: int) -> str | None:
    """A value the column accepts on every database: no NUL, at most `taille` characters."""
    return None if valeur is None else nettoyer(str(valeur))[:taille]


def empreinte(corps_brut: bytes) -> str | None:
    """Fingerprint of a transmitted Cerfa: its duplicate key (to recognise a resend)."""
    try:
        cle = cle_doublon(CerfaVue.de(json.loads(corps_brut)["cerfa"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return None if cle is None else hashlib.sha256(cle.encode()).hexdigest()[:32]


def elaguer(session: Session, sandbox: Sandbox, ecrites: int) -> None:
    """Keep the journal bounded: drop what lies beyond the newest `journal_max` entries.

    Run when the batch of `ecrites` entries just written crossed a multiple of
    ELAGAGE_TOUS_LES ids, so the journal never exceeds journal_max + ELAGAGE_TOUS_LES.
    It reads and deletes journal rows only (the journal has no foreign key): in the writer's
    transaction, it holds no lock a request needs.
    """
    dernier = session.scalar(select(func.max(EntreeJournal.id)))
    if dernier is not None and dernier % ELAGAGE_TOUS_LES < ecrites:
        session.execute(
            delete(EntreeJournal).where(EntreeJournal.id <= dernier - sandbox.settings.journal_max)
        )


def lister(
    session: Session,
    *,
    opco: str | None = None,
    statut: int | None = None,
    classe: int | None = None,
    cfa: str | None = None,
    client: str | None = None,
    operation: str | None = None,
    code: str | None = None,
    limite: int = 100,
    avant: int | None = None,
) -> list[EntreeJournal]:
    """The newest entries first, filtered; `classe`: a class of statuses (4 for 4xx)."""
    query = select(EntreeJournal).order_by(EntreeJournal.id.desc()).limit(limite)
    filters = {
        EntreeJournal.opco_id: opco,
        EntreeJournal.statut: statut,
        EntreeJournal.cfa_siren: cfa,
        EntreeJournal.client_id: client,
        EntreeJournal.operation: operation,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if classe is not None:
        query = query.where(
            EntreeJournal.statut >= classe * 100, EntreeJournal.statut < classe * 100 + 100
        )
    if avant is not None:
        query = query.where(EntreeJournal.id < avant)
    rows = list(session.scalars(query))
    return [r for r in rows if code is None or code in (r.codes or [])]


def a_jour(sandbox: Sandbox) -> None:
    """Write the entries the journal's writer still holds (it records after each response)."""
    if sandbox.journal is not None:
        sandbox.journal.flush()


def consulter(sandbox: Sandbox, session: Session, **filtres: Any) -> list[EntreeJournal]:
    """`lister`, once every request answered so far is written."""
    a_jour(sandbox)
    return lister(session, **filtres)


def entree(sandbox: Sandbox, session: Session, entree_id: int) -> EntreeJournal:
    a_jour(sandbox)
    trouvee = session.get(EntreeJournal, entree_id)
    if trouvee is None:
        raise NotFound.one(
            "JOURNAL_ENTRY_NOT_FOUND", f"Aucune entrée n° {entree_id} au journal.", "id"
        )
    return trouvee


def chronologique(sandbox: Sandbox, session: Session, opco: str | None = None) -> list[Any]:
    """Every entry (of one OPCO if given), oldest first: what the conformance report reads."""
    a_jour(sandbox)
    query = select(EntreeJournal).order_by(EntreeJournal.id)
    if opco:
        query = query.where(EntreeJournal.opco_id == opco.lower())
    return list(session.scalars(query))


def taille(session: Session) -> int:
    return session.scalar(select(func.count(EntreeJournal.id))) or 0


def page_json(sandbox: Sandbox, session: Session, entrees: list[EntreeJournal]) -> dict[str, Any]:
    """The control API's answer: the entries, the journal's size and its capacity."""
    return {
        "entrees": [en_json(e) for e in entrees],
        "taille": taille(session),
        "capacite": sandbox.settings.journal_max,
    }


def en_json(e: EntreeJournal) -> dict[str, Any]:
    return {
        "id": e.id,
        "horodatage": e.horodatage.isoformat(timespec="seconds"),
        "opco": e.opco_id,
        "methode": e.methode,
        "chemin": e.chemin,
        "operation": e.operation,
        "statut": e.statut,
        "dureeMs": e.duree_ms,
        "clientId": e.client_id,
        "editeur": e.editeur,
        "logiciel": e.logiciel,
        "version": e.version,
        "cfaSiren": e.cfa_siren,
        "codes": e.codes or [],
        "ecarts": (e.requete or {}).get("ecarts") or [],
        "requete": e.requete,
        "reponse": e.reponse,
    }


# --- what the console draws: answers over time, calls per operation ------------------------

# Widths of the time buckets, smallest first: the first giving few enough buckets is used.
PAS_TRANCHES = tuple(
    timedelta(minutes=m)
    for m in (1, 5, 15, 30, 60, 180, 360, 720, 1440, 7 * 1440, 30 * 1440, 365 * 1440)
)


class Tranche(NamedTuple):
    """Journal entries of [debut, fin) on the sandbox clock, by status class ("2xx": n)."""

    debut: datetime
    fin: datetime
    comptes: dict[str, int]


def decouper(
    premier: datetime, dernier: datetime, tranches_max: int
) -> tuple[datetime, timedelta, int]:
    """(start, width, count) of the fewest round buckets covering [premier, dernier]: the
    smallest width of PAS_TRANCHES giving at most `tranches_max`, aligned on midnight UTC."""
    minuit = datetime.combine(premier.date(), time(), tzinfo=premier.tzinfo)
    for pas in PAS_TRANCHES:
        debut = minuit + pas * ((premier - minuit) // pas) if pas < timedelta(days=1) else minuit
        n = (dernier - debut) // pas + 1
        if n <= tranches_max:
            return debut, pas, n
    pas = timedelta(days=-(-((dernier - minuit) // timedelta(days=1) + 1) // tranches_max))
    return minuit, pas, (dernier - minuit) // pas + 1


def _filtres(opco: str | None, cfa: str | None) -> list[Any]:
    filtres = []
    if opco:
        filtres.append(EntreeJournal.opco_id == opco)
    if cfa:
        filtres.append(EntreeJournal.cfa_siren == cfa)
    return filtres


def statuts_par_tranche(
    session: Session, *, opco: str | None = None, cfa: str | None = None, tranches_max: int = 24
) -> list[Tranche]:
    """The journal's answers per time bucket (sandbox clock) and status class, counted by
    the database in one pass: every bucket from the first entry to the last, empty ones too."""
    filtres = _filtres(opco, cfa)
    premier, dernier = session.execute(
        select(func.min(EntreeJournal.horodatage), func.max(EntreeJournal.horodatage)).where(
            *filtres
        )
    ).one()
    if premier is None:
        return []
    debut, pas, n = decouper(aware(premier), aware(dernier), tranches_max)
    horodatage = EntreeJournal.horodatage
    rang = (
        case(*[(horodatage < debut + pas * (i + 1), i) for i in range(n - 1)], else_=n - 1)
        if n > 1
        else literal(0)
    )
    lignes = (
        select(rang.label("rang"), (EntreeJournal.statut // 100).label("classe"))
        .where(*filtres)
        .subquery()
    )
    comptes: list[dict[str, int]] = [{} for _ in range(n)]
    for i, classe, nombre in session.execute(
        select(lignes.c.rang, lignes.c.classe, func.count()).group_by(
            lignes.c.rang, lignes.c.classe
        )
    ):
        comptes[int(i)][f"{int(classe)}xx"] = nombre
    return [Tranche(debut + pas * i, debut + pas * (i + 1), comptes[i]) for i in range(n)]


REUSSIE, EN_ECHEC, JAMAIS_ESSAYEE, NON_PROPOSEE = (
    "réussie",
    "en échec",
    "jamais essayée",
    "non proposée",
)


@dataclass(frozen=True)
class VerdictOperation:
    """An operation of the norm as the journal shows it, every client together."""

    operation: str
    succes: int  # 2xx answers
    echecs: int  # any other answer
    verdict: str  # REUSSIE, EN_ECHEC, JAMAIS_ESSAYEE or NON_PROPOSEE


def verdicts_par_operation(session: Session, sandbox: Sandbox) -> list[VerdictOperation]:
    """Each operation of the norm (then any other journalised), in the spec's order: réussie
    (one 2xx at least), en échec (calls, no 2xx), jamais essayée, or non proposée (offered by
    no OPCO under the current profile: it cannot be tried)."""
    succes = case((and_(EntreeJournal.statut >= 200, EntreeJournal.statut < 300), 1), else_=0)
    comptes = {
        operation: (int(reussis or 0), int(total - (reussis or 0)))
        for operation, reussis, total in session.execute(
            select(EntreeJournal.operation, func.sum(succes), func.count())
            .where(EntreeJournal.operation.is_not(None))
            .group_by(EntreeJournal.operation)
        )
    }
    absentes = list(conformite.non_proposees_par_opco(sandbox).values())
    partout = frozenset.intersection(*absentes) if absentes else frozenset()
    ordre = conformite.OPERATIONS_NORME + sorted(set(comptes) - set(conformite.OPERATIONS_NORME))
    verdicts = []
    for operation in ordre:
        ok, ko = comptes.get(operation, (0, 0))
        if ok:
            verdict = REUSSIE
        elif ko:
            verdict = EN_ECHEC
        else:
            verdict = NON_PROPOSEE if operation in partout else JAMAIS_ESSAYEE
        verdicts.append(VerdictOperation(operation, ok, ko, verdict))
    return verdicts
