"""Inputs that answered 500 (issue 11 §4): each is now a clear 4xx in the norm's format, with
a stable code, and nothing is stored — on SQLite and on PostgreSQL (which refuses NUL bytes
and infinite numbers where SQLite kept them)."""

from __future__ import annotations

import copy
import json

import pytest

from tests.api.test_entrees_hostiles import (  # noqa: F401  (fixtures)
    JSON,
    TOKEN,
    Scene,
    instantane,
    refus,
    rien_de_stocke,
    scene,
    scenes,
)
from tests.brut import appeler

# --- media types -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "Application/Json; Charset=UTF-8"])
def test_json_media_types_ignore_case(scene: Scene, content_type):
    """RFC 9110: media types are case-insensitive; the Cerfa is read as with lower case."""
    body = json.dumps(scene.charge("/v1/dossiers")).encode()
    response = scene.client.post(
        scene.url("/v1/dossiers"),
        content=body,
        headers={**scene.headers, "Content-Type": content_type},
    )
    assert response.status_code == 200, response.text


def test_form_media_type_ignores_case(scene: Scene, identities):
    editeur = identities["editeur"]
    form = (
        f"grant_type=client_credentials&client_id={editeur['client_id']}"
        f"&client_secret={editeur['client_secret']}"
    )
    response = scene.client.post(
        scene.url(TOKEN),
        content=form.encode(),
        headers={"Content-Type": "APPLICATION/X-WWW-FORM-URLENCODED"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", [None, ""])
@pytest.mark.parametrize("chemin", [*JSON, TOKEN])
def test_a_body_without_content_type_is_a_415(scene: Scene, rien_de_stocke, chemin, content_type):
    body = (
        b"grant_type=client_credentials"
        if chemin == TOKEN
        else json.dumps(scene.charge(chemin)).encode()
    )
    headers = {k: v for k, v in scene.headers.items() if k.lower() != "content-type"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = appeler(scene.client.app, "POST", scene.url(chemin), headers, body)
    assert response.status == 415 and response.codes == {"MEDIA_TYPE_UNSUPPORTED"}
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("content_type", [None, "", "APPLICATION/JSON"])
def test_control_api_media_types(client, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = appeler(client.app, "POST", "/_sandbox/horloge/avancer", headers, b'{"heures":1}')
    if content_type == "APPLICATION/JSON":
        assert response.status == 200
    else:
        assert response.status == 415 and response.codes == {"MEDIA_TYPE_UNSUPPORTED"}


# --- the token endpoint ----------------------------------------------------------------------


def test_a_token_form_with_more_than_1000_fields_is_a_400(scene: Scene, rien_de_stocke):
    form = "&".join(f"champ{i}=x" for i in range(1200)).encode()
    response = scene.formulaire(form)
    erreurs = refus(response, 400, {"REQUEST_INVALID"})
    assert response.json()["error"] == "invalid_request"
    assert "1 000" in erreurs[0]["description"]


@pytest.mark.parametrize("champ", ["client_id", "client_secret", "grant_type", "scope"])
def test_a_nul_byte_in_a_token_field_is_a_400(scene: Scene, identities, rien_de_stocke, champ):
    editeur = identities["editeur"]
    valeurs = {
        "grant_type": "client_credentials",
        "client_id": editeur["client_id"],
        "client_secret": editeur["client_secret"],
        "scope": "api.read",
    }
    valeurs[champ] = "a\x00b"
    form = "&".join(f"{k}={v.replace(chr(0), '%00')}" for k, v in valeurs.items()).encode()
    response = scene.formulaire(form)
    refus(response, 400, {"FORMAT_INVALID"})
    assert response.json()["error"] == "invalid_request"


# --- numbers beyond a double -----------------------------------------------------------------


def _avec(charge: dict, chemin: list, texte: str) -> bytes:
    """The body with the number at `chemin` written as `texte` (not representable in JSON
    by Python itself: 1e400 is infinity once parsed)."""
    marque = "__NOMBRE__"
    copie = copy.deepcopy(charge)
    cible = copie
    for part in chemin[:-1]:
        cible = cible[part]
    cible[chemin[-1]] = marque
    return json.dumps(copie).replace(f'"{marque}"', texte).encode()


@pytest.mark.parametrize("texte", ["1e400", "-1e400", "1E999"])
@pytest.mark.parametrize(
    "chemin",
    [
        ["cerfa", "contrat", "salaireEmbauche"],
        ["cerfa", "formation", "dureeFormation"],
        ["cerfa", "contrat", "remunerationsAnnuelles", 0, "taux"],
    ],
)
def test_numbers_beyond_a_double_are_refused(scene: Scene, rien_de_stocke, chemin, texte):
    body = _avec(scene.charge("/v1/dossiers"), chemin, texte)
    response = scene.client.post(
        scene.url("/v1/dossiers"),
        content=body,
        headers={**scene.headers, "Content-Type": "application/json"},
    )
    (erreur,) = refus(response, 400, {"NUMBER_OUT_OF_RANGE"})
    champ = ".".join(str(p) for p in chemin).replace(".0.", "[0].")
    assert erreur["champ"] == champ
    # Nothing non-finite was stored: every listing is still valid JSON.
    listing = scene.client.get(scene.url("/v1/dossiers/etats"), headers=scene.headers)
    json.loads(listing.text, parse_constant=lambda c: pytest.fail(f"{c} served"))


def test_a_number_beyond_a_double_in_a_json_part_is_refused(scene: Scene, rien_de_stocke):
    from tests.api.test_cycle_de_vie import PDF

    facture = scene.charge("/v1/factures")
    partie = _avec(facture, ["lignes", 0, "montant"], "1e400")
    response = scene.client.post(
        scene.url("/v1/factures"),
        files={
            "facture": (None, partie, "application/json"),
            "fichier": ("f.pdf", PDF, "application/pdf"),
        },
        headers=scene.headers,
    )
    (erreur,) = refus(response, 400, {"NUMBER_OUT_OF_RANGE"})
    assert erreur["champ"] == "facture.lignes[0].montant"


# --- NUL bytes and ambiguous paths -----------------------------------------------------------


@pytest.mark.parametrize(
    "cible",
    [
        "/v2/dossiers/etats?numerosInternes=1,%00",
        "/v1/dossiers/etats?numeroInterne=%00",
        "/v1/dossiers/1%002",
        "/v1/dossiers/1%0A2",
    ],
)
def test_a_nul_or_control_byte_in_a_query_or_path_is_a_400(scene: Scene, rien_de_stocke, cible):
    response = appeler(scene.client.app, "GET", scene.url(cible), scene.headers)
    assert response.status == 400
    assert response.codes <= {"QUERY_INVALID", "PATH_INVALID"} and response.codes


@pytest.mark.parametrize(
    "cible",
    [
        "/console/opco/akto/dossiers/1%002",
        "/console/journal?cfa=%00",
        "/_sandbox/opcos/akto/dossiers/a%0Ab",
        "/_sandbox/opcos/akto/dossiers/a%00b",
        "/_sandbox/journal?cfa=%00",
    ],
)
def test_a_nul_byte_never_reaches_the_database_through_the_sandboxs_own_pages(app, cible):
    response = appeler(app, "GET", cible)
    assert response.status == 400, response.body[:300]


def test_a_nul_byte_in_a_console_form_is_a_400(client):
    from tests.api.test_console import csrf

    response = client.post(
        "/console/opco/akto/editeurs", data={"nom": "a\x00b", "csrf": csrf(client)}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "cible"),
    [
        ("GET", "//_sandbox/health"),
        ("GET", "//_sandbox/horloge"),
        ("GET", "/akto//v1/status"),
        ("GET", "/akto/v1//status"),
        ("POST", "/akto//connect/token"),
        ("GET", "/akto/v1/./status"),
        ("GET", "/akto/v1/../v1/status"),
        ("GET", "/akto/v1\\status"),
        ("GET", "/_sandbox/opcos/akto/dossiers/%0A"),
    ],
)
def test_ambiguous_paths_are_a_clean_400(app, method, cible):
    """Never a 500, a 308 without Location or a 405 with an empty Allow."""
    response = appeler(app, method, cible)
    assert response.status == 400 and response.codes == {"PATH_INVALID"}
    assert response.headers["content-type"] == "application/json"
