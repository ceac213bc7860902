"""The web console under /console/: the OPCO portal side of the sandbox, in French."""

from opco_server.console.vues import register_console

__all__ = ["register_console"]
