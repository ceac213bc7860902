"""Double authentication as the norm describes it: editor token + CFA key + identification."""

from __future__ import annotations

from datetime import timedelta

import pytest


def _codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_token_endpoint_issues_bearer_token(client, identities):
    editeur = identities["editeur"]
    response = client.post(
        "/akto/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": editeur["client_id"],
            "client_secret": editeur["client_secret"],
            "scope": "api.read api.write",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "api.read api.write"
    assert len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {
                "grant_type": "client_credentials",
                "client_id": "demo-editeur",
                "client_secret": "faux",
            },
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "inconnu", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": "demo-editeur", "client_secret": "x"},
            400,
            "unsupported_grant_type",
        ),
    ],
)
def test_token_endpoint_refuses_bad_credentials(client, form, status, error):
    response = client.post("/akto/connect/token", data=form)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["errors"][0]["code"].startswith("OAUTH_")


def test_missing_token_is_401(cfa):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(Authorization=None))
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_MISSING"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_token_is_401(cfa):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(Authorization="Bearer nope"))
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]


def test_non_bearer_authorization_is_401(cfa):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(Authorization="Basic eDp5"))
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]


def test_expired_token_is_401_and_a_new_token_works(client, cfa):
    headers = cfa.headers()
    assert cfa.get("/v1/status", headers=headers).status_code == 200
    # Tokens live on real time: the control API expires them (tests/api/test_jetons.py).
    assert client.post("/_sandbox/jetons/expirer").status_code == 200
    response = cfa.get("/v1/status", headers=headers)
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_EXPIRED"]
    fresh = cfa.headers(Authorization=f"Bearer {cfa.token()}")
    assert cfa.get("/v1/status", headers=fresh).status_code == 200


def test_token_of_another_opco_is_refused(cfa):
    atlas_token = cfa.token("atlas")
    response = cfa.get("/v1/status", headers=cfa.headers(Authorization=f"Bearer {atlas_token}"))
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]


def test_missing_key_is_403(cfa):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(X_API_KEY=None))
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_KEY_MISSING"]


def test_unknown_key_is_403(cfa):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(X_API_KEY="0" * 40))
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_KEY_INVALID"]


def test_key_of_another_opco_is_403(cfa):
    atlas_key = cfa.cfa["cles"]["atlas"]
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(X_API_KEY=atlas_key))
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_KEY_INVALID"]


def test_key_header_name_is_case_insensitive(cfa):
    headers = cfa.headers(X_API_KEY=None)
    headers["x-api-key"] = cfa.cfa["cles"]["akto"]
    assert cfa.get("/v1/status", headers=headers).status_code == 200


def test_expired_key_is_403(cfa, horloge):
    horloge.avancer(timedelta(days=366))
    headers = cfa.headers(Authorization=f"Bearer {cfa.token()}")
    response = cfa.get("/v1/dossiers/etats", headers=headers)
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_KEY_EXPIRED"]


def test_key_is_valid_up_to_its_last_day(cfa, horloge):
    horloge.avancer(timedelta(days=365))
    headers = cfa.headers(Authorization=f"Bearer {cfa.token()}")
    assert cfa.get("/v1/status", headers=headers).status_code == 200


def test_token_is_checked_before_the_key(cfa):
    response = cfa.get("/v1/status", headers=cfa.headers(Authorization=None, X_API_KEY=None))
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["EDITEUR", "LOGICIEL", "VERSION"])
def test_missing_identification_header_is_400(cfa, header):
    response = cfa.get("/v1/dossiers/etats", headers=cfa.headers(**{header: None}))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "HEADER_MISSING",
            "description": f"L'en-tête « {header} » est obligatoire.",
            "champ": header,
        }
    ]


def test_all_missing_headers_are_listed_at_once(cfa):
    response = cfa.get("/v1/status", headers=cfa.headers(EDITEUR=None, LOGICIEL=None, VERSION=None))
    assert response.status_code == 400
    assert sorted(e["champ"] for e in response.json()["errors"]) == [
        "EDITEUR",
        "LOGICIEL",
        "VERSION",
    ]


def test_empty_identification_header_is_400(cfa):
    response = cfa.get("/v1/status", headers=cfa.headers(VERSION=""))
    assert response.status_code == 400
    assert _codes(response) == ["HEADER_MISSING"]


def test_one_key_serves_every_establishment_of_the_siren(make_cfa, contrat):
    cfa = make_cfa("akto", 0)
    second = cfa.cfa["etablissements"][1]
    contrat["cerfa"]["organismeFormation"]["siret"] = second["siret"]
    contrat["cerfa"]["organismeFormation"]["uaiCfa"] = second["uai"]
    assert cfa.transmettre(contrat).status_code == 200


def test_new_key_replaces_the_previous_one(cfa, sandbox):
    from opco_server.services import identites

    old = cfa.cfa["cles"]["akto"]
    with sandbox.session() as session:
        _, new = identites.generer_cle(
            session, sandbox.horloge, sandbox.opcos["akto"], cfa.cfa["siren"]
        )
        session.commit()
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=old)).status_code == 403
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=new)).status_code == 200


def test_secrets_are_stored_hashed(cfa, sandbox, identities):
    from sqlalchemy import select

    from opco_server.models import CleCfa, Editeur

    token = cfa.token()  # signed and self-contained: stored nowhere
    with sandbox.session() as session:
        stored = [
            *session.scalars(select(CleCfa.cle_hash)),
            *session.scalars(select(Editeur.secret_hash)),
        ]
    plain = [cfa.cfa["cles"]["akto"], token, identities["editeur"]["client_secret"]]
    assert all(len(h) == 64 for h in stored)
    assert not set(plain) & set(stored)


def _preuve_sans_jwk(url: str) -> str:
    """A DPoP proof signed without `jwk` in its JOSE header, as production clients send it."""
    import time
    import uuid

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    cle = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": url, "iat": int(time.time())}
    return jwt.encode(claims, cle, algorithm="RS256", headers={"typ": "dpop+jwt"})


@pytest.mark.parametrize("profil", ["dialectes", "norme-stricte"])
def test_afdas_dpop_proof_without_jwk(client, identities, profil):
    editeur = identities["editeur"]
    form = {
        "grant_type": "client_credentials",
        "client_id": editeur["client_id"],
        "client_secret": editeur["client_secret"],
    }
    assert client.put("/_sandbox/profil", json={"profil": profil}).status_code == 200
    try:
        proof = _preuve_sans_jwk("http://testserver/afdas/connect/token")
        response = client.post("/afdas/connect/token", data=form, headers={"DPoP": proof})
        sans_preuve = client.post("/afdas/connect/token", data=form)
    finally:
        client.put("/_sandbox/profil", json={"profil": "dialectes"})
    if profil == "norme-stricte":
        # No proof is required by the norm, but one that is sent follows RFC 9449: jwk needed.
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["code"] == "DPOP_JWK"
        assert sans_preuve.status_code == 200, sans_preuve.text
        return
    assert sans_preuve.status_code == 400  # Afdas's dialect requires a proof
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"
    if profil == "dialectes":
        assert "NORM_DPOP_JWK_ABSENT" in response.headers["X-Sandbox-Ecarts-Norme"]
        entrees = client.get("/_sandbox/journal", params={"opco": "afdas"}).json()["entrees"]
        ecarts = [e for entree in entrees for e in entree.get("ecarts") or []]
        assert {"code": "NORM_DPOP_JWK_ABSENT", "champ": "DPoP.jwk"} in ecarts
