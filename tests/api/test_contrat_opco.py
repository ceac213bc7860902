"""Each OPCO serves its own contract at /{opco}/openapi.json: the operations it offers, its
scopes, DPoP at Afdas, an absolute token URL; the strict profile serves the whole norm."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
import yaml

from opco_server.http.contrat import METHODES, PagesUI


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


def test_the_swagger_ui_page_signs_dpop_proofs_at_afdas_only(client, sandbox):
    afdas = client.get("/afdas/ui/")
    assert afdas.status_code == 200 and afdas.headers["content-type"].startswith("text/html")
    assert "<title>Swagger UI — Afdas</title>" in afdas.text
    assert "requestInterceptor" in afdas.text and "crypto.subtle.generateKey" in afdas.text
    assert '"dpop": true' in afdas.text and '"jeton": "/afdas/connect/token"' in afdas.text
    assert 'id="opco-sandbox-avis-dpop"' in afdas.text  # shown out of a secure context
    akto = client.get("/akto/ui/")
    assert akto.status_code == 200 and '"url": "/akto/openapi.json"' in akto.text
    assert '"dpop": false' in akto.text and 'id="opco-sandbox-avis-dpop"' not in akto.text
    assert client.get("/AFDAS/ui/index.html").text == afdas.text
    tete = client.head("/afdas/ui/")
    assert tete.status_code == 200 and tete.content == b""
    assert tete.headers["content-length"] == str(len(afdas.content))
    assert client.get("/afdas/ui/swagger-ui-bundle.js").status_code == 200  # still connexion's

    # Only the page's own scripts: its directory and its one inline script, by hash.
    (script,) = re.findall(r"<script>(.*?)</script>", afdas.text, re.DOTALL)
    empreinte = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = dict(d.strip().split(" ", 1) for d in afdas.headers["content-security-policy"].split(";"))
    assert csp["script-src"] == f"'self' 'sha256-{empreinte}'"
    assert akto.headers["content-security-policy"] == afdas.headers["content-security-policy"]
    assert afdas.headers["x-content-type-options"] == "nosniff"

    # What the page is given is escaped: JSON in a data block, HTML text.
    hostile = '/x"</script><script>alert(1)</script>'
    page = PagesUI(sandbox).pour({"root_path": hostile + "/afdas"}, "afdas")
    assert "<script>alert(1)" not in page and page.count("</script>") == 4


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
