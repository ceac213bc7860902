"""Durability: SIGKILL the server in the middle of a write load, restart, lose nothing.

Usage: python bench/durabilite.py [--database URL] [--workers N] [--duree S] [--cycles K]

Each cycle starts `opco-server run` (bench.outils.serveur) on the same database, runs a
concurrent write load of dossiers and invoices (POST /v1/dossiers, POST /v1/factures on
engaged dossiers), records every acknowledged write (2xx) with its identifiers, kills the whole
server with SIGKILL at a random moment of the load, restarts it, and checks through the norm's
API that every acknowledged dossier and invoice is there and intact, that the états list them
with contiguous ranks, and that writing resumes with the next numbers. Default database: a
temporary SQLite file; for PostgreSQL give an empty database (--database postgresql://...).
Exit status 1 if anything acknowledged was lost or the server answered a 5xx.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import outils

MAGIE_ENGAGE = "SANDBOX-ENGAGE"  # engaged at instruction without a convention (README)


@dataclass
class Acquittes:
    """What the server acknowledged (2xx), as the clients recorded it."""

    # numeroInterne -> (numeroExterne, nom, prénom)
    dossiers: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # numeroInterneFacture -> (numéro du CFA, numeroInterne du dossier, montant)
    factures: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    statuts: Counter = field(default_factory=Counter)
    erreurs_5xx: list[str] = field(default_factory=list)
    verrou: threading.Lock = field(default_factory=threading.Lock)

    def statut(self, operation: str, status: int, body: object) -> bool:
        with self.verrou:
            self.statuts[status] += 1
            if status >= 500:
                self.erreurs_5xx.append(f"{operation} : {status} {body}")
        return 200 <= status < 300


@dataclass
class Bilan:
    """One kill cycle."""

    dossiers_acquittes: int
    factures_acquittees: int
    dossiers_perdus: list[str]
    factures_perdues: list[str]
    alterations: list[str]  # acknowledged but changed (numbers, names, amounts)
    sans_reponse: int  # stored although the client never got the answer (killed before)
    anomalies: list[str]  # états, ranks, 5xx, resumption
    tue_apres_s: float
    redemarrage_s: float
    reprise: str

    @property
    def perdus(self) -> int:
        return len(self.dossiers_perdus) + len(self.factures_perdues) + len(self.alterations)

    @property
    def ok(self) -> bool:
        return not self.perdus and not self.anomalies


class Charge:
    """Concurrent writers until the server dies (or `arreter`), each write recorded when acked."""

    def __init__(self, srv: outils.Serveur, clients: int, graine: int) -> None:
        self.client = outils.ClientNorme(srv)
        self.acquittes = Acquittes()
        self.stop = threading.Event()
        self.premiere_facture = threading.Event()
        self.numeros = itertools.count(graine)  # unique apprentice names, across cycles too
        self.threads = [
            threading.Thread(target=self._boucle, args=(i % 2 == 1,), daemon=True)
            for i in range(clients)
        ]

    def demarrer(self) -> None:
        for t in self.threads:
            t.start()

    def arreter(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def _boucle(self, factures: bool) -> None:
        while not self.stop.is_set():
            try:
                if factures:
                    self._dossier_puis_facture()
                else:
                    self._dossier(outils.contrat_pour(outils.nom_unique(next(self.numeros))))
            except (OSError, http.client.HTTPException):
                # The server was killed under this request: no answer, nothing acknowledged.
                if not self.stop.is_set():
                    time.sleep(0.05)

    def _dossier(self, body: dict) -> dict | None:
        status, rep = self.client.transmettre(body)
        if not self.acquittes.statut("POST /v1/dossiers", status, rep):
            return None
        apprenti = body["cerfa"]["apprenti"]
        with self.acquittes.verrou:
            self.acquittes.dossiers[rep["numeroInterne"]] = (
                rep["numeroExterne"],
                apprenti["nom"],
                apprenti["prenom"],
            )
        return rep

    def _dossier_puis_facture(self) -> None:
        prenom = outils.nom_unique(next(self.numeros))
        cree = self._dossier(outils.contrat_pour(MAGIE_ENGAGE, prenom))
        if cree is None:
            return
        numero = cree["numeroInterne"]
        status, rep = self.client.engager(numero)
        if not self.acquittes.statut("instruction", status, rep):
            return
        status, dossier = self.client.dossier(numero)
        if not self.acquittes.statut("GET /v2/dossiers", status, dossier):
            return
        facture = outils.facture_pour(dossier, f"FAC-{prenom}", outils.INSTANT_BENCH[:10])
        status, rep = self.client.deposer_facture(facture)
        if self.acquittes.statut("POST /v1/factures", status, rep):
            with self.acquittes.verrou:
                self.acquittes.factures[rep["numeroInterneFacture"]] = (
                    facture["numero"],
                    numero,
                    facture["montantTotal"],
                )
            self.premiere_facture.set()


def totaux(srv: outils.Serveur) -> tuple[int, int]:
    """Dossiers and invoices the CFA has (totals of the états)."""
    client = outils.ClientNorme(srv)
    return client.etats_dossiers()[1], client.etats_factures()[1]


def verifier(
    srv: outils.Serveur, acquittes: Acquittes, avant: tuple[int, int]
) -> tuple[list, list, list, int, list]:
    """Read every acknowledged write back through the norm's API, on the restarted server."""
    client = outils.ClientNorme(srv)
    alterations, anomalies = [], []
    lus = {
        d["cerfa"]["numeroInterne"]: d["cerfa"] for d in client.dossiers(list(acquittes.dossiers))
    }
    dossiers_perdus = [n for n in acquittes.dossiers if n not in lus]
    for numero, (externe, nom, prenom) in acquittes.dossiers.items():
        cerfa = lus.get(numero)
        if cerfa is not None and (
            cerfa["numeroExterne"],
            cerfa["apprenti"]["nom"],
            cerfa["apprenti"]["prenom"],
        ) != (externe, nom, prenom):
            alterations.append(f"dossier {numero}")

    etats, total = client.etats_dossiers()
    numeros = [e["numeroInterne"] for e in etats]
    if len(numeros) != total or len(set(numeros)) != total:
        anomalies.append(f"états des dossiers : {len(numeros)} listés, total {total}")
    inattendus = set(acquittes.dossiers) - set(numeros)
    if inattendus:
        anomalies.append(f"{len(inattendus)} dossier(s) acquitté(s) absents des états")

    factures, total_f = client.etats_factures()
    par_numero = {f["numeroInterneFacture"]: f for f in factures}
    if len(par_numero) != total_f or len(factures) != total_f:
        anomalies.append(f"états des factures : {len(factures)} listées, total {total_f}")
    factures_perdues = [n for n in acquittes.factures if n not in par_numero]
    for numero, (reference, dossier, montant) in acquittes.factures.items():
        f = par_numero.get(numero)
        if f is not None and (
            f["referenceFactureCFA"],
            [d["numeroInterneDossier"] for d in f["dossiers"]],
            f["montantFacture"],
        ) != (reference, [dossier], montant):
            alterations.append(f"facture {numero}")
    sans_reponse = (total - avant[0] - len(acquittes.dossiers)) + (
        total_f - avant[1] - len(acquittes.factures)
    )
    return dossiers_perdus, factures_perdues, alterations, sans_reponse, anomalies


def reprendre(srv: outils.Serveur, graine: int) -> tuple[str, list[str]]:
    """Writing resumes: the next dossier and invoice numbers follow the last stored ones."""
    client = outils.ClientNorme(srv)
    anomalies = []
    etats, total = client.etats_dossiers()
    dernier = max((int(e["numeroInterne"]) for e in etats), default=0)
    factures, _ = client.etats_factures()
    derniere = max((int(f["numeroInterneFacture"][1:]) for f in factures), default=0)
    charge = Charge(srv, 0, graine)
    charge._dossier_puis_facture()
    acq = charge.acquittes
    if acq.erreurs_5xx or len(acq.dossiers) != 1 or len(acq.factures) != 1:
        anomalies.append(f"reprise : {dict(acq.statuts)} {acq.erreurs_5xx[:1]}")
        return "échec", anomalies
    (dossier,), (facture,) = acq.dossiers, acq.factures
    if int(dossier) != dernier + 1 or int(facture[1:]) != derniere + 1:
        anomalies.append(f"reprise : dossier {dossier} après {dernier}, facture {facture}")
    _, total_apres = client.etats_dossiers()
    if total_apres != total + 1:
        anomalies.append(f"reprise : total des états {total} → {total_apres}")
    return f"dossier {dossier}, facture {facture}", anomalies


@dataclass
class Coupure:
    """A load stopped by SIGKILL: what was acknowledged before, and the totals before it."""

    acquittes: Acquittes
    avant: tuple[int, int]
    tue_apres_s: float
    graine: int


def charger_puis_tuer(
    srv: outils.Serveur, duree: float, clients: int, rng: random.Random
) -> Coupure:
    """Run the write load on a running server and SIGKILL it at a random moment of it."""
    graine = rng.randrange(1, 10**6) * 10**6
    outils.figer_horloge(srv)
    avant = totaux(srv)
    charge = Charge(srv, clients, graine)
    debut = time.perf_counter()
    charge.demarrer()
    # Killed once both kinds of writes are under way (an invoice takes four requests).
    charge.premiere_facture.wait(60)
    time.sleep(max(0.0, rng.uniform(0.3, 1.0) * duree - (time.perf_counter() - debut)))
    srv.tuer()
    tue_apres = time.perf_counter() - debut
    charge.arreter()
    return Coupure(charge.acquittes, avant, tue_apres, graine)


def redemarrer_et_verifier(
    database_url: str, workers: int, coupure: Coupure, journal: Path | None = None
) -> Bilan:
    """Restart on the same database; everything acknowledged is there; writing resumes."""
    acquittes = coupure.acquittes
    with outils.serveur(database_url, workers=workers, journal=journal) as srv:
        dossiers_perdus, factures_perdues, alterations, sans_reponse, anomalies = verifier(
            srv, acquittes, coupure.avant
        )
        anomalies += acquittes.erreurs_5xx[:5]
        reprise, echecs = reprendre(srv, coupure.graine + 10**6 - 1)
        return Bilan(
            dossiers_acquittes=len(acquittes.dossiers),
            factures_acquittees=len(acquittes.factures),
            dossiers_perdus=dossiers_perdus,
            factures_perdues=factures_perdues,
            alterations=alterations,
            sans_reponse=sans_reponse,
            anomalies=anomalies + echecs,
            tue_apres_s=coupure.tue_apres_s,
            redemarrage_s=srv.demarrage_s,
            reprise=reprise,
        )


def cycle(
    database_url: str,
    workers: int = 2,
    duree: float = 10.0,
    clients: int = 8,
    rng: random.Random | None = None,
    journal: Path | None = None,
) -> Bilan:
    """Start, load, SIGKILL at a random moment, restart, verify, resume."""
    with outils.serveur(database_url, workers=workers, journal=journal) as srv:
        coupure = charger_puis_tuer(srv, duree, clients, rng or random.Random())
    return redemarrer_et_verifier(database_url, workers, coupure, journal)


def _s(x: float) -> str:
    return f"{x:.2f}".replace(".", ",") + " s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="URL de la base (défaut : un fichier SQLite temporaire)")
    parser.add_argument("--workers", type=int, default=2, help="processus du serveur (défaut : 2)")
    parser.add_argument("--duree", type=float, default=10.0, help="charge par cycle, en s")
    parser.add_argument("--cycles", type=int, default=3, help="arrêts brutaux (défaut : 3)")
    parser.add_argument("--clients", type=int, default=8, help="clients simultanés (défaut : 8)")
    parser.add_argument("--graine", type=int, help="graine du hasard (instant de l'arrêt)")
    args = parser.parse_args(argv)
    url = args.database or "sqlite:///" + str(Path(tempfile.mkdtemp()) / "durabilite.sqlite3")
    rng = random.Random(args.graine)
    print(
        f"Durabilité — base : {url}, {args.workers} processus, {args.clients} clients, "
        f"{args.cycles} cycle(s) de {_s(args.duree)} au plus"
    )
    bilans = []
    for k in range(1, args.cycles + 1):
        b = cycle(url, args.workers, args.duree, args.clients, rng)
        bilans.append(b)
        print(
            f"cycle {k} : SIGKILL après {_s(b.tue_apres_s)} — {b.dossiers_acquittes} dossiers et "
            f"{b.factures_acquittees} factures acquittés, {b.perdus} perdu(s) ; "
            f"{b.sans_reponse} écriture(s) enregistrée(s) sans réponse ; redémarrage en "
            f"{_s(b.redemarrage_s)} ; reprise : {b.reprise}"
        )
        for ligne in b.dossiers_perdus + b.factures_perdues + b.alterations + b.anomalies:
            print(f"  ! {ligne}")
    ecritures = sum(b.dossiers_acquittes + b.factures_acquittees for b in bilans)
    redemarrages = [b.redemarrage_s for b in bilans]
    print(
        f"Bilan : {ecritures} écritures acquittées "
        f"({sum(b.dossiers_acquittes for b in bilans)} dossiers, "
        f"{sum(b.factures_acquittees for b in bilans)} factures), "
        f"{sum(b.perdus for b in bilans)} perdue(s), {len(bilans)} cycle(s), redémarrage médian "
        f"{_s(statistics.median(redemarrages))} (max {_s(max(redemarrages))})"
    )
    return 0 if all(b.ok for b in bilans) else 1


if __name__ == "__main__":
    sys.exit(main())
