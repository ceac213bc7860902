#!/usr/bin/env bash
# Install OPCO Sandbox with its test tools in .venv and run the whole suite:
# ruff, then pytest on SQLite and PostgreSQL (with schemathesis over both specs), one worker
# per core (pytest-xdist: each worker has its own databases).
# PostgreSQL: OPCO_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
# without a server its tests skip, except when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The console's browser tests drive Debian's Chromium through Playwright (no browser download).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
if [ -n "${CI:-}" ]; then
  export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
  export SCHEMATHESIS_MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-60}"
fi
exec .venv/bin/python -m pytest -q -rs -n auto "$@"
