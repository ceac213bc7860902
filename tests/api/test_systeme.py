"""Status, cfakeyinfo, routing: what a client checks before anything else."""

from __future__ import annotations

from datetime import timedelta

import pytest

OPCOS = [
    "akto",
    "atlas",
    "opcommerce",
    "ocapiat",
    "opco2i",
    "constructys",
    "opcoep",
    "afdas",
    "mobilites",
    "uniformation",
    "sante",
]


@pytest.mark.parametrize("opco", OPCOS)
def test_every_opco_answers_status(make_cfa, opco):
    response = make_cfa(opco).get("/v1/status")
    assert response.status_code == 200
    assert response.json()["status"] == "OK"


def test_paths_are_case_insensitive(cfa):
    assert cfa.get("/V1/Status").status_code == 200
    assert cfa.client.get("/AKTO/v1/status", headers=cfa.headers()).status_code == 200


def test_unknown_route_answers_norm_404(cfa):
    response = cfa.get("/v1/nimporte")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "ROUTE_NOT_FOUND"


def test_unknown_opco_answers_norm_404(client):
    response = client.get("/opcoinconnu/v1/status")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "ROUTE_NOT_FOUND"


def test_cfakeyinfo_success(cfa):
    response = cfa.get(
        "/v2/cfakeyinfo",
        params={"siren": cfa.cfa["siren"], "XAPIKEY": cfa.cfa["cles"]["akto"]},
        headers=cfa.headers(X_API_KEY=None),
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "dateFinValidite": "2027-11-23",
        "comment": None,
    }


def test_cfakeyinfo_wrong_siren_is_an_error_status(cfa, identities):
    other = identities["cfas"][1]["siren"]
    response = cfa.get(
        "/v2/cfakeyinfo", params={"siren": other, "XAPIKEY": cfa.cfa["cles"]["akto"]}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert response.json()["dateFinValidite"] is None


def test_cfakeyinfo_expired_key(cfa, horloge):
    horloge.avancer(timedelta(days=400))
    headers = cfa.headers(Authorization=f"Bearer {cfa.token()}")
    response = cfa.get(
        "/v2/cfakeyinfo",
        params={"siren": cfa.cfa["siren"], "XAPIKEY": cfa.cfa["cles"]["akto"]},
        headers=headers,
    )
    assert response.json()["status"] == "error"
    assert response.json()["dateFinValidite"] == "2027-11-23"


def test_cfakeyinfo_requires_its_parameters(cfa):
    response = cfa.get("/v2/cfakeyinfo")
    assert response.status_code == 400
    assert sorted(e["champ"] for e in response.json()["errors"]) == ["XAPIKEY", "siren"]


def test_swagger_ui_per_opco(client):
    response = client.get("/atlas/ui/")
    assert response.status_code == 200
    spec = client.get("/atlas/openapi.json").json()
    assert spec["servers"][0]["url"].endswith("/atlas")
    assert "/v1/dossiers" in spec["paths"]


def test_control_api_lists_the_eleven_opcos(client):
    response = client.get("/_sandbox/opcos")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == OPCOS
    assert response.json()[0]["tokenUrl"].endswith("/akto/connect/token")
