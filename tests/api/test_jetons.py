"""Issue 12 §5: the token endpoint as a standard OAuth2 client expects it (client_secret_basic
as well as client_secret_post), tokens living on real time, and a control-API action expiring
them so the 401-then-renew path stays testable."""

from __future__ import annotations

import base64
import json
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
