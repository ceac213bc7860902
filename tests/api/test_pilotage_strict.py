"""The control API is as strict as the norm's: unknown fields and query parameters, `null`
and non-object bodies, out-of-range numbers are 400s with a stable code, never ignored."""

from __future__ import annotations

import pytest

from tests.api.test_entrees_hostiles import refus


def test_an_unknown_field_is_a_400_naming_it(client):
    avant = client.get("/_sandbox/horloge").json()
    response = client.post("/_sandbox/horloge/avancer", json={"jours": 1, "secondes": 1e18})
    (erreur,) = refus(response, 400, {"PARAM_UNKNOWN"})
    assert erreur["champ"] == "secondes"
    assert client.get("/_sandbox/horloge").json()["maintenant"] == avant["maintenant"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/_sandbox/horloge", {"instant": "2026-12-01T09:00:00+00:00", "fuseau": "UTC"}),
        ("post", "/_sandbox/horloge/figer", {"instant": None, "x": 1}),
        ("put", "/_sandbox/profil", {"profil": "dialectes", "opco": "akto"}),
        ("post", "/_sandbox/reinitialiser", {"opcos": ["akto"]}),
        ("put", "/_sandbox/opcos/akto/pannes", {"latenceMs": 0, "latence": 5000}),
        ("post", "/_sandbox/editeurs", {"nom": "Éditeur", "secret": "s"}),
        ("post", "/_sandbox/opcos/akto/cles", {"siren": "912345675", "duree": 3}),
    ],
)
def test_every_control_body_refuses_unknown_fields(client, method, path, body):
    errors = refus(getattr(client, method)(path, json=body), 400)
    assert "PARAM_UNKNOWN" in {e["code"] for e in errors}


def test_a_hostile_unknown_field_name_is_not_echoed_whole(client):
    response = client.post("/_sandbox/horloge/avancer", json={"X" * 10_000: 1})
    (erreur,) = refus(response, 400, {"PARAM_UNKNOWN"})
    assert len(erreur["champ"]) < 100


@pytest.mark.parametrize(
    ("jours", "code"),
    [
        (1e18, "TYPE_INVALID"),
        (10**18, "FORMAT_INVALID"),
        (-1, "FORMAT_INVALID"),
        (3651, "FORMAT_INVALID"),
        ("1", "TYPE_INVALID"),
        (True, "TYPE_INVALID"),
    ],
)
def test_out_of_range_or_mistyped_days_are_a_400(client, jours, code):
    avant = client.get("/_sandbox/horloge").json()
    errors = refus(client.post("/_sandbox/horloge/avancer", json={"jours": jours}), 400)
    assert code in {e["code"] for e in errors}
    assert {e["champ"] for e in errors} == {"jours"}
    assert client.get("/_sandbox/horloge").json()["maintenant"] == avant["maintenant"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/_sandbox/horloge"),  # a required body
        ("post", "/_sandbox/horloge/figer"),  # an optional one
        ("post", "/_sandbox/reinitialiser"),
        ("post", "/_sandbox/horloge/avancer"),
    ],
)
@pytest.mark.parametrize(
    ("corps", "code"),
    [
        ("null", "REQ_FIELD_MISSING"),
        ("[]", "TYPE_INVALID"),
        ('"texte"', "TYPE_INVALID"),
        ("3", "TYPE_INVALID"),
    ],
)
def test_a_null_or_non_object_body_is_a_400(client, method, path, corps, code):
    response = getattr(client, method)(
        path, content=corps, headers={"Content-Type": "application/json"}
    )
    (erreur,) = refus(response, 400, {code})
    assert erreur["champ"] == "corps"


@pytest.mark.parametrize("path", ["/_sandbox/horloge/figer", "/_sandbox/reinitialiser"])
def test_an_optional_body_can_still_be_left_out(client, path):
    assert client.post(path).status_code == 200


def test_a_null_body_on_the_norm_is_a_400_too(cfa):
    response = cfa.post(
        "/v1/dossiers",
        content="null",
        headers={**cfa.headers(), "Content-Type": "application/json"},
    )
    refus(response, 400, {"REQ_FIELD_MISSING"})


@pytest.mark.parametrize(
    "url",
    [
        "/_sandbox/horloge?fige=true",
        "/_sandbox/journal?limit=5",  # limite
        "/_sandbox/opcos?format=json",
        "/_sandbox/opcos/akto/pannes?opco=atlas",
    ],
)
def test_an_unknown_query_parameter_is_a_400(client, url):
    (erreur,) = refus(client.get(url), 400, {"PARAM_UNKNOWN"})
    assert erreur["champ"] == url.rsplit("?", 1)[1].split("=")[0]


@pytest.mark.parametrize(
    "url",
    [
        "/_sandbox/opcos/a%0Ab/dossiers/x",
        "/_sandbox/opcos/akto/dossiers/x%0A",
        "/_sandbox/opcos/akto/factures/%0A/reglement",
        "/_sandbox/opcos/akto/cles/%0A/expirer",
    ],
)
def test_a_newline_in_a_path_parameter_is_a_400_not_a_500(client, url):
    response = client.post(url) if url.endswith(("reglement", "expirer")) else client.get(url)
    refus(response, 400, {"PATH_INVALID"})
