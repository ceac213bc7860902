"""Benchmark: cold start of `opco-server run`, from spawning the process to the first 200 on
GET /akto/v1/status (token request included). Target: ≤ 1 s.

Usage: python bench/demarrage.py [--repeat 7] [--database URL] [--workers 1]

The database is prepared once (migrated and seeded, as after a first start): the figure is the
restart a vendor's CI pays before every run, not the one-off creation of the database file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.outils import serveur


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", help="URL SQLAlchemy (défaut : un fichier SQLite temporaire)")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'demarrage.sqlite3'}"

    with serveur(url, workers=args.workers) as srv:
        premier = srv.demarrage_s  # creates the schema and the demo data
    samples = []
    for _ in range(args.repeat):
        with serveur(url, workers=args.workers) as srv:
            samples.append(srv.demarrage_s * 1000)
    samples.sort()
    print(f"base {url.split(':', 1)[0]}, {args.workers} processus, {args.repeat} démarrages")
    print(f"premier démarrage (base créée, migrée, données de démo) : {premier * 1000:.0f} ms")
    print(
        f"démarrage à froid → premier 200 sur /akto/v1/status : médiane "
        f"{statistics.median(samples):.0f} ms, min {samples[0]:.0f} ms, max {samples[-1]:.0f} ms "
        f"(cible ≤ 1 000 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
