#!/usr/bin/env bash
# Install OPCO Sandbox in .venv and serve the 11 OPCOs with the demo data on SQLite.
# Extra arguments go to `opco-server run` (e.g. --port 9000, --database postgresql://...).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/opco-server run "$@"
