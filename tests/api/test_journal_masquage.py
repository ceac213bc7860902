"""Issue 11 §3: the request journal and the error texts never keep a secret, a NIR, an IBAN
or a key in clear, whatever the field is called and wherever the value appears; and one
hostile entry never costs the journal the other entries of its batch."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from tests.api.test_factures import _une_raison, engage  # noqa: F401 (fixture)

NIR = "206057505612329"
NIR_ESPACES = "2 06 05 75 056 123 29"
IBAN = "FR7630006000011234567890189"
IBAN_ESPACES = "FR76 3000 6000 0112 3456 7890 189"
SECRET = "motdepasse-tres-secret-2026"


def _journal(client) -> dict:
    return client.get("/_sandbox/journal", params={"limite": 500}).json()


def _texte(client) -> str:
    return json.dumps(_journal(client), ensure_ascii=False)


def _fuites(texte: str, *valeurs: str) -> list[str]:
    return [v for v in valeurs if v in texte]


@pytest.mark.parametrize(
    "nom", ["clientSecret", "client_secret ", "Client-Secret", "CLIENT_SECRET", "motDePasse"]
)
def test_a_secret_under_a_misspelt_field_is_masked(client, cfa, contrat, nom):
    client.post(
        "/akto/connect/token",
        data={"grant_type": "client_credentials", "client_id": "demo-editeur", nom: SECRET},
    )
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"][nom] = SECRET
    cfa.transmettre(body)
    assert _fuites(_texte(client), SECRET) == []


def test_nir_and_iban_are_masked_by_their_shape_wherever_they_appear(client, cfa, contrat):
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["remarque"] = f"NIR {NIR_ESPACES}, IBAN {IBAN_ESPACES}"
    body["commentaire"] = IBAN
    cfa.transmettre(body)
    cfa.get("/v1/dossiers", params={"numeroInterne": NIR, "note": IBAN})
    cfa.get(f"/v1/dossiers/{NIR}")
    cfa.get(f"/v1/dossiers/{IBAN}")
    texte = _texte(client)
    assert _fuites(texte, NIR, NIR_ESPACES, IBAN, IBAN_ESPACES, "0112 3456 7890") == []
    assert "FR76 **** … 0189" in texte  # the masked form keeps what tells IBANs apart


def test_keys_and_tokens_are_masked_by_their_shape(client, cfa, contrat):
    cle = cfa.cfa["cles"]["akto"]
    jeton = cfa.headers()["Authorization"].split()[1]
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["remarque"] = f"ma clé {cle} et mon jeton {jeton}"
    cfa.transmettre(body)
    assert _fuites(_texte(client), cle, jeton) == []


def test_secret_headers_and_query_parameters_are_masked(client, cfa):
    cle, jeton = cfa.cfa["cles"]["akto"], cfa.headers()["Authorization"].split()[1]
    secrets = {
        "X-Admin-Token": "admin-jeton-tres-secret",
        "Cookie": "session=cookie-tres-secret",
        "Proxy-Authorization": "Basic cHJveHk6cHJveHktc2VjcmV0",
        "DPoP": "preuve-dpop-tres-secrete",
        "X-Api-Key": "cle-api-tres-secrete",
    }
    cfa.get("/v1/status", headers={**cfa.headers(), **secrets})
    cfa.get("/v1/status", headers={**cfa.headers(), "Authorization": "Basic ZGVtbzpzZWNyZXQ="})
    cfa.get("/v1/status", headers={**cfa.headers(), "Authorization": "Jeton-maison-secret"})
    for nom in ("apikey", "api_key", "access_token", "client_secret", "token"):
        cfa.get("/v1/status", params={nom: f"{nom}-valeur-secrete"})
    cfa.get("/v1/status", params={"apikey": cle, "access_token": jeton})
    texte = _texte(client)
    assert _fuites(texte, *secrets.values(), cle, jeton, "ZGVtbzpzZWNyZXQ=") == []
    assert _fuites(texte, "cookie-tres-secret", "Jeton-maison-secret", "-valeur-secrete") == []
    entree = next(e for e in _journal(client)["entrees"] if e["requete"]["query"].get("token"))
    assert entree["requete"]["query"]["token"] == "***"


# --- error texts ---------------------------------------------------------------------------


def test_format_error_names_the_nir_field_without_quoting_it(client, cfa, contrat):
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["nir"] = NIR[:-1]  # 14 characters: not even NIR-shaped
    response = cfa.transmettre(body)
    assert response.status_code == 400
    item = next(e for e in response.json()["errors"] if e["champ"] == "cerfa.apprenti.nir")
    assert item["code"] == "FORMAT_INVALID"
    assert (
        NIR[:-1] not in response.text and "2************* (14 caractère(s))" in item["description"]
    )
    assert NIR[:-1] not in _texte(client)


def test_format_error_never_quotes_an_iban_or_a_nir_in_another_field(client, cfa, contrat):
    body = copy.deepcopy(contrat)
    body["cerfa"]["employeur"]["siret"] = NIR
    body["cerfa"]["apprenti"]["sexe"] = IBAN  # an enum
    response = cfa.transmettre(body)
    assert response.status_code == 400
    assert _fuites(response.text, NIR, IBAN) == []
    assert _fuites(_texte(client), NIR, IBAN) == []


def test_iban_mismatch_shows_a_masked_iban(client, cfa, engage):
    autre = "FR7630003012340005001234509"
    response = _une_raison(cfa, engage, ibanEmetteur=autre)
    assert response.status_code == 400
    item = next(e for e in response.json()["errors"] if e["code"] == "INV_IBAN_MISMATCH")
    assert autre not in response.text and "FR76 **** … 4509" in item["description"]
    assert autre not in _texte(client)


def test_the_oauth_error_description_masks_a_nir(client):
    response = client.post(
        "/akto/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-editeur",
            "client_secret": "x",
            "scope": f"{NIR} {IBAN}",
        },
    )
    assert response.status_code in (400, 401)
    assert _fuites(response.text, NIR, IBAN) == []


def test_the_error_body_writer_masks_nir_and_iban_in_every_description():
    from opco_server.errors import ErrorItem, norm_body

    items = [ErrorItem("X", f"valeur {NIR} ou {IBAN_ESPACES} refusée", "champ")]
    for variante in ("norme", "atlas", "ep"):
        texte = json.dumps(norm_body(items, variante), ensure_ascii=False)
        assert _fuites(texte, NIR, IBAN_ESPACES) == [], variante
        assert (
            "SIRET 12345678901234"
            in norm_body([ErrorItem("X", "SIRET 12345678901234")])["errors"][0]["description"]
        )  # what is not NIR- nor IBAN-shaped stays as it is


# --- one hostile entry never loses the others ------------------------------------------------


def _compter(client, chemin: str) -> int:
    return sum(1 for e in _journal(client)["entrees"] if e["chemin"] == chemin)


def test_a_deeply_nested_body_does_not_lose_the_other_entries_of_its_batch(client, cfa, sandbox):
    cfa.headers()  # the token first, outside the batch
    hostile = b'{"cerfa":' + b"[" * 100_000
    with sandbox.journal.paused():  # everything below lands in one batch
        for _ in range(11):
            assert cfa.get("/v1/status").status_code == 200
        reponse = cfa.client.post(
            "/akto/v1/dossiers",
            content=hostile,
            headers={**cfa.headers(), "Content-Type": "application/json"},
        )
        assert reponse.status_code in (400, 413)
        cfa.get(f"/v1/dossiers/a%00b{NIR}")  # PostgreSQL refuses a NUL in a text column
    assert _compter(client, "/akto/v1/status") == 11
    assert _compter(client, "/akto/v1/dossiers") == 1
    nul = [e for e in _journal(client)["entrees"] if e["chemin"].startswith("/akto/v1/dossiers/")]
    assert len(nul) == 1 and "\x00" not in nul[0]["chemin"] and NIR not in nul[0]["chemin"]


def _capture(sandbox, path: str, body: bytes = b"", **headers: str) -> dict:
    now = datetime.now(UTC)
    return {
        "horodatage": now,
        "opco": "akto",
        "method": "POST" if body else "GET",
        "path": path,
        "query": b"",
        "headers": [(b"content-type", b"application/json")]
        + [(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
        "body": body,
        "status": 400,
        "response_headers": [(b"content-type", b"application/json")],
        "response_body": b'{"errors": []}',
        "duration_ms": 1.0,
        "wall": now,
    }


@pytest.mark.parametrize(
    "hostile",
    [
        {"path": "/akto/v1/dossiers", "body": b'{"cerfa":' + b"[" * 60_000 + b"]" * 60_000 + b"}"},
        {"path": "/akto/v1/dossiers", "body": b'{"cerfa": {"a": NaN, "b": "\\ud800"}}'},
        {"path": "/akto/v1/status\x00"},
        {"path": "/akto/v1/status", "EDITEUR": "e\x00" * 300},
        {"path": "/akto/v1/status", "X-Bizarre": "a\x00b"},
        {"path": "/akto/v1/status", "status": "pas un nombre"},
    ],
    ids=["imbrication", "nan-surrogat", "nul-chemin", "nul-editeur", "nul-entete", "statut"],
)
def test_one_hostile_entry_only_loses_itself(client, sandbox, hostile):
    hostile = dict(hostile)
    entrees = [_capture(sandbox, f"/akto/v1/autre/{i}") for i in range(5)]
    statut = hostile.pop("status", 400)
    capture = _capture(sandbox, hostile.pop("path"), hostile.pop("body", b""), **hostile)
    capture["status"] = statut
    entrees.insert(2, capture)
    with sandbox.journal.paused():
        for entree in entrees:
            sandbox.journal.add(entree)
    chemins = [e["chemin"] for e in _journal(client)["entrees"]]
    for i in range(5):
        assert f"/akto/v1/autre/{i}" in chemins
    assert len(chemins) == 6  # the hostile entry too, whole or as a placeholder
    assert "\x00" not in _texte(client)
