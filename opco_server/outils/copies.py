"""The rows of a batch of a bulk generation: each template (opco_server.outils.gabarits) copied
to its dossiers, each with its own identity, numbers, ranks and times, and its own certificat,
invoice and files when it is SOLDE; numbers and ids reserved first, rows bulk inserted."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement

from opco_server.models import (
    Certificat,
    Dossier,
    Echeance,
    EvenementDossier,
    Facture,
    Fichier,
    FraisAnnexeEngage,
    LigneFacture,
)
from opco_server.outils.gabarits import Gabarit, Gabarits
from opco_server.services import compteurs, dossiers, engagements, factures, fichiers, partage
from opco_server.services.fabrique import (
    appliquer_identite,
    certificat,
    etablissement_employeur,
    numero_facture_cfa,
)
from opco_server.services.personnes import Identites
from rules.cerfa import CerfaVue
from rules.facturation_vues import EtatFacture

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.outils.plan import Position


@dataclass
class Copieur:
    """Copies the templates of a run to the rows of its batches."""

    opco: Opco
    siren: str
    identites: Identites
    gabarits: Gabarits

    def inserer(
        self, session: Session, positions: list[Position], verifier: bool = False
    ) -> tuple[int, int]:
        """Insert one batch in the session's transaction: (rows inserted, first rank).

        Generated apprentices are distinct from each other by construction; `verifier` also
        renames the few the OPCO may already hold from elsewhere (the insert raised), and
        numbers otherwise the few invoices whose CFA number the CFA already used."""
        reserve = self._reserver(session, [self.gabarits[p.cle] for p in positions])
        variantes: dict[int, int] = {}
        suffixes: dict[int, int] = {}
        while True:
            lignes = self._lignes(positions, reserve, variantes, suffixes)
            if not verifier:
                break
            cles = _deja_pris(
                session,
                Dossier.cle_doublon,
                [d["cle_doublon"] for d in lignes[Dossier]],
                Dossier.opco_id == self.opco.id,
            )
            numeros = _deja_pris(
                session,
                Facture.numero_actif,
                [f["numero_actif"] for f in lignes[Facture]],
                Facture.opco_id == self.opco.id,
                Facture.cfa_siren == self.siren,
            )
            if not cles and not numeros:
                break
            for k, d in enumerate(lignes[Dossier]):  # an apprentice the OPCO already has: rename
                if d["cle_doublon"] in cles:
                    variantes[k] = variantes.get(k, 0) + 1
            for k, f in enumerate(lignes[Facture]):
                if f["numero_actif"] in numeros:
                    suffixes[k] = suffixes.get(k, 0) + 1
        for modele, rows in lignes.items():
            if rows:
                _inserer(session, modele.__table__, rows)
        partage.recalculer(session)  # bulk rows: the flush hooks did not see their due times
        return sum(len(rows) for rows in lignes.values()), reserve.premiers["rang"]

    def _reserver(self, session: Session, gabarits: list[Gabarit]) -> Reserve:
        """The batch's numbers and ranks (the counters move past them) and the ids of the rows
        that other rows point to."""
        opco, siren = self.opco.id, self.siren
        n = len(gabarits)
        nombres = {
            "dossier": n,
            "deca": sum(1 for g in gabarits if g.numero_deca),
            "facture": sum(len(g.factures) for g in gabarits),
            f"factures:{siren}": sum(len(g.factures) for g in gabarits),
            "virement": sum(f.payee for g in gabarits for f in g.factures),
            "document": sum(len(g.factures) + len(g.certificats) for g in gabarits),
        }
        premiers = {
            nom: compteurs.reserver_sequence(session, opco, nom, nombre)
            for nom, nombre in nombres.items()
            if nombre
        }
        premiers["rang"] = compteurs.reserver_rangs(session, opco, siren, n)
        ids = {
            Dossier: n,
            Echeance: sum(len(g.echeances) for g in gabarits),
            Facture: nombres["facture"],
            Fichier: nombres["document"],
        }
        return Reserve(premiers, {m: _reserver_ids(session, m, k) for m, k in ids.items() if k})

    def _lignes(
        self,
        positions: list[Position],
        reserve: Reserve,
        variantes: dict[int, int],
        suffixes: dict[int, int],
    ) -> dict[type, list[dict]]:
        """The batch's rows, table by table in the order they go in (parents first)."""
        opco, siren, identites = self.opco, self.siren, self.identites
        lignes: dict[type, list[dict]] = {m: [] for m in TABLES}
        suite = Suite(reserve)
        for k, p in enumerate(positions):
            g, seq, ident = self.gabarits[p.cle], suite.numero("dossier"), suite.id(Dossier)
            debut = g.colonnes["date_debut_contrat"]
            apprenti = identites.apprenti(seq - 1, debut, variantes.get(k, 0), g.tranche)
            cerfa = appliquer_identite(g.cerfa, apprenti, identites.maitre(seq - 1))
            # The establishment follows the apprentice (a renamed one is then still a duplicate).
            cle = f"{apprenti['nom']}|{apprenti['prenom']}|{apprenti['dateNaissance']}"
            cerfa["employeur"] = etablissement_employeur(
                cerfa["employeur"], zlib.crc32(cle.encode())
            )
            numero_deca = None
            if g.numero_deca:
                numero_deca = engagements.deca(cerfa, p.etapes["decision"], suite.numero("deca"))
            for nom, avant, apres, cause, acteur in g.evenements:
                if numero_deca:
                    cause = cause.replace(g.numero_deca, numero_deca)
                lignes[EvenementDossier].append(
                    {
                        "dossier_id": ident,
                        "horodatage": p.etapes[nom],
                        "etat_avant": avant,
                        "etat_apres": apres,
                        "cause": cause,
                        "acteur": acteur,
                    }
                )
            dossier = {
                **g.colonnes,
                **dossiers.colonnes_contrat(CerfaVue.de(cerfa)),
                "id": ident,
                "opco_id": opco.id,
                "numero_interne": opco.numero_interne(seq, p.reception),
                "numero_externe": opco.numero_externe(seq, p.reception),
                "numero_deca": numero_deca,
                "cfa_siren": siren,
                "rang": suite.numero("rang"),
                # Refused or cancelled: the key no longer counts (cycle_de_vie.appliquer).
                **({} if g.garde_cle_doublon else {"cle_doublon": None}),
                "cerfa": cerfa,
                "recu_le": p.reception,
                "maj_le": p.etapes[g.evenements[-1][0]],
                "prochaine_action_le": p.reception + g.delai_action if g.delai_action else None,
            }
            lignes[Dossier].append(dossier)
            echeances = [suite.id(Echeance) for _ in g.echeances]
            lignes[Echeance] += [
                {**e, "id": i, "dossier_id": ident}
                for e, i in zip(g.echeances, echeances, strict=True)
            ]
            lignes[FraisAnnexeEngage] += [{**f, "dossier_id": ident} for f in g.frais]
            if g.factures or g.certificats:
                self._pieces(lignes, g, p, dossier, echeances, suite, suffixes)
        return lignes

    def _pieces(
        self,
        lignes: dict[type, list[dict]],
        g: Gabarit,
        p: Position,
        dossier: dict[str, Any],
        echeances: list[int],
        suite: Suite,
        suffixes: dict[int, int],
    ) -> None:
        """The dossier's own copy of the template's final certificat and paid invoices: its
        own ids, document, invoice and transfer numbers, CFA rank and number, times."""
        depot, reglement = p.etapes["facture"], p.etapes["solde"]

        def fichier(modele: dict[str, Any]) -> int:
            ident = suite.id(Fichier)
            numero = fichiers.numero_document(suite.numero("document"))
            lignes[Fichier].append({**modele, "id": ident, "numero": numero, "recu_le": depot})
            return ident

        for c in g.certificats:
            contenu = c.colonnes["contenu"]
            lignes[Certificat].append(
                {
                    **c.colonnes,
                    "dossier_id": dossier["id"],
                    "fichier_id": fichier(c.fichier),
                    "recu_le": depot,
                    "contenu": certificat(
                        contenu["typeCertificat"],
                        dossier["numero_interne"],
                        dossier["cerfa"],
                        contenu["echeance"],
                        depot.date(),
                    ),
                }
            )
        for f in g.factures:
            ident, rang = suite.id(Facture), suite.numero(f"factures:{self.siren}")
            numero = numero_facture_cfa(depot.date(), rang, suffixes.get(len(lignes[Facture])))
            reference = None
            if f.payee:
                reference = factures.reference_virement(
                    self.opco.id, reglement, suite.numero("virement")
                )
            reglee = f.colonnes["etat"] == EtatFacture.REGLE
            contenu = f.colonnes["contenu"]
            lignes[Facture].append(
                {
                    **f.colonnes,
                    "id": ident,
                    "opco_id": self.opco.id,
                    "cfa_siren": self.siren,
                    "rang": rang,
                    "numero_interne": factures.numero_interne(suite.numero("facture")),
                    "numero": numero,
                    "numero_actif": numero,
                    "date_emission": depot.date(),
                    "reference_virement": reference,
                    "date_reglement": reglement.date() if reglee else None,
                    "fichier_id": fichier(f.fichier),
                    "recue_le": depot,
                    "reglement_prevu_le": None,
                    "contenu": {
                        **contenu,
                        "numero": numero,
                        "dateEmission": depot.date().isoformat(),
                        "lignes": [
                            {
                                **ligne,
                                "numeroDossier": dossier["numero_externe"],
                                "numeroDeca": dossier["numero_deca"],
                            }
                            for ligne in contenu["lignes"]
                        ],
                    },
                }
            )
            lignes[LigneFacture] += [
                {
                    **ligne,
                    "facture_id": ident,
                    "dossier_id": dossier["id"],
                    "echeance_id": None if i is None else echeances[i],
                }
                for ligne, i in zip(f.lignes, f.echeances, strict=True)
            ]


# Tables of a batch, in the order their rows go in (a row only points to rows before it).
TABLES = (
    Dossier,
    EvenementDossier,
    Echeance,
    FraisAnnexeEngage,
    Fichier,
    Facture,
    LigneFacture,
    Certificat,
)


@dataclass(frozen=True)
class Reserve:
    """What one batch reserved: the first value of each counter it takes numbers from (the
    OPCO's sequences by name, "rang" for the CFA's dossier ranks) and ids by table."""

    premiers: dict[str, int]
    ids: dict[type, list[int]]


class Suite:
    """The next reserved number of each counter and the next reserved id of each table, in
    the order the batch's rows are built (the same at every build of the batch)."""

    def __init__(self, reserve: Reserve) -> None:
        self._valeurs = dict(reserve.premiers)
        self._ids = {modele: iter(ids) for modele, ids in reserve.ids.items()}

    def numero(self, compteur: str) -> int:
        valeur = self._valeurs[compteur]
        self._valeurs[compteur] = valeur + 1
        return valeur

    def id(self, modele: type) -> int:
        return next(self._ids[modele])


def _reserver_ids(session: Session, modele: type, nombre: int) -> list[int]:
    """`nombre` ids of the table of `modele` nobody else will take (other rows point to them)."""
    if session.get_bind().dialect.name == "postgresql":
        # From the table's own sequence, as any INSERT would: concurrent inserts never clash.
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": modele.__tablename__, "n": nombre},
            )
        )
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE); a rowid table hands
    # out max(id) + 1 next.
    premier = (session.scalar(select(func.max(modele.id))) or 0) + 1
    return list(range(premier, premier + nombre))


def _inserer(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert: one Core executemany, or on PostgreSQL a COPY in the same transaction
    (its executemany runs one INSERT per row, several times slower for these wide rows)."""
    connexion = session.connection()
    if connexion.dialect.name != "postgresql":
        connexion.execute(table.insert(), rows)
        return
    colonnes = list(rows[0])
    serialiser = connexion.dialect._json_serializer or json.dumps
    en_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    brute = connexion.connection.driver_connection
    with (
        brute.cursor() as curseur,
        curseur.copy(f"COPY {table.name} ({', '.join(colonnes)}) FROM STDIN") as copie,
    ):
        for row in rows:
            copie.write_row(
                [
                    serialiser(row[c]) if c in en_json and row[c] is not None else row[c]
                    for c in colonnes
                ]
            )


def _deja_pris(
    session: Session,
    colonne: InstrumentedAttribute[Any],
    valeurs: list[str | None],
    *ou: ColumnElement[bool],
) -> set[str]:
    """Those of `valeurs` that a row matching `ou` already has in `colonne`."""
    wanted = [v for v in valeurs if v is not None]
    pris: set[str] = set()
    for i in range(0, len(wanted), 500):
        pris.update(session.scalars(select(colonne).where(*ou, colonne.in_(wanted[i : i + 500]))))
    return pris
