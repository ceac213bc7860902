"""Benchmark: paging /v2/dossiers/etats is as fast for a CFA with 1,000,000 dossiers as with 10.

Usage: python bench/etats_pagination.py [--dossiers 1000000] [--database URL] [--reuse]
                                        [--repeat 200]

It fills CFA 1 (912345675) with N dossiers and CFA 2 (912345683) with 10 at AKTO through the
seed generator (`opco-server seed`: realistic dossiers in every state), then times
GET /akto/v2/dossiers/etats on the first, middle and last page of each through the real app
(in-process client: token, key, validation and journal included) and prints p50 and p99,
then the same page read without HTTP (the service: session, query, serialisation).
`--reuse` skips the seeding of what the database already holds (re-run on the same base).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from opco_server.config import Settings
from opco_server.outils import generation
from opco_server.services import compteurs

GROS, PETIT = "912345675", "912345683"  # CFA 1 and CFA 2 of the demo identities
OPCO = "akto"
ECHAUFFEMENT = 5  # untimed requests before each series


def _nombre(valeur: float) -> str:
    return f"{round(valeur):,}".replace(",", "\u202f")


def _ms(valeur: float) -> str:
    return f"{valeur:.2f}".replace(".", ",")


def progression(fait: int, total: int) -> None:
    print(f"\r  génération : {_nombre(fait)}/{_nombre(total)}", end="", file=sys.stderr, flush=True)
    if fait == total:
        print(file=sys.stderr)


def remplir(sandbox, siren: str, voulu: int, reutiliser: bool) -> generation.Bilan | None:
    """Seed `voulu` dossiers for the CFA (with --reuse: only those it does not hold yet)."""
    with sandbox.session() as session:
        deja = compteurs.total_cfa(session, OPCO, siren)
    manque = voulu - deja if reutiliser else voulu
    if manque < 1:
        print(f"CFA {siren} : {_nombre(deja)} dossiers déjà en base, génération sautée")
        return None
    return generation.generer(sandbox, manque, OPCO, siren, progression=progression)


def taille_base(sandbox, url: str) -> int:
    if url.startswith("sqlite"):
        chemin = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in chemin.parent.glob(chemin.name + "*"))
    with sandbox.session() as session:
        return session.scalar(text("SELECT pg_database_size(current_database())"))


def chronometrer(client, headers, page: int, repeat: int) -> tuple[list[float], int]:
    samples, count = [], 0
    for i in range(ECHAUFFEMENT + repeat):
        t0 = time.perf_counter()
        response = client.get(
            f"/{OPCO}/v2/dossiers/etats", params={"numeroPage": page}, headers=headers
        )
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, response.text
        count = response.json()["count"]
        if i >= ECHAUFFEMENT:
            samples.append(elapsed)
    return samples, count


def chronometrer_service(sandbox, siren: str, page: int, repeat: int) -> list[float]:
    """The same page without HTTP: session, page query, total, serialisation."""
    from opco_server.schemas import dossiers as schemas
    from opco_server.services import dossiers

    opco, samples = sandbox.opcos[OPCO], []
    for i in range(ECHAUFFEMENT + repeat):
        t0 = time.perf_counter()
        with sandbox.session() as session:
            schemas.etats_dossiers.dump(dossiers.page_etats(session, opco, siren, page).dossiers)
        if i >= ECHAUFFEMENT:
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200, help="requêtes mesurées par page")
    parser.add_argument("--database", help="URL SQLAlchemy (défaut : un fichier SQLite temporaire)")
    parser.add_argument(
        "--reuse", action="store_true", help="ne pas regénérer les dossiers déjà en base"
    )
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"

    from opco_server import create_app
    from opco_server.donnees.seed import identities
    from tests.conftest import NormClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(Settings(database_url=url, log_level="WARNING"))
    sandbox = app.app.extensions["opco.sandbox"]
    print(f"Base : {sandbox.engine.dialect.name} ({url})")
    for siren, voulu in ((GROS, args.dossiers), (PETIT, 10)):
        bilan = remplir(sandbox, siren, voulu, args.reuse)
        if bilan is not None:
            print(
                f"CFA {siren} : {_nombre(bilan.nombre)} dossiers générés en "
                f"{bilan.duree:.1f} s ({_nombre(bilan.nombre / bilan.duree)} dossiers/s, "
                f"{_nombre(bilan.lignes)} lignes, {_nombre(bilan.lignes / bilan.duree)} "
                f"lignes/s, {bilan.gabarits} cycles de vie rejoués)".replace(".", ",", 1)
            )
    print(f"Taille de la base : {taille_base(sandbox, url) / 1e9:.2f} Go".replace(".", ","))

    ids = identities(sandbox)
    size = sandbox.opcos[OPCO].taille_page_etats
    print(
        f"{'CFA':<24}{'page':>8}{'dossiers/page':>15}{'p50 (ms)':>11}{'p99 (ms)':>11}"
        f"{'service p50':>13}{'service p99':>13}"
    )
    # The sandbox's own API answers the loopback names only (no admin token: DNS rebinding).
    with app.test_client(base_url="http://localhost") as client:
        for index, siren in ((1, PETIT), (0, GROS)):
            with sandbox.session() as session:
                total = compteurs.total_cfa(session, OPCO, siren)
            headers = NormClient(client, ids, OPCO, index).headers()
            last = max(1, -(-total // size))
            for page in sorted({1, (last + 1) // 2, last}):
                samples, count = chronometrer(client, headers, page, args.repeat)
                service = chronometrer_service(sandbox, siren, page, args.repeat)
                print(
                    f"{f'{_nombre(total)} dossiers':<24}{page:>8}{count:>15}"
                    f"{_ms(statistics.median(samples)):>11}{_ms(p99(samples)):>11}"
                    f"{_ms(statistics.median(service)):>13}{_ms(p99(service)):>13}"
                )
    sandbox.fermer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
