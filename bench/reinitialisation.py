"""Benchmark: POST /_sandbox/reinitialiser, the reset to the demo data a vendor's test suite
calls before every test. Target: ≤ 50 ms on SQLite.

Usage: python bench/reinitialisation.py [--repeat 50] [--database URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opco_server.config import Settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"

    from opco_server import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(Settings(database_url=url, log_level="WARNING"))
    samples = []
    # The sandbox's own API answers the loopback names only (no admin token: DNS rebinding).
    with app.test_client(base_url="http://localhost") as client:
        client.post("/_sandbox/scenarios/cfa-tous-etats")  # some data to wipe first
        for _ in range(args.repeat):
            response = client.post("/_sandbox/reinitialiser")
            assert response.status_code == 200, response.text
            samples.append(response.json()["dureeMs"])
    app.app.extensions["opco.sandbox"].fermer()
    samples.sort()
    print(f"base {url.split(':', 1)[0]}: réinitialisation complète, {args.repeat} appels")
    print(
        f"médiane {statistics.median(samples):.1f} ms, p95 "
        f"{samples[int(len(samples) * 0.95) - 1]:.1f} ms, max {samples[-1]:.1f} ms "
        f"(cible ≤ 50 ms sur SQLite)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
