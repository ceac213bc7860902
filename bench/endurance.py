"""Benchmark: a bounded soak on loopback, journal on — no error, memory flat.

Usage: python bench/endurance.py [--base sqlite|postgresql] [--workers 1] [--requetes 100000]
                                 [--connexions 8] [--palier 20]

A mixed plan of the norm's calls, replayed in a loop by wrk: status, a new valid contract,
a contract with errors (400), a read of an existing dossier and of an unknown one (404), a
page of états, a key check. RSS (server and workers) is read after the first 1,000 requests,
then every `--palier` seconds until `--requetes` requests; the target is RSS at the end within
20 % of RSS after 1,000. Any 5xx or socket error is a failure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.comparatif import BENCH, base_postgresql, corps_dossier, plan, wrk_path
from bench.outils import contrat_exemple, entetes_norme, jeton, requete, serveur


def plan_mixte(base: str) -> bytes:
    token = jeton(f"{base}/akto")
    entetes = entetes_norme(token)
    status, corps = requete(
        "POST",
        f"{base}/akto/v1/dossiers",
        corps_dossier().replace(b"__NOM__", b"ENDURANCE"),
        {**entetes, "Content-Type": "application/json"},
    )
    assert status == 200, corps
    numero = json.loads(corps)["numeroInterne"]
    invalide = contrat_exemple()
    del invalide["cerfa"]["apprenti"]["nom"]
    invalide["cerfa"]["employeur"]["siret"] = "12345678901234"
    cle = entetes["X-API-KEY"]
    return plan(
        entetes,
        [
            ("GET", "/akto/v1/status", "", b""),
            ("POST", "/akto/v1/dossiers", "application/json", corps_dossier()),
            ("GET", f"/akto/v2/dossiers?numeroInterne={numero}", "", b""),
            ("POST", "/akto/v1/dossiers", "application/json", json.dumps(invalide).encode()),
            ("GET", "/akto/v2/dossiers/etats?numeroPage=1", "", b""),
            ("GET", "/akto/v2/dossiers?numeroInterne=9999999", "", b""),
            ("GET", f"/akto/v2/cfakeyinfo?siren=912345675&XAPIKEY={cle}", "", b""),
        ],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--requetes", type=int, default=100_000)
    parser.add_argument("--connexions", type=int, default=8)
    parser.add_argument("--palier", type=int, default=20, help="secondes entre deux relevés")
    args = parser.parse_args()
    wrk = wrk_path()
    travail = Path(tempfile.mkdtemp(prefix="opco-endurance-"))

    @contextmanager
    def base():
        if args.base == "sqlite":
            yield f"sqlite:///{travail / 'endurance.sqlite3'}"
        else:
            with base_postgresql() as url:
                yield url

    with base() as url, serveur(url, workers=args.workers) as srv:
        chemin = travail / "mixte.plan"
        chemin.write_bytes(plan_mixte(srv.base_url))
        total, releves, erreurs_5xx, erreurs_socket, secondes = 0, [], 0, 0, 0.0
        print(f"base {args.base}, {args.workers} processus, journal actif", file=sys.stderr)
        while total < args.requetes:
            duree = 5 if total < 1000 else args.palier
            cmd = [wrk, "-t1", f"-c{args.connexions}", f"-d{duree}s", "--timeout", "10s"]
            cmd += ["-s", str(BENCH / "wrk" / "plan.lua"), srv.base_url, "--", str(chemin)]
            cmd.append("E" + "".join(chr(65 + int(c)) for c in f"{len(releves):04d}"))
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            r = json.loads([ligne for ligne in out.splitlines() if ligne.startswith("{")][-1])
            total += r["requetes"]
            secondes += r["duree_us"] / 1e6
            erreurs_5xx += r["erreurs_5xx"]
            erreurs_socket += sum(
                r[k] for k in ("erreurs_connexion", "erreurs_lecture", "erreurs_ecriture", "delais")
            )
            releves.append((total, srv.rss() / 2**20))
            print(
                f"{total:>8} requêtes  RSS {releves[-1][1]:6.1f} Mo  "
                f"{r['requetes'] / (r['duree_us'] / 1e6):5.0f} req/s  "
                f"p99 {r['p99_us'] / 1000:6.1f} ms  5xx {erreurs_5xx}",
                file=sys.stderr,
            )
    apres_1000 = next(rss for n, rss in releves if n >= 1000)
    fin = releves[-1][1]
    ecart = (fin - apres_1000) / apres_1000 * 100
    print(
        f"\n{total} requêtes mixtes en {secondes:.0f} s ({total / secondes:.0f} req/s), "
        f"journal actif, base {args.base}, {args.workers} processus"
    )
    print(f"erreurs 5xx : {erreurs_5xx} ; erreurs de connexion/délai : {erreurs_socket}")
    print(
        f"RSS après {releves[0][0] if releves[0][0] >= 1000 else 1000} requêtes : "
        f"{apres_1000:.1f} Mo ; après {total} : {fin:.1f} Mo ; écart {ecart:+.1f} % "
        f"(cible : ≤ 20 %)"
    )
    return 0 if erreurs_5xx == 0 and erreurs_socket == 0 and abs(ecart) <= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
