"""Benchmark: the sandbox against the framework floor and Stoplight Prism (mock mode), same
requests, same load: requests/s, p50, p99 and peak RSS per scenario, and the ratios
sandbox/floor and sandbox/Prism.

Usage: python bench/comparatif.py [--base postgresql|sqlite] [--workers 2] [--duree 10]
                                  [--connexions 16] [--scenarios jeton,dossiers,...]
                                  [--cibles sandbox,plancher,prism]

Every target is a real process on loopback, driven by wrk (one thread, --connexions keep-alive
connections, --duree seconds after a 2 s warm-up per scenario) replaying a request plan written
here (bench/wrk/plan.lua); the measured run goes on in the plan where the warm-up stopped.

  sandbox   `opco-server run` (--workers processes) serves spec/openapi.yaml under /akto and
            really does the work: token stored, Cerfa checked by every transmission rule and
            persisted, dossiers read back, invoices checked and stored with their PDF.
  plancher  the framework floor: connexion 3.3's FlaskApp (bench/plancher/) answering the same
            methods, paths and bodies with handlers that return a dict, behind uvicorn (same
            h11 protocol, same --workers): the cost of connexion + Flask + uvicorn for the
            request, which no work of the sandbox's own can go below. A form for the token
            (small schema), JSON (`type: object`) for a Cerfa, multipart (`type: object`) for
            an invoice, one typed query parameter for a read.
  prism     Stoplight Prism serves spec/openapi.yaml at the root: a stateless mock that
            validates the request and returns the spec's example.

Scenarios:
  jeton      POST /connect/token (client credentials)
  dossiers   POST /v1/dossiers, a full valid Cerfa, a new apprentice each time
  consulter  GET /v2/dossiers?numeroInterne=… over the dossiers created above
  etats      GET /v2/dossiers/etats?numeroPage=… over every page of the CFA
  factures   POST /v1/factures (multipart: invoice JSON + PDF), one échéance per request

Every request of every scenario is a valid one: the goal is 0 errors. The sandbox's clock is
frozen first (bench.outils.figer_horloge, the day the demo contract passes every rule), then
`--semis` dossiers are generated at that date (`opco-server seed`: every state, most engaged).
An invoice can be accepted once per échéance only (a second one is INV_DUPLICATE, the échéance
being under instruction), and only on an échéance open at the clock's date
(INV_ECHEANCE_NOT_OPEN), of an engaged dossier (INV_DOSSIER_NOT_ENGAGED). So the factures plan
bills, each once, every échéance open at the frozen date, not yet invoiced, of every engaged
dossier of the CFA (the final balance excepted: it asks for a completion certificate), for
exactly what is left of it, with a number of its own for each request (`FAC-__NOM__`, replaced
by plan.lua). wrk replays a plan in a loop: the plan is never replayed as long as the warm-up
and the measure together send fewer invoices than it holds (a few thousand: 6 000 dossiers
seeded give one per engaged dossier at least); if they do, the table says so (`plan épuisé`).

wrk comes from Debian (`apt-get install wrk`), Prism from npm (bench/prism/package.json,
installed on first use into bench/prism/node_modules).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.outils import (
    INSTANT_BENCH,
    PDF_MINIMAL,
    ROOT,
    ClientNorme,
    Serveur,
    contrat_exemple,
    entetes_norme,
    facture_pour,
    figer_horloge,
    jeton,
    port_libre,
    requete,
    rss_arbre,
    serveur,
)

BENCH = ROOT / "bench"
PRISM_DIR = BENCH / "prism"
PG_ADMIN = os.environ.get("OPCO_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCENARIOS = ("jeton", "dossiers", "consulter", "etats", "factures")
CIBLES = ("sandbox", "plancher", "prism")
BOUNDARY = "opcobenchfrontiere"


# ------------------------------------------------------------------ tools


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        return shutil.which("wrk") or "wrk"
    raise SystemExit("wrk est introuvable : installez-le (apt-get install wrk).")


def prism_path() -> Path:
    prism = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        print("Installation de Prism (npm)…", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", "--silent"],
            check=True,
        )
    return prism


@contextmanager
def base_postgresql() -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    import psycopg

    nom = f"opco_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{nom}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + nom
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{nom}" WITH (FORCE)')


@dataclass
class Cible:
    cle: str  # "sandbox", "plancher" or "prism"
    nom: str
    prefixe: str  # "/akto" for the sandbox, "" for the others
    base_url: str
    pid: int


@contextmanager
def processus(cmd: list[str], sonde: str, nom: str) -> Iterator[tuple[str, int]]:
    """A server started in its own process group on a free port (`{port}` in cmd), once its
    `sonde` path answers 200; (base URL, pid). The whole group is stopped on exit."""
    port = port_libre()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    process = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{nom} s'est arrêté au démarrage (code {process.returncode}).")
            try:
                status, _ = requete("GET", f"{base}{sonde}", headers=entetes_norme("x"))
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit(f"{nom} n'a pas démarré.")
        yield base, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def prism() -> Iterator[Cible]:
    cmd = [str(prism_path()), "mock", "-h", "127.0.0.1", "-p", "{port}", "-v", "warn"]
    cmd.append(str(ROOT / "spec" / "openapi.yaml"))
    with processus(cmd, "/v1/status", "Prism") as (base, pid):
        yield Cible("prism", "Prism", "", base, pid)


@contextmanager
def plancher(workers: int) -> Iterator[Cible]:
    """The framework floor (bench/plancher/), uvicorn with the sandbox's worker count and
    HTTP protocol (h11), no access log."""
    cmd = [sys.executable, "-m", "uvicorn", "bench.plancher.app:app", "--host", "127.0.0.1"]
    cmd += ["--port", "{port}", "--http", "h11", "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    with processus(cmd, "/v2/dossiers/etats?numeroPage=1", "Le plancher") as (base, pid):
        yield Cible("plancher", f"Plancher ({workers} processus)", "", base, pid)


# ------------------------------------------------------------------ plans


def plan(entetes: dict[str, str], requetes: list[tuple[str, str, str, bytes]]) -> bytes:
    out = bytearray()
    for nom, valeur in entetes.items():
        out += f"H {nom}: {valeur}\n".encode()
    for methode, chemin, type_contenu, corps in requetes:
        out += f"R {methode} {chemin} {type_contenu or '-'} {len(corps)}\n".encode()
        out += corps + b"\n"
    return bytes(out)


def corps_dossier() -> bytes:
    contrat = contrat_exemple()
    contrat["cerfa"]["apprenti"]["nom"] = "__NOM__"
    return json.dumps(contrat, ensure_ascii=False).encode()


def multipart(facture: dict) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="facture"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(facture)}\r\n".encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="fichier"; '
        f'filename="{facture["numero"]}.pdf"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + PDF_MINIMAL
        + b"\r\n",
        f"--{BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts)


def echeances_a_facturer(dossier: dict, jour: str) -> list[int]:
    """Numbers of the dossier's échéances that one invoice each can bill on `jour`: open,
    neither under instruction nor paid, something left to bill, not the final balance."""
    avec_montant = [e["numero"] for e in dossier["echeances"] if e["montantTotal"] > 0]
    dernier = max(avec_montant, default=None)
    numeros = []
    for e in dossier["echeances"]:
        reste = e["montantTotal"] - e["montantRegle"] - e["montantEnCoursInstruction"]
        if e["dateOuverture"] > jour or e["montantEnCoursInstruction"] > 0 or reste <= 0:
            continue
        if e.get("nature") == "SOLDE" and e["numero"] == dernier:
            continue
        numeros.append(e["numero"])
    return numeros


def factures_a_emettre(client: ClientNorme, lignes: list[dict], limite: int) -> list[bytes]:
    """One invoice per open échéance of every engaged dossier (états lines) at the frozen
    clock's date, each échéance once; the number is `FAC-__NOM__`, one per request."""
    jour = INSTANT_BENCH[:10]
    engages = [ligne["numeroInterne"] for ligne in lignes if ligne["etat"] == "ENGAGE"]
    corps: list[bytes] = []
    for dossier in client.dossiers(engages):
        for numero in echeances_a_facturer(dossier, jour):
            if len(corps) >= limite:
                return corps
            facture = facture_pour(dossier, "FAC-__NOM__", jour, numero)
            corps.append(multipart(facture))
    return corps


# ------------------------------------------------------------------ measure


@dataclass
class Mesure:
    scenario: str
    cible: str  # Cible.cle
    nom: str
    rps: float
    p50_ms: float
    p99_ms: float
    rss_pic_mo: float
    requetes: int
    erreurs: int
    plan_epuise: bool  # the sandbox's invoices: more sent than the plan holds (replayed)


def mesurer(
    wrk: str, cible: Cible, scenario: str, plan_path: Path, duree: int, connexions: int
) -> Mesure:
    def lancer(secondes: int, debut: int) -> dict:
        sel = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
        cmd = [wrk, "-t1", f"-c{connexions}", f"-d{secondes}s", "--timeout", "10s"]
        cmd += ["-s", str(BENCH / "wrk" / "plan.lua"), cible.base_url, "--", str(plan_path)]
        cmd += [sel, str(debut)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return json.loads([ligne for ligne in out.splitlines() if ligne.startswith("{")][-1])

    chauffe = lancer(2, 0)  # warm-up: connections, caches, JIT
    pic = [rss_arbre(cible.pid)]
    fin = threading.Event()

    def echantillonner() -> None:
        while not fin.wait(0.05):
            pic.append(rss_arbre(cible.pid))

    sampler = threading.Thread(target=echantillonner, daemon=True)
    sampler.start()
    r = lancer(duree, chauffe["appels"])  # on in the plan where the warm-up stopped
    fin.set()
    sampler.join()
    erreurs = sum(r[k] for k in ("erreurs_statut", "erreurs_connexion", "erreurs_lecture"))
    erreurs += r["erreurs_ecriture"] + r["delais"]
    return Mesure(
        scenario,
        cible.cle,
        cible.nom,
        r["requetes"] / (r["duree_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p99_us"] / 1000,
        max(pic) / 2**20,
        r["requetes"],
        erreurs,
        # Only the sandbox's invoices are one-shot: a stateless server answers a replay alike.
        cible.cle == "sandbox"
        and scenario == "factures"
        and chauffe["appels"] + r["appels"] > r["taille"],
    )


def ecrire_plan(travail: Path, cible: Cible, scenario: str, donnees: dict) -> Path:
    p = cible.prefixe
    if scenario == "jeton":
        form = (
            b"grant_type=client_credentials&client_id=demo-editeur"
            b"&client_secret=demo-secret-a-ne-pas-utiliser-en-production"
        )
        entetes: dict[str, str] = {}
        requetes = [("POST", f"{p}/connect/token", "application/x-www-form-urlencoded", form)]
    elif cible.cle == "sandbox":
        entetes = entetes_norme(jeton(f"{cible.base_url}/akto"))
    else:
        entetes = entetes_norme(f"jeton-{cible.cle}")
    if scenario == "dossiers":
        requetes = [("POST", f"{p}/v1/dossiers", "application/json", corps_dossier())]
    elif scenario == "consulter":
        requetes = [
            ("GET", f"{p}/v2/dossiers?numeroInterne={n}", "", b"") for n in donnees["numeros"]
        ]
    elif scenario == "etats":
        requetes = [
            ("GET", f"{p}/v2/dossiers/etats?numeroPage={page}", "", b"")
            for page in range(1, donnees["pages"] + 1)
        ]
    elif scenario == "factures":
        type_contenu = f"multipart/form-data;boundary={BOUNDARY}"
        requetes = [("POST", f"{p}/v1/factures", type_contenu, c) for c in donnees["factures"]]
    chemin = travail / f"{cible.cle}-{scenario}.plan"
    chemin.write_bytes(plan(entetes, requetes))
    return chemin


def preparer_donnees(srv: Serveur, factures_max: int) -> dict[str, list]:
    """Numbers to read back, the CFA's page count, and invoices on engaged dossiers."""
    client = ClientNorme(srv)
    lignes: list[dict] = []
    pages = 0
    while True:
        _status, body = requete(
            "GET", f"{client.base}/v2/dossiers/etats?numeroPage={pages + 1}", headers=client.entetes
        )
        page = json.loads(body)["EtatDossierResult"]
        if not page:
            break
        pages += 1
        lignes += page
    return {
        "numeros": [ligne["numeroInterne"] for ligne in lignes[:5000]],
        "pages": max(pages, 1),
        "factures": factures_a_emettre(client, lignes, factures_max),
    }


def semer(database_url: str, nombre: int) -> None:
    """Engaged dossiers (and every other state) to invoice, through `opco-server seed`, at
    the date of the sandbox's clock (frozen before: the seed reads it from the database)."""
    cmd = [sys.executable, "-m", "opco_server", "seed", "--dossiers", str(nombre)]
    subprocess.run([*cmd, "--database", database_url], cwd=ROOT, check=True)


def _liste(texte: str, admis: tuple[str, ...], option: str) -> list[str]:
    choisis = [x.strip() for x in texte.split(",") if x.strip()]
    inconnus = [x for x in choisis if x not in admis]
    if inconnus or not choisis:
        raise SystemExit(f"{option} : valeurs admises {', '.join(admis)} (reçu : {texte!r}).")
    return choisis


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--workers", type=int, default=2, help="processus de la sandbox et du plancher"
    )
    parser.add_argument("--duree", type=int, default=10, help="secondes mesurées par scénario")
    parser.add_argument("--connexions", type=int, default=16)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--cibles",
        default=",".join(CIBLES),
        help="serveurs mesurés : sandbox, plancher (connexion + Flask + uvicorn seuls), prism",
    )
    parser.add_argument("--semis", type=int, default=6000, help="dossiers semés avant la mesure")
    args = parser.parse_args()
    scenarios = _liste(args.scenarios, SCENARIOS, "--scenarios")
    cibles = _liste(args.cibles, CIBLES, "--cibles")
    wrk = wrk_path()
    if "prism" in cibles:
        prism_path()
    travail = Path(tempfile.mkdtemp(prefix="opco-bench-"))

    @contextmanager
    def base() -> Iterator[str]:
        if args.base == "sqlite":
            yield f"sqlite:///{travail / 'comparatif.sqlite3'}"
        else:
            with base_postgresql() as url:
                yield url

    mesures: list[Mesure] = []
    ordre = [s for s in SCENARIOS if s in scenarios]
    donnees: dict = {"numeros": [], "pages": 1, "factures": []}

    def mesurer_cible(cible: Cible, scenario: str) -> None:
        chemin = ecrire_plan(travail, cible, scenario, donnees)
        mesures.append(mesurer(wrk, cible, scenario, chemin, args.duree, args.connexions))
        print(_ligne(mesures[-1]), file=sys.stderr)

    # The sandbox runs in any case: its data (dossiers, pages, échéances) make every plan.
    with base() as url, serveur(url, workers=args.workers, journal=travail / "serveur.log") as srv:
        figer_horloge(srv)
        if "factures" in ordre:
            semer(url, args.semis)
        sandbox = Cible(
            "sandbox",
            f"Sandbox ({args.base}, {args.workers} processus)",
            "/akto",
            srv.base_url,
            srv.process.pid,
        )
        # The sandbox first: its dossiers scenario creates what consulter and etats read.
        for scenario in ordre:
            if scenario in ("consulter", "etats", "factures") and not donnees["numeros"]:
                donnees = preparer_donnees(srv, factures_max=40_000)
                if "factures" in ordre:
                    print(f"{len(donnees['factures'])} échéances à facturer", file=sys.stderr)
            if "sandbox" in cibles:
                mesurer_cible(sandbox, scenario)
        if "plancher" in cibles:
            with plancher(args.workers) as floor:
                for scenario in ordre:
                    mesurer_cible(floor, scenario)
        if "prism" in cibles:
            with prism() as mock:
                for scenario in ordre:
                    mesurer_cible(mock, scenario)
    imprimer(mesures, args)
    return 0


def _ligne(m: Mesure) -> str:
    return (
        f"{m.nom:<34} {m.scenario:<10} {m.rps:8.0f} req/s  p50 {m.p50_ms:7.1f} ms  "
        f"p99 {m.p99_ms:7.1f} ms  RSS max {m.rss_pic_mo:6.0f} Mo  erreurs {m.erreurs}"
        + ("  (plan épuisé)" if m.plan_epuise else "")
    )


def _ratio(a: Mesure | None, b: Mesure | None) -> str:
    return f"{a.rps / b.rps:.2f}" if a and b and b.rps else "—"


def _rps(m: Mesure | None) -> str:
    if m is None:
        return "—"
    notes = [f"{m.erreurs} erreurs"] if m.erreurs else []
    notes += ["plan épuisé"] if m.plan_epuise else []
    return f"{m.rps:.0f}" + (f" ({', '.join(notes)})" if notes else "")


def imprimer(mesures: list[Mesure], args: argparse.Namespace) -> None:
    print(
        f"\n{os.cpu_count()} cœurs, base {args.base}, {args.workers} processus (sandbox et "
        f"plancher), wrk 1 fil × {args.connexions} connexions, {args.duree} s par scénario "
        "(après 2 s de chauffe). Latences en ms.\n"
    )
    par = {(m.cible, m.scenario): m for m in mesures}
    print(
        "| Scénario | Sandbox req/s | p50 | p99 | erreurs | Plancher req/s | Prism req/s "
        "| Sandbox / plancher | Sandbox / Prism |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in dict.fromkeys(m.scenario for m in mesures):
        s, f, p = (par.get((c, scenario)) for c in CIBLES)
        colonnes = ["—"] * 4
        if s is not None:
            epuise = " (plan épuisé)" if s.plan_epuise else ""
            colonnes = [
                f"{s.rps:.0f}",
                f"{s.p50_ms:.1f}",
                f"{s.p99_ms:.1f}",
                f"{s.erreurs}{epuise}",
            ]
        print(
            f"| {scenario} | {' | '.join(colonnes)} | {_rps(f)} | {_rps(p)} "
            f"| {_ratio(s, f)} | {_ratio(s, p)} |"
        )
    print("\n| Scénario | Cible | req/s | p50 | p99 | RSS max | erreurs |")
    print("|---|---|---|---|---|---|---|")
    for m in mesures:
        print(
            f"| {m.scenario} | {m.nom} | {m.rps:.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} "
            f"| {m.rss_pic_mo:.0f} Mo | {m.erreurs} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
