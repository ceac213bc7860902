"""Regressions found by review: hostile inputs get a 4xx in the norm's format, never a 500,
and nothing leaks between CFAs or into the journal."""

from __future__ import annotations

import copy
import json

import pytest

from tests.api.test_cycle_de_vie import avancer, convention_de, deposer, detail


def _codes(response) -> set[str]:
    return {e["code"] for e in response.json()["errors"]}


def _raw(cfa, text: str):
    headers = {**cfa.headers(), "Content-Type": "application/json"}
    return cfa.client.post("/akto/v1/dossiers", content=text.encode(), headers=headers)


def test_another_cfa_cannot_break_a_contract_by_resending_it(make_cfa, client, contrat):
    cfa1 = make_cfa("akto", 0)
    numero = cfa1.transmettre(contrat).json()["numeroInterne"]
    deposer(cfa1, convention_de(contrat, numero))
    avancer(client, jours=4)
    body = copy.deepcopy(contrat)
    other = cfa1.identities["cfas"][1]["etablissements"][0]
    body["cerfa"]["organismeFormation"].update(siret=other["siret"], uaiCfa=other["uai"])
    body["cerfa"]["contrat"]["dateRupture"] = "2027-01-15"
    response = make_cfa("akto", 1).transmettre(body)
    assert response.status_code == 400
    assert numero not in response.text
    assert detail(cfa1, numero)["cerfa"]["etat"] == "ENGAGE"


@pytest.mark.parametrize(
    "text",
    [
        '{"cerfa": NaN}',
        '{"cerfa": {"a": Infinity}}',
        '{"cerfa": "\\ud800"}',
        '{"cerfa": "a\\u0000b"}',
        "[" * 5000 + "]" * 5000,
        '{"cerfa": ' + "9" * 5000 + "}",
    ],
)
def test_lenient_json_is_refused_with_a_400(cfa, text):
    response = _raw(cfa, text)
    assert response.status_code == 400
    assert _codes(response) == {"JSON_INVALID"}


def test_nan_in_a_cerfa_number_is_refused(cfa, contrat):
    text = json.dumps(contrat).replace('"dureeFormation": 1350', '"dureeFormation": NaN')
    assert "NaN" in text
    assert _codes(_raw(cfa, text)) == {"JSON_INVALID"}


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        ("nom", "X" * 201, "FORMAT_INVALID"),
        ("nom", "   ", "FORMAT_INVALID"),
        ("prenom", "", "FORMAT_INVALID"),
    ],
)
def test_names_are_bounded_and_not_blank(cfa, contrat, path, value, code):
    contrat["cerfa"]["apprenti"][path] = value
    response = cfa.transmettre(contrat)
    assert response.status_code == 400
    assert code in _codes(response)


@pytest.mark.parametrize("value", ["2026-09-01T25:61", "2026-09-01T00:00:00+99:99"])
def test_date_times_must_be_real(cfa, contrat, value):
    contrat["cerfa"]["contrat"]["dateDebutContrat"] = value
    response = cfa.transmettre(contrat)
    assert response.status_code == 400
    assert "FORMAT_INVALID" in _codes(response)


def test_nul_in_a_query_parameter_is_a_400(cfa):
    response = cfa.get("/v2/dossiers", params={"numeroInterne": "\x00"})
    assert response.status_code == 400


def test_unparsed_bodies_never_reach_the_journal_in_clear(cfa, client, contrat):
    text = json.dumps(contrat)[:-1] + ",}"  # a trailing comma: not JSON
    assert _raw(cfa, text).status_code == 400
    dump = json.dumps(client.get("/_sandbox/journal").json())
    assert "206057505612329" not in dump  # the apprentice's NIR


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/_sandbox/journal?statut=99999999999999999999", None),
        ("get", "/_sandbox/journal?avant=99999999999999999999999", None),
        ("put", "/_sandbox/opcos/akto/pannes", {"quotaParMinute": 2**63}),
        ("put", "/_sandbox/horloge", {"instant": "9999-12-31T23:00:00+00:00"}),
        ("put", "/_sandbox/opcos/akto/pannes", {"latenceMs": 10**12}),
    ],
)
def test_control_api_bounds_are_400s(client, method, url, body):
    response = getattr(client, method)(url, **({"json": body} if body is not None else {}))
    assert response.status_code == 400, response.text


def test_console_journal_filter_ignores_odd_status_values(client):
    assert client.get("/console/journal", params={"statut": "²"}).status_code == 200
    assert client.get("/console/journal", params={"statut": "9" * 30}).status_code == 200


def test_the_clock_cannot_run_past_2100(client):
    assert (
        client.put("/_sandbox/horloge", json={"instant": "2099-06-01T00:00:00+00:00"}).status_code
        == 200
    )
    response = client.post("/_sandbox/horloge/avancer", json={"jours": 3650})
    assert response.status_code == 400
