"""Issue 12 §5: the token endpoint as a standard OAuth2 client expects it (client_secret_basic
as well as client_secret_post), tokens living on real time, and a control-API action expiring
them so the 401-then-renew path stays testable."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from urllib.parse import quote_plus

import pytest

from tests.conftest import dpop_proof

FORM = {"grant_type": "client_credentials"}


def _basic(client_id: str, client_secret: str) -> str:
    brut = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return "Basic " + base64.b64encode(brut).decode("ascii")


def _editeur(identities) -> tuple[str, str]:
    editeur = identities["editeur"]
    return editeur["client_id"], editeur["client_secret"]


def _codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# --- client_secret_basic -------------------------------------------------------------------


def test_basic_authentication_gets_a_token_that_works(client, cfa, identities):
    response = client.post(
        "/akto/connect/token", data=FORM, headers={"Authorization": _basic(*_editeur(identities))}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    headers = cfa.headers(Authorization=f"Bearer {body['access_token']}")
    assert client.get("/akto/v1/status", headers=headers).status_code == 200


def test_basic_and_form_may_both_be_sent_when_they_agree(client, identities):
    client_id, secret = _editeur(identities)
    response = client.post(
        "/akto/connect/token",
        data={**FORM, "client_id": client_id},  # what requests-oauthlib sends by default
        headers={"Authorization": _basic(client_id, secret)},
    )
    assert response.status_code == 200, response.text


def test_basic_with_a_wrong_secret_is_401_invalid_client(client, identities):
    client_id, _ = _editeur(identities)
    response = client.post(
        "/akto/connect/token", data=FORM, headers={"Authorization": _basic(client_id, "faux")}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert _codes(response) == ["OAUTH_INVALID_CLIENT"]
    assert response.headers["www-authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": "un-autre-editeur"},
        {"client_secret": "un-autre-secret"},
    ],
)
def test_basic_and_form_that_disagree_are_400(client, identities, form):
    response = client.post(
        "/akto/connect/token",
        data={**FORM, **form},
        headers={"Authorization": _basic(*_editeur(identities))},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert _codes(response) == ["OAUTH_CLIENT_AUTH_CONFLICT"]


@pytest.mark.parametrize(
    "entete",
    [
        "Basic %%%pas-du-base64%%%",
        "Basic " + base64.b64encode(b"sans-deux-points").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xfa").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"demo-editeur:%ff").decode(),  # %-escape, not UTF-8
        "Basic",
        "basic    ",
    ],
)
def test_a_malformed_basic_header_is_400_with_a_stable_code(client, entete):
    response = client.post("/akto/connect/token", data=FORM, headers={"Authorization": entete})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert _codes(response) == ["OAUTH_BASIC_MALFORMED"]


def test_secrets_are_form_urlencoded_in_the_basic_header(client):
    created = client.post(
        "/_sandbox/editeurs", json={"nom": "Éditeur encodé", "clientId": "editeur.a-b_c"}
    ).json()
    response = client.post(
        "/akto/connect/token",
        data=FORM,
        headers={"Authorization": _basic(created["clientId"], created["clientSecret"])},
    )
    assert response.status_code == 200, response.text


def test_afdas_accepts_basic_with_its_dpop_proof(client, identities):
    url = "/afdas/connect/token"
    response = client.post(
        url,
        data=FORM,
        headers={
            "Authorization": _basic(*_editeur(identities)),
            "DPoP": dpop_proof(f"http://testserver{url}"),
        },
    )
    assert response.status_code == 200, response.text


def test_the_journal_names_the_basic_client_and_keeps_no_secret(client, identities):
    client_id, secret = _editeur(identities)
    client.post(
        "/akto/connect/token", data=FORM, headers={"Authorization": _basic(client_id, secret)}
    )
    client.post(
        "/akto/connect/token", data=FORM, headers={"Authorization": _basic(client_id, "faux")}
    )
    journal = client.get(
        "/_sandbox/journal", params={"operation": "authentification.obtenir_jeton"}
    ).json()
    entrees = journal["entrees"]
    assert [e["clientId"] for e in entrees] == [client_id, client_id]
    texte = json.dumps(journal)
    assert secret not in texte
    assert _basic(client_id, secret).split()[1] not in texte


# --- tokens live on real time --------------------------------------------------------------


def test_a_token_survives_a_ten_day_advance_of_the_sandbox(client, cfa):
    headers = cfa.headers()
    avant = client.get("/akto/v1/status", headers=headers)
    assert avant.status_code == 200
    avance = client.post("/_sandbox/horloge/avancer", json={"jours": 10})
    assert avance.status_code == 200, avance.text
    response = client.get("/akto/v1/status", headers=headers)  # same token, no renewal
    assert response.status_code == 200, response.text
    # Responses keep following the sandbox clock.
    ecart = datetime.fromisoformat(response.json()["dateHeure"]) - datetime.fromisoformat(
        avant.json()["dateHeure"]
    )
    assert ecart == timedelta(days=10)


def test_a_key_still_expires_on_the_sandbox_clock(client, cfa):
    headers = cfa.headers()
    siren = cfa.cfa["siren"]
    cle = client.post("/_sandbox/opcos/akto/cles", json={"siren": siren, "jours": 5}).json()
    headers["X-API-KEY"] = cle["cle"]
    assert client.get("/akto/v1/status", headers=headers).status_code == 200
    client.post("/_sandbox/horloge/avancer", json={"jours": 6})
    response = client.get("/akto/v1/status", headers=headers)  # the token is still good
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_KEY_EXPIRED"]


# --- POST /_sandbox/jetons/expirer ---------------------------------------------------------


def test_expiring_tokens_answers_401_then_the_client_renews(client, cfa):
    assert cfa.get("/v1/status").status_code == 200
    old = cfa.headers()
    assert set(client.post("/_sandbox/jetons/expirer").json()) == {"expiresAvant"}
    response = client.get("/akto/v1/status", headers=old)
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_EXPIRED"]
    assert cfa.get("/v1/status").status_code == 200  # NormClient: 401, new token, retry
    assert cfa.headers()["Authorization"] != old["Authorization"]


def test_expiring_tokens_can_be_narrowed_to_an_opco_or_a_client(client, make_cfa, identities):
    akto, atlas = make_cfa("akto"), make_cfa("atlas")
    assert akto.get("/v1/status").status_code == 200
    assert atlas.get("/v1/status").status_code == 200
    atlas_headers = atlas.headers()
    akto_headers = akto.headers()
    expire = client.post("/_sandbox/jetons/expirer", json={"opco": "akto"})
    assert expire.status_code == 200, expire.text
    assert client.get("/akto/v1/status", headers=akto_headers).status_code == 401
    assert client.get("/atlas/v1/status", headers=atlas_headers).status_code == 200
    autre = client.post("/_sandbox/editeurs", json={"nom": "Autre"}).json()
    client_id, _ = _editeur(identities)
    expire = client.post("/_sandbox/jetons/expirer", json={"clientId": autre["clientId"]})
    assert expire.status_code == 200, expire.text
    assert client.get("/atlas/v1/status", headers=atlas_headers).status_code == 200
    expire = client.post("/_sandbox/jetons/expirer", json={"clientId": client_id})
    assert expire.status_code == 200, expire.text
    assert client.get("/atlas/v1/status", headers=atlas_headers).status_code == 401
    assert atlas.get("/v1/status").status_code == 200  # a token issued after the cut works


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"opco": "inconnu"}, 404, "OPCO_NOT_FOUND"),
        ({"clientId": "inconnu"}, 404, "EDITOR_NOT_FOUND"),
        ({"jours": 1}, 400, "PARAM_UNKNOWN"),
    ],
)
def test_expiring_tokens_refuses_what_it_does_not_know(client, body, status, code):
    response = client.post("/_sandbox/jetons/expirer", json=body)
    assert response.status_code == status, response.text
    if code:
        assert _codes(response) == [code]


def test_the_console_expires_an_opcos_tokens(client, cfa):
    from tests.api.test_console import messages, post

    headers = cfa.headers()
    assert client.get("/akto/v1/status", headers=headers).status_code == 200
    page = post(client, "/console/opco/akto/jetons/expirer")
    assert (
        "succes",
        "Les jetons d'accès émis jusqu'ici chez AKTO sont expirés : le prochain appel de chaque "
        "client répondra 401.",
    ) in messages(page)
    response = client.get("/akto/v1/status", headers=headers)
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_EXPIRED"]
