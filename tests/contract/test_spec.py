"""The specs themselves: valid OpenAPI 3.0, complete, honest about what is inferred."""

from __future__ import annotations

import copy

import yaml
from openapi_spec_validator import validate

from tests.conftest import ROOT

NORM = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text("utf-8"))
CONTROL = yaml.safe_load((ROOT / "spec" / "sandbox.yaml").read_text("utf-8"))

# norm.md §2: every endpoint E1-E12, in the versions the norm has them.
NORM_OPERATIONS = {
    ("get", "/v1/status"),
    ("get", "/v2/cfakeyinfo"),
    ("post", "/v1/dossiers"),
    ("post", "/v2/dossiers"),
    ("get", "/v1/dossiers"),
    ("get", "/v2/dossiers"),
    ("get", "/v1/dossiers/etats"),
    ("get", "/v2/dossiers/etats"),
    ("get", "/v1/dossiers/liste"),
    ("post", "/v1/conventions"),
    ("post", "/v1/factures"),
    ("get", "/v2/factures/etats"),
    ("post", "/v2/certificats"),
    ("post", "/v1/documents"),
    ("post", "/v2/dossiers/rupture/employeur"),
    ("post", "/connect/token"),
}


def _operations(spec: dict) -> set[tuple[str, str]]:
    return {
        (m, p)
        for p, item in spec["paths"].items()
        for m in item
        if m in {"get", "post", "put", "delete", "patch"}
    }


def test_norm_spec_is_valid_openapi_3_0():
    assert NORM["openapi"].startswith("3.0")
    validate(NORM)


def test_control_spec_is_valid_and_separate():
    validate(CONTROL)
    assert not _operations(NORM) & _operations(CONTROL)
    assert all(not p.startswith("/_sandbox") for p in NORM["paths"])


def test_every_norm_endpoint_is_in_the_spec():
    assert _operations(NORM) == NORM_OPERATIONS


def test_every_operation_documents_its_errors_in_the_norm_format():
    for path, item in NORM["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post"}:
                continue
            codes = set(operation["responses"])
            assert "400" in codes, (method, path)
            if operation.get("security", NORM["security"]):
                assert "401" in codes, (method, path)


def test_authenticated_operations_need_token_key_and_identification_headers():
    names = {"EDITEUR", "LOGICIEL", "VERSION"}
    params = NORM["components"]["parameters"]
    for path, item in NORM["paths"].items():
        for method, operation in item.items():
            if path == "/connect/token" or method not in {"get", "post"}:
                continue
            declared = {
                params[p["$ref"].rsplit("/", 1)[1]]["name"]
                for p in operation["parameters"]
                if "$ref" in p
            }
            assert names <= declared, (method, path)


def test_inferred_facts_carry_a_reason():
    def walk(node, path=""):
        if isinstance(node, dict):
            if node.get("x-fidelity") == "inferred":
                assert node.get("x-fidelity-reason"), path
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
            yield node
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}/{i}")

    inferred = [n for n in walk(NORM) if isinstance(n, dict) and n.get("x-fidelity") == "inferred"]
    assert len(inferred) >= 20


def test_cerfa_schema_has_the_cerfa_blocks_and_enumerations():
    schemas = NORM["components"]["schemas"]
    cerfa = schemas["Cerfa"]["properties"]
    for block in (
        "employeur",
        "apprenti",
        "maitre1",
        "maitre2",
        "contrat",
        "formation",
        "organismeFormation",
    ):
        assert block in cerfa
    contrat = schemas["Contrat"]["properties"]
    assert {11, 21, 22, 23, 31, 37} <= set(contrat["typeContratApp"]["enum"])
    assert "remunerationsAnnuelles" in contrat


def test_specs_pass_connexions_own_validation():
    """create_app skips connexion's start-up validation of the specs: this is where it runs."""
    from connexion.spec import Specification

    for document in (NORM, CONTROL):
        Specification.from_dict(copy.deepcopy(document))  # raises InvalidSpecification


def _enumerations(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        if "x-enum-descriptions" in node:
            yield node
        for value in node.values():
            yield from _enumerations(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enumerations(value)


def test_every_enum_description_is_one_text_per_value():
    """A YAML slip such as `- Réglée (avoir : imputé)` reads as a mapping, not a label."""
    found = list(_enumerations(NORM))
    assert len(found) > 5
    for schema in found:
        labels = schema["x-enum-descriptions"]
        assert all(isinstance(label, str) for label in labels), labels
        assert len(labels) == len(schema["enum"]), schema["enum"]
