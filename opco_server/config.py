"""Sandbox settings: one frozen dataclass, read from OPCO_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///" + str(Path.cwd() / "data" / "opco-sandbox.sqlite3")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    fixtures_dir: Path = field(default=PROJECT_ROOT / "fixtures")
    spec_dir: Path = field(default=PROJECT_ROOT / "spec")
    # Validate every response against the spec (tests and development).
    validate_responses: bool = False
    # Seed the demo identities into an empty database on start.
    seed_demo: bool = True
    # Run the Alembic migrations on start.
    migrate: bool = True
    # Lifetime of editor access tokens, in seconds (overrides fixtures/opcos.yaml).
    token_ttl_seconds: int | None = None
    log_level: str = "INFO"
    # Request journal: entries kept (the oldest are dropped beyond).
    journal_max: int = 10_000
    # Token protecting the control API and the console in shared deployments (None: open).
    admin_token: str | None = None
    # Seed of the random fault injection (error rate), for reproducible runs.
    graine_pannes: int = 20261123
    # Largest request body, in bytes (413 beyond): JSON and form bodies (a Cerfa is a few
    # kilobytes), multipart uploads (one 10 MiB file, its JSON part and the envelope).
    corps_max_octets: int = 1024 * 1024
    multipart_max_octets: int = 11 * 1024 * 1024
    # Host names the control API and the console answer to (DNS rebinding); None: the
    # loopback names, checked only while no admin token is set. "*" turns the check off.
    hotes: tuple[str, ...] | None = None
    # Proxies whose X-Forwarded-Proto / X-Forwarded-For are believed (addresses, or "*");
    # None: those headers are ignored.
    proxy_de_confiance: tuple[str, ...] | None = None
    # Secret signing the console's anti-CSRF tokens when no admin token is set (shared by the
    # workers of one server; generated at start when absent).
    secret_console: str | None = None
    # Failed console logins (or wrong admin tokens) allowed per client address and window.
    echecs_connexion_max: int = 10
    echecs_connexion_fenetre_s: int = 900
    # Time a client may take to send its request line and headers, then its body (seconds):
    # beyond, the connection is closed (408 REQUEST_TIMEOUT for a body). See opco_server.http.delais.
    delai_entetes_s: float = 10.0
    delai_requete_s: float = 60.0
    # Requests and connections one process serves at once (uvicorn's limit_concurrency):
    # beyond, a new request gets 503. None: unbounded.
    concurrence_max: int | None = 1000

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if "OPCO_DATABASE_URL" in env:
            values["database_url"] = env["OPCO_DATABASE_URL"]
        if "OPCO_VALIDATE_RESPONSES" in env:
            values["validate_responses"] = _bool(env["OPCO_VALIDATE_RESPONSES"])
        if "OPCO_SEED_DEMO" in env:
            values["seed_demo"] = _bool(env["OPCO_SEED_DEMO"])
        if "OPCO_MIGRATE" in env:
            values["migrate"] = _bool(env["OPCO_MIGRATE"])
        if "OPCO_TOKEN_TTL_SECONDS" in env:
            values["token_ttl_seconds"] = int(env["OPCO_TOKEN_TTL_SECONDS"])
        if "OPCO_JOURNAL_MAX" in env:
            values["journal_max"] = int(env["OPCO_JOURNAL_MAX"])
        if env.get("OPCO_ADMIN_TOKEN"):
            values["admin_token"] = env["OPCO_ADMIN_TOKEN"]
        if "OPCO_CORPS_MAX_OCTETS" in env:
            values["corps_max_octets"] = int(env["OPCO_CORPS_MAX_OCTETS"])
        if "OPCO_MULTIPART_MAX_OCTETS" in env:
            values["multipart_max_octets"] = int(env["OPCO_MULTIPART_MAX_OCTETS"])
        if "OPCO_HOTES" in env:
            values["hotes"] = _liste(env["OPCO_HOTES"])
        if env.get("OPCO_PROXY_DE_CONFIANCE"):
            values["proxy_de_confiance"] = _liste(env["OPCO_PROXY_DE_CONFIANCE"])
        if env.get("OPCO_SECRET_CONSOLE"):
            values["secret_console"] = env["OPCO_SECRET_CONSOLE"]
        if "OPCO_DELAI_ENTETES_S" in env:
            values["delai_entetes_s"] = _positive(
                "OPCO_DELAI_ENTETES_S", env["OPCO_DELAI_ENTETES_S"]
            )
        if "OPCO_DELAI_REQUETE_S" in env:
            values["delai_requete_s"] = _positive(
                "OPCO_DELAI_REQUETE_S", env["OPCO_DELAI_REQUETE_S"]
            )
        if "OPCO_CONCURRENCE_MAX" in env:
            valeur = env["OPCO_CONCURRENCE_MAX"].strip()
            values["concurrence_max"] = int(valeur) if valeur not in {"", "0"} else None
        if "OPCO_LOG_LEVEL" in env:
            values["log_level"] = env["OPCO_LOG_LEVEL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _liste(value: str) -> tuple[str, ...]:
    """`a.example, B.example` → ("a.example", "b.example")."""
    return tuple(v.strip().lower() for v in value.split(",") if v.strip())


def _positive(name: str, raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(f"{name} doit être un nombre de secondes positif (reçu : {raw}).")
    return value


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}
