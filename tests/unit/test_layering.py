"""rules/ stays pure: it imports nothing from the web, ORM or serialisation layers."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

FORBIDDEN = {
    "flask",
    "connexion",
    "sqlalchemy",
    "marshmallow",
    "opco_server",
    "starlette",
    "alembic",
    "yaml",
    "requests",
    "httpx",
}


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_rules_import_no_framework():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN)
        for path in (ROOT / "rules").rglob("*.py")
        if _imports(path) & FORBIDDEN
    }
    assert not offenders


def test_rules_never_read_the_real_clock():
    for path in (ROOT / "rules").rglob("*.py"):
        source = path.read_text("utf-8")
        assert "date.today(" not in source and "datetime.now(" not in source, path
        assert "open(" not in source, path
