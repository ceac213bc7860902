"""Each OPCO serves its own contract at /{opco}/openapi.json: the operations it offers, its
scopes, DPoP at Afdas, an absolute token URL; the strict profile serves the whole norm."""

from __future__ import annotations

import pytest
import yaml

from opco_server.contrat import METHODES


def _operations(doc: dict) -> set[str]:
    return {
        op["operationId"]
        for item in doc["paths"].values()
        for methode in METHODES
        if (op := item.get(methode)) is not None
    }


def _liens(doc: dict) -> set[str]:
    return {
        lien["operationId"]
        for item in doc["paths"].values()
        for methode in METHODES
        for reponse in (item.get(methode) or {}).get("responses", {}).values()
        for lien in (reponse.get("links") or {}).values()
    }


@pytest.fixture
def norme_ops(sandbox) -> set[str]:
    return _operations(sandbox.spec)


OPCOS = [
    "akto", "atlas", "opcommerce", "ocapiat", "opco2i", "constructys", "opcoep", "afdas",
    "mobilites", "uniformation", "sante",
]  # fmt: skip


@pytest.mark.parametrize("opco_id", OPCOS)
def test_each_opco_serves_its_own_contract(client, sandbox, norme_ops, opco_id):
    opco = sandbox.opcos[opco_id]
    r = client.get(f"/{opco_id}/openapi.json", headers={"Host": "sandbox.exemple.fr:8443"})
    assert r.status_code == 200
    doc = r.json()
    offertes = norme_ops - opco.dialecte.non_proposees
    assert _operations(doc) == offertes
    assert _liens(doc) <= offertes
    assert opco.nom in doc["info"]["title"]
    base = f"http://sandbox.exemple.fr:8443/{opco_id}"
    assert doc["servers"] == [{"url": base}]
    flux = doc["components"]["securitySchemes"]["editeurOAuth2"]["flows"]["clientCredentials"]
    assert flux["tokenUrl"] == base + "/connect/token"
    if opco.dialecte.scopes is not None:
        assert list(flux["scopes"]) == list(opco.dialecte.scopes)
    assert ("DPoP" in r.text) == opco.dialecte.dpop
    assert doc["components"]["securitySchemes"]["cleApiCfa"]["name"] == "X-API-KEY"


def test_scopes_and_error_bodies_of_the_dialects(client):
    akto = client.get("/akto/openapi.json").json()
    flux = akto["components"]["securitySchemes"]["editeurOAuth2"]["flows"]["clientCredentials"]
    assert ".default" in flux["scopes"]
    ep = client.get("/opcoep/openapi.json").json()
    assert (
        ep["components"]["securitySchemes"]["editeurOAuth2"]["flows"]["clientCredentials"]["scopes"]
        == {}
    )
    assert '"comment"' in ep["info"]["description"]
    assert "`description`" in client.get("/atlas/openapi.json").json()["info"]["description"]
    afdas = client.get("/afdas/openapi.json").json()
    jeton = afdas["paths"]["/connect/token"]["post"]
    assert any(p["name"] == "DPoP" for p in jeton["parameters"])


def test_token_url_follows_the_host_and_ignores_a_hostile_one(client):
    r = client.get("/AKTO/openapi.json", headers={"Host": "127.0.0.1:9000"})
    flux = r.json()["components"]["securitySchemes"]["editeurOAuth2"]["flows"]
    assert flux["clientCredentials"]["tokenUrl"] == "http://127.0.0.1:9000/akto/connect/token"
    r = client.get("/akto/openapi.json", headers={"Host": 'evil"><script>'})
    assert "<script>" not in r.text
    assert r.json()["servers"][0]["url"].endswith("/akto")


def test_yaml_and_swagger_ui_load_the_same_contract(client):
    r = client.get("/sante/openapi.yaml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/yaml")
    doc = yaml.safe_load(r.text)
    assert "/v1/conventions" not in doc["paths"]  # Santé does not take conventions
    page = client.get("/sante/ui/")
    assert page.status_code == 200 and "/sante/openapi.json" in page.text


def test_the_strict_profile_serves_the_whole_norm(client, norme_ops):
    client.put("/_sandbox/profil", json={"profil": "norme-stricte"})
    try:
        doc = client.get("/sante/openapi.json").json()
    finally:
        client.put("/_sandbox/profil", json={"profil": "dialectes"})
    assert _operations(doc) == norme_ops
    flux = doc["components"]["securitySchemes"]["editeurOAuth2"]["flows"]["clientCredentials"]
    assert flux["tokenUrl"].startswith("http://") and flux["tokenUrl"].endswith(
        "/sante/connect/token"
    )
    assert _operations(client.get("/sante/openapi.json").json()) < norme_ops
