"""`python -m opco_server` is the `opco-server` command."""

from opco_server.cli import main

raise SystemExit(main())
