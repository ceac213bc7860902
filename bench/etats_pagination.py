"""Benchmark: paging /v2/dossiers/etats is as fast for a CFA with 100,000 dossiers as with 10.

Usage: python bench/etats_pagination.py [--dossiers 100000] [--database URL]

It fills one CFA with N dossiers (bulk rows with the same columns the service writes),
another with 10, then times GET /v2/dossiers/etats on the first, middle and last page of
each through the real app (in-process ASGI client: token, key and validation included).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from opco_server.config import Settings
from opco_server.models import CompteurCfa, Dossier

SMALL_SIREN, BIG_SIREN = "912345683", "912345675"


def fill(sandbox, siren: str, siret: str, count: int) -> None:
    now = datetime.now(UTC)
    opco = sandbox.opcos["akto"]
    with sandbox.session() as session:
        for start in range(0, count, 5000):
            rows = [
                {
                    "opco_id": "akto",
                    "numero_interne": f"{siren[-3:]}{i:07d}",
                    "numero_externe": opco.numero_externe(i, now),
                    "etat": "TRANSMIS",
                    "cfa_siren": siren,
                    "rang": i,
                    "organisme_siret": siret,
                    "employeur_siret": "80567891900012",
                    "apprenti_nom": f"APPRENTI{i}",
                    "apprenti_prenom": "Bench",
                    "apprenti_date_naissance": date(2006, 1, 1),
                    "date_debut_contrat": date(2026, 9, 1),
                    "type_contrat_app": 11,
                    "cle_doublon": f"{siren}-{i}",
                    "version_norme": "v2",
                    "cerfa": {},
                    "recu_le": now,
                    "maj_le": now,
                }
                for i in range(start + 1, min(start + 5000, count) + 1)
            ]
            session.execute(insert(Dossier), rows)
        session.merge(CompteurCfa(opco_id="akto", siren=siren, dernier_rang=count))
        session.commit()


def timed(client, headers, page: int, repeat: int) -> tuple[float, int]:
    samples, count = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(
            "/akto/v2/dossiers/etats", params={"numeroPage": page}, headers=headers
        )
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.text
        count = response.json()["count"]
    return statistics.median(samples), count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"

    from opco_server import create_app
    from opco_server.seed import identities
    from tests.conftest import NormClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(Settings(database_url=url, log_level="WARNING"))
    sandbox = app.app.extensions["opco.sandbox"]
    t0 = time.perf_counter()
    fill(sandbox, BIG_SIREN, "91234567500017", args.dossiers)
    fill(sandbox, SMALL_SIREN, "91234568300011", 10)
    print(
        f"base {sandbox.engine.dialect.name}: {args.dossiers} + 10 dossiers en "
        f"{time.perf_counter() - t0:.1f} s"
    )

    ids = identities(sandbox)
    size = sandbox.opcos["akto"].taille_page_etats
    print(f"{'CFA':<22}{'page':>8}{'dossiers/page':>15}{'médiane (ms)':>15}")
    with app.test_client() as client:
        for index, total in ((1, 10), (0, args.dossiers)):
            headers = NormClient(client, ids, "akto", index).headers()
            last = max(1, -(-total // size))
            for page in sorted({1, (last + 1) // 2, last}):
                median, count = timed(client, headers, page, args.repeat)
                print(f"{f'{total} dossiers':<22}{page:>8}{count:>15}{median:>15.2f}")
    sandbox.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
