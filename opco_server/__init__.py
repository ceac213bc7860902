"""OPCO Sandbox: the OPCO half of the API CFA/OPCO norm, run locally."""

from opco_server.app import create_app

__all__ = ["create_app"]
