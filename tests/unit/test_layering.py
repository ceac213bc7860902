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


def _graphe_opco_server() -> dict[str, set[str]]:
    """Module -> the opco_server modules it imports, at any depth of its code (an import inside
    a function is an import too), except under `if TYPE_CHECKING:` (never executed)."""
    paquet = ROOT / "opco_server"
    modules = {}
    for path in paquet.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        nom = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[nom.removesuffix(".__init__")] = path
    graphe: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"))
        ignores = {
            id(n)
            for bloc in ast.walk(tree)
            if isinstance(bloc, ast.If) and "TYPE_CHECKING" in ast.unparse(bloc.test)
            for n in ast.walk(bloc)
        }
        for node in ast.walk(tree):
            if id(node) in ignores:
                continue
            cibles: list[str] = []
            if isinstance(node, ast.Import):
                cibles = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                sous = [f"{node.module}.{a.name}" for a in node.names]
                connus = [s for s in sous if s in modules]
                cibles = connus if len(connus) == len(sous) else [node.module, *connus]
            graphe[module] |= {c for c in cibles if c in modules and c != module}
    return graphe


def test_the_import_graph_of_opco_server_has_no_cycle():
    graphe, etat, cycles = _graphe_opco_server(), {}, []

    def visiter(module: str, chemin: list[str]) -> None:
        etat[module] = "en cours"
        for suivant in sorted(graphe[module]):
            if etat.get(suivant) == "en cours":
                cycles.append([*chemin[chemin.index(suivant) :], suivant])
            elif suivant not in etat:
                visiter(suivant, [*chemin, suivant])
        etat[module] = "fait"

    for module in sorted(graphe):
        if module not in etat:
            visiter(module, [module])
    assert cycles == []


CONSOLE_ET_PILOTAGE = [
    *(ROOT / "opco_server" / "console").glob("*.py"),
    *(ROOT / "opco_server" / "api" / nom for nom in ("horloge.py", "pilotage.py", "reglages.py")),
]


def test_the_console_and_the_control_api_query_nothing_themselves():
    """They call the services (the same ones): no ORM, no model, no statement of their own;
    and every console module stays small."""
    for path in CONSOLE_ET_PILOTAGE:
        source = path.read_text("utf-8")
        assert "sqlalchemy" not in _imports(path), path
        assert "opco_server.models" not in source and "select(" not in source, path
        if "console" in path.parts:
            assert len(source.splitlines()) <= 400, path
