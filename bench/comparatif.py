"""Benchmark: the sandbox against Stoplight Prism (mock mode) on the same spec, same requests,
same load: requests/s, p50, p99 and peak RSS per scenario, and the ratio sandbox/Prism.

Usage: python bench/comparatif.py [--base postgresql|sqlite] [--workers 2] [--duree 10]
                                  [--connexions 16] [--scenarios jeton,dossiers,...]

Both servers are real processes on loopback, driven by wrk (one thread, --connexions keep-alive
connections, --duree seconds after a 2 s warm-up per scenario) replaying a request plan written
here (bench/wrk/plan.lua). Prism serves spec/openapi.yaml at the root (a stateless mock that
validates the request and returns the spec's example); the sandbox serves it under /akto and
really does the work: token stored, Cerfa checked by every transmission rule and persisted,
dossiers read back, invoices checked and stored with their PDF.

Scenarios:
  jeton      POST /connect/token (client credentials)
  dossiers   POST /v1/dossiers, a full valid Cerfa, a new apprentice each time
  consulter  GET /v2/dossiers?numeroInterne=… over the dossiers created above
  etats      GET /v2/dossiers/etats?numeroPage=… over every page of the CFA
  factures   POST /v1/factures (multipart: invoice JSON + PDF) on engaged dossiers' échéances

wrk comes from Debian (`apt-get install wrk`), Prism from npm (bench/prism/package.json,
installed on first use into bench/prism/node_modules).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
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
    ROOT,
    contrat_exemple,
    entetes_norme,
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
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
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
    nom: str
    prefixe: str  # "/akto" for the sandbox, "" for Prism
    base_url: str
    pid: int


@contextmanager
def prism() -> Iterator[Cible]:
    port = port_libre()
    cmd = [str(prism_path()), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn"]
    cmd.append(str(ROOT / "spec" / "openapi.yaml"))
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = requete("GET", f"{base}/v1/status", headers=entetes_norme("x"))
                if status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("Prism n'a pas démarré.")
        yield Cible("Prism", "", base, process.pid)
    finally:
        process.terminate()
        process.wait(10)


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
        + PDF
        + b"\r\n",
        f"--{BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts)


def factures_a_emettre(
    base: str, entetes: dict[str, str], lignes: list[dict], limite: int
) -> list[bytes]:
    """One invoice per engaged dossier of the CFA (états lines), on its first échéance."""
    corps: list[bytes] = []
    for ligne in lignes:
        if ligne["etat"] != "ENGAGE":
            continue
        if len(corps) >= limite:
            break
        _, detail = requete(
            "GET", f"{base}/v2/dossiers?numeroInterne={ligne['numeroInterne']}", headers=entetes
        )
        dossier = json.loads(detail)
        echeance = dossier["echeances"][0]
        montant = echeance["montantTotal"]
        facture = {
            "numero": f"BENCH-{secrets.token_hex(6)}",
            "dateEmission": dossier["cerfa"]["contrat"]["dateDebutContrat"],
            "ibanEmetteur": "FR7630004000010001234567830",
            "siretEmetteur": dossier["cerfa"]["organismeFormation"]["siret"],
            "estCertificatRealisation": False,
            "montantTotal": montant,
            "lignes": [
                {
                    "montant": montant,
                    "natureLigne": "PEDAGOGIE",
                    "quantite": 1,
                    "numeroEcheance": echeance["numero"],
                    "codificationEcheance": echeance["codification"],
                    "numeroDeca": dossier["cerfa"]["numeroDeca"],
                    "numeroDossier": dossier["cerfa"]["numeroExterne"],
                }
            ],
        }
        corps.append(multipart(facture))
    return corps


# ------------------------------------------------------------------ measure


@dataclass
class Mesure:
    scenario: str
    cible: str
    rps: float
    p50_ms: float
    p99_ms: float
    rss_pic_mo: float
    requetes: int
    erreurs: int


def mesurer(
    wrk: str, cible: Cible, scenario: str, plan_path: Path, duree: int, connexions: int
) -> Mesure:
    def lancer(secondes: int) -> dict:
        sel = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
        cmd = [wrk, "-t1", f"-c{connexions}", f"-d{secondes}s", "--timeout", "10s"]
        cmd += ["-s", str(BENCH / "wrk" / "plan.lua"), cible.base_url, "--", str(plan_path), sel]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return json.loads([ligne for ligne in out.splitlines() if ligne.startswith("{")][-1])

    lancer(2)  # warm-up: connections, caches, JIT
    pic = [rss_arbre(cible.pid)]
    fin = threading.Event()

    def echantillonner() -> None:
        while not fin.wait(0.05):
            pic.append(rss_arbre(cible.pid))

    sampler = threading.Thread(target=echantillonner, daemon=True)
    sampler.start()
    r = lancer(duree)
    fin.set()
    sampler.join()
    erreurs = sum(r[k] for k in ("erreurs_statut", "erreurs_connexion", "erreurs_lecture"))
    erreurs += r["erreurs_ecriture"] + r["delais"]
    return Mesure(
        scenario,
        cible.nom,
        r["requetes"] / (r["duree_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p99_us"] / 1000,
        max(pic) / 2**20,
        r["requetes"],
        erreurs,
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
    else:
        entetes = entetes_norme(jeton(f"{cible.base_url}/akto") if p else "jeton-prism")
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
    chemin = travail / f"{cible.prefixe.strip('/') or 'prism'}-{scenario}.plan"
    chemin.write_bytes(plan(entetes, requetes))
    return chemin


def preparer_donnees(base: str, factures_max: int) -> dict[str, list]:
    """Numbers to read back, the CFA's page count, and invoices on engaged dossiers."""
    entetes = entetes_norme(jeton(base))
    lignes: list[dict] = []
    pages = 0
    while True:
        _status, body = requete(
            "GET", f"{base}/v2/dossiers/etats?numeroPage={pages + 1}", headers=entetes
        )
        page = json.loads(body)["EtatDossierResult"]
        if not page:
            break
        pages += 1
        lignes += page
    return {
        "numeros": [ligne["numeroInterne"] for ligne in lignes[:5000]],
        "pages": max(pages, 1),
        "factures": factures_a_emettre(base, entetes, lignes, factures_max),
    }


def semer(database_url: str, nombre: int) -> None:
    """Engaged dossiers (and every other state) to invoice, through `opco-server seed`."""
    cmd = [sys.executable, "-m", "opco_server", "seed", "--dossiers", str(nombre)]
    subprocess.run([*cmd, "--database", database_url], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duree", type=int, default=10, help="secondes mesurées par scénario")
    parser.add_argument("--connexions", type=int, default=16)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--semis", type=int, default=6000, help="dossiers semés avant la mesure")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    wrk = wrk_path()
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

    with base() as url, serveur(url, workers=args.workers, journal=travail / "serveur.log") as srv:
        if "factures" in ordre:
            semer(url, args.semis)
        sandbox = Cible(
            f"Sandbox ({args.base}, {args.workers} processus)",
            "/akto",
            srv.base_url,
            srv.process.pid,
        )
        # The sandbox first: its dossiers scenario creates what consulter and etats read.
        for scenario in ordre:
            if scenario in ("consulter", "etats", "factures") and not donnees["numeros"]:
                donnees = preparer_donnees(srv.url("akto"), factures_max=40_000)
            mesurer_cible(sandbox, scenario)
        with prism() as mock:
            for scenario in ordre:
                mesurer_cible(mock, scenario)
    imprimer(mesures, args)
    return 0


def _ligne(m: Mesure) -> str:
    return (
        f"{m.cible:<34} {m.scenario:<10} {m.rps:8.0f} req/s  p50 {m.p50_ms:7.1f} ms  "
        f"p99 {m.p99_ms:7.1f} ms  RSS max {m.rss_pic_mo:6.0f} Mo  erreurs {m.erreurs}"
    )


def imprimer(mesures: list[Mesure], args: argparse.Namespace) -> None:
    print(
        f"\n{os.cpu_count()} cœurs, wrk 1 thread × {args.connexions} connexions, "
        f"{args.duree} s par scénario (après 2 s de chauffe)\n"
    )
    print("| Scénario | Cible | req/s | p50 | p99 | RSS max | erreurs | req/s sandbox/Prism |")
    print("|---|---|---|---|---|---|---|---|")
    prism_par = {m.scenario: m for m in mesures if m.cible == "Prism"}
    for m in mesures:
        ratio = ""
        if m.cible != "Prism" and m.scenario in prism_par:
            ratio = f"{m.rps / prism_par[m.scenario].rps:.2f}"
        print(
            f"| {m.scenario} | {m.cible} | {m.rps:.0f} | {m.p50_ms:.1f} ms | {m.p99_ms:.1f} ms "
            f"| {m.rss_pic_mo:.0f} Mo | {m.erreurs} | {ratio} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
