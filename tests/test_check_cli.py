"""`opco-server check`: the server's verdict, offline, on the same file and date."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from opco_server.cli import main
from opco_server.models import Dossier
from opco_server.services import controles

DATE = "2026-11-23"  # the tests' sandbox clock (tests/conftest.py NOW)


def _cases(contrat: dict) -> dict[str, dict]:
    transmission = copy.deepcopy(contrat)
    transmission["cerfa"]["contrat"]["dateConclusion"] = "2026-09-15"
    transmission["cerfa"]["contrat"]["dureeTravailHebdoHeures"] = 41
    schema = copy.deepcopy(contrat)
    del schema["cerfa"]["apprenti"]["nom"]
    schema["cerfa"]["contrat"]["typeContratApp"] = 99
    instruction = copy.deepcopy(contrat)
    instruction["cerfa"]["apprenti"]["dateNaissance"] = "1994-01-10"
    instruction["cerfa"]["apprenti"]["nir"] = "294017505612318"
    return {
        "valide": contrat,
        "transmission": transmission,
        "schema": schema,
        "instruction": instruction,
    }


def _check(tmp_path, capsys, body: dict) -> tuple[int, dict]:
    path = tmp_path / "cerfa.json"
    path.write_text(json.dumps(body), "utf-8")
    code = main(["check", str(path), "--opco", "akto", "--date", DATE, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("case", ["valide", "transmission", "schema", "instruction"])
def test_checker_gives_the_same_verdict_as_the_server(
    case, cfa, contrat, sandbox, tmp_path, capsys
):
    body = _cases(contrat)[case]
    exit_code, verdict = _check(tmp_path, capsys, body)
    offline = {
        (v["moment"], v["code"]) for v in verdict["violations"] if v["severite"] == "bloquant"
    }

    response = cfa.transmettre(body)
    if response.status_code == 400:
        # Refused at transmission: the server never instructs; compare that moment only.
        server = {("transmission", e["code"]) for e in response.json()["errors"]}
        offline = {v for v in offline if v[0] == "transmission"}
    else:
        assert response.status_code == 200, response.text
        with sandbox.session() as session:
            dossier = session.scalar(
                select(Dossier).where(Dossier.numero_interne == response.json()["numeroInterne"])
            )
            resultat = controles.evaluer_instruction(session, sandbox, dossier)
        server = {("instruction", v.code) for v in resultat.bloquants}

    assert offline == server
    assert exit_code == (1 if server else 0)
    assert verdict["bloquant"] is bool(server)
    assert (case == "valide") is (not server)


def test_checker_human_table(tmp_path, capsys, contrat):
    body = _cases(contrat)["transmission"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(body["cerfa"]), "utf-8")  # a bare Cerfa is accepted too
    assert main(["check", str(path), "--date", DATE]) == 1
    out = capsys.readouterr().out
    assert "DATE_SIGNATURE_AFTER_START" in out
    assert "Verdict : REFUSÉ" in out


@pytest.mark.parametrize("args", [["--date", "2026-13-01"], ["--opco", "inconnu"]])
def test_checker_rejects_bad_arguments(tmp_path, capsys, contrat, args):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(contrat), "utf-8")
    assert main(["check", str(path), *args]) == 2


def test_checker_rejects_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{", "utf-8")
    assert main(["check", str(path)]) == 2
