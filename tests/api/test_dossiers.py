"""Contracts in and out: transmit, read back, list, duplicates, scope (norm.md E3-E6)."""

from __future__ import annotations

import copy
import re
from concurrent.futures import ThreadPoolExecutor

import pytest


def _codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def _variant(contrat: dict, i: int) -> dict:
    """The same contract for another apprentice (not a duplicate)."""
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["nom"] = f"APPRENTI{i:06d}"
    return body


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_transmit_then_read_back(cfa, contrat, version):
    created = cfa.transmettre(contrat, version)
    assert created.status_code == 200, created.text
    numeros = created.json()
    assert re.fullmatch(r"\d{7}", numeros["numeroInterne"])
    assert re.fullmatch(r"2611AK\d{6}", numeros["numeroExterne"])

    detail = cfa.get(f"/{version}/dossiers", params={"numeroInterne": numeros["numeroInterne"]})
    assert detail.status_code == 200
    dossier = detail.json()
    assert dossier["cerfa"]["numeroInterne"] == numeros["numeroInterne"]
    assert dossier["cerfa"]["numeroExterne"] == numeros["numeroExterne"]
    assert dossier["cerfa"]["etat"] == "TRANSMIS"
    assert dossier["cerfa"]["numeroDeca"] is None
    assert dossier["cerfa"]["apprenti"] == contrat["cerfa"]["apprenti"]
    assert dossier["cerfa"]["contrat"] == contrat["cerfa"]["contrat"]
    assert dossier["echeances"] == []


def test_lgx_style_v1_payload_is_accepted(cfa, contrat):
    """What the observed v1 client sends (norm.md E3): Cerfa *10 with its empty fields."""
    cerfa = contrat["cerfa"]
    cerfa.pop("CERFASignatureProbante")
    cerfa.update(
        {
            "versionCERFA": "10103*10",
            "CERFAsignatureProbante": True,
            "etat": "TRANSMIS",
            "commentaireEtat": "",
        }
    )
    cerfa["contrat"].update(
        {
            "noContrat": 0,
            "noAvenant": 0,
            "dateRupture": "",
            "dateDebutContrat": "2026-09-01T00:00:00+00:00",
        }
    )
    cerfa["apprenti"]["dateNaissance"] = "2006-05-14T00:00:00+02:00"
    response = cfa.transmettre(contrat, "v1")
    assert response.status_code == 200, response.text


def test_client_state_fields_are_ignored(cfa, contrat):
    contrat["cerfa"].update({"etat": "ENGAGE", "numeroDeca": "075202609000001"})
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    cerfa = cfa.get("/v1/dossiers", params={"numeroInterne": numero}).json()["cerfa"]
    assert cerfa["etat"] == "TRANSMIS"
    assert cerfa["numeroDeca"] is None


def test_every_schema_problem_is_reported_at_once(cfa, contrat):
    cerfa = contrat["cerfa"]
    del cerfa["apprenti"]["nom"]
    cerfa["contrat"]["typeContratApp"] = 99
    cerfa["contrat"]["dateDebutContrat"] = "2026-02-30"
    cerfa["employeur"]["siret"] = "1234"
    response = cfa.transmettre(contrat)
    assert response.status_code == 400
    found = {(e["code"], e["champ"]) for e in response.json()["errors"]}
    assert found == {
        ("REQ_FIELD_MISSING", "cerfa.apprenti.nom"),
        ("ENUM_INVALID", "cerfa.contrat.typeContratApp"),
        ("FORMAT_INVALID", "cerfa.contrat.dateDebutContrat"),
        ("FORMAT_INVALID", "cerfa.employeur.siret"),
    }
    assert all(e["description"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "JSON_INVALID"), (b"\xff\xfe{}", "JSON_INVALID"), (b"", "REQ_FIELD_MISSING")],
)
def test_malformed_body_is_a_norm_400(cfa, raw, code):
    headers = {**cfa.headers(), "Content-Type": "application/json"}
    response = cfa.client.post("/akto/v1/dossiers", content=raw, headers=headers)
    assert response.status_code == 400
    assert _codes(response) == [code]


def test_wrong_media_type_is_a_norm_415(cfa):
    headers = {**cfa.headers(), "Content-Type": "text/plain"}
    response = cfa.client.post("/akto/v1/dossiers", content=b"x", headers=headers)
    assert response.status_code == 415
    assert _codes(response) == ["MEDIA_TYPE_UNSUPPORTED"]


def test_duplicate_contract_is_refused(cfa, contrat):
    assert cfa.transmettre(contrat).status_code == 200
    again = copy.deepcopy(contrat)
    again["cerfa"]["apprenti"]["nom"] = "martin "  # case and spaces do not hide a duplicate
    again["cerfa"]["apprenti"]["prenom"] = "LEA"  # nor accents
    response = cfa.transmettre(again, "v2")
    assert response.status_code == 400
    assert _codes(response) == ["DOSSIER_DUPLICATE"]
    assert len(cfa.get("/v1/dossiers/etats").json()) == 1


def test_other_employer_is_not_a_duplicate(cfa, contrat):
    assert cfa.transmettre(contrat).status_code == 200
    contrat["cerfa"]["employeur"]["siret"] = "80123456800013"
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text


def test_an_avenant_is_not_a_duplicate_of_its_contract(cfa, contrat):
    assert cfa.transmettre(contrat).status_code == 200
    contrat["cerfa"]["contrat"].update(
        {
            "typeContratApp": 36,
            "dateEffetAvenant": "2027-01-01",
            "numeroContratPrecedent": "013202609000123",
        }
    )
    assert cfa.transmettre(contrat).status_code == 200


def test_concurrent_duplicates_create_exactly_one_dossier(app, identities, contrat):
    from tests.conftest import NormClient

    with app.test_client() as client:
        headers = NormClient(client, identities).headers()

    def send(_):
        with app.test_client() as client:
            return client.post("/akto/v1/dossiers", json=contrat, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(send, range(12)))
    assert statuses.count(200) == 1
    assert set(statuses) == {200, 400}
    with app.test_client() as client:
        etats = client.get("/akto/v1/dossiers/etats", headers=headers).json()
    assert len(etats) == 1


def test_siret_of_another_siren_is_forbidden(cfa, contrat, identities):
    other = identities["cfas"][1]["etablissements"][0]
    contrat["cerfa"]["organismeFormation"].update({"siret": other["siret"], "uaiCfa": other["uai"]})
    response = cfa.transmettre(contrat)
    assert response.status_code == 403
    assert _codes(response) == ["AUTH_SIRET_OUT_OF_SCOPE"]


def test_another_cfa_cannot_see_the_dossier(make_cfa, contrat):
    numero = make_cfa("akto", 0).transmettre(contrat).json()["numeroInterne"]
    other = make_cfa("akto", 1)
    response = other.get("/v1/dossiers", params={"numeroInterne": numero})
    unknown = other.get("/v1/dossiers", params={"numeroInterne": "9999999"})
    assert response.status_code == unknown.status_code == 404
    assert response.json()["errors"][0]["code"] == unknown.json()["errors"][0]["code"]
    assert other.get("/v1/dossiers/etats").json() == []


def test_unknown_dossier_is_404(cfa):
    response = cfa.get("/v2/dossiers", params={"numeroInterne": "123"})
    assert response.status_code == 404
    assert _codes(response) == ["DOSSIER_NOT_FOUND"]


def test_dossiers_do_not_leak_across_opcos(make_cfa, contrat):
    akto, atlas = make_cfa("akto"), make_cfa("atlas")
    numero = akto.transmettre(contrat).json()["numeroInterne"]
    assert atlas.get("/v1/dossiers", params={"numeroInterne": numero}).status_code == 404
    assert atlas.get("/v1/dossiers/etats").json() == []
    # The same contract may be sent to another OPCO: duplicates are per OPCO.
    assert atlas.transmettre(contrat).status_code == 200


@pytest.mark.parametrize(
    ("opco", "pattern"),
    [("afdas", r"CA-\d{7}"), ("constructys", r"CX2026\d{6}"), ("opcoep", r"EP2611\d{6}")],
)
def test_numbering_follows_the_opco_format(make_cfa, contrat, opco, pattern):
    response = make_cfa(opco).transmettre(contrat)
    assert re.fullmatch(pattern, response.json()["numeroExterne"])


def test_etats_v1_lists_every_dossier_in_order(cfa, contrat):
    numeros = [cfa.transmettre(_variant(contrat, i)).json()["numeroInterne"] for i in range(3)]
    etats = cfa.get("/v1/dossiers/etats").json()
    assert [e["numeroInterne"] for e in etats] == numeros
    assert {e["etat"] for e in etats} == {"TRANSMIS"}


def test_etats_v2_pages_are_stable_and_complete(cfa, contrat, sandbox):
    size = sandbox.opcos["akto"].taille_page_etats
    count = size + 3
    numeros = [cfa.transmettre(_variant(contrat, i)).json()["numeroInterne"] for i in range(count)]
    seen, page = [], 1
    while True:
        body = cfa.get("/v2/dossiers/etats", params={"numeroPage": page}).json()
        assert body["total"] == count
        assert body["page"] == page
        assert body["count"] == len(body["EtatDossierResult"])
        if not body["EtatDossierResult"]:
            break
        seen += [e["numeroInterne"] for e in body["EtatDossierResult"]]
        page += 1
    assert seen == numeros
    assert page == 3


def test_etats_v2_default_page_is_the_first(cfa, contrat):
    cfa.transmettre(contrat)
    body = cfa.get("/v2/dossiers/etats").json()
    assert body["page"] == 1
    assert body["total"] == 1


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_etats_v2_rejects_bad_page_numbers(cfa, page):
    response = cfa.get("/v2/dossiers/etats", params={"numeroPage": page})
    assert response.status_code == 400
    assert response.json()["errors"][0]["champ"] == "numeroPage"


def test_liste_returns_the_requested_dossiers_in_order(cfa, contrat):
    a = cfa.transmettre(_variant(contrat, 1)).json()["numeroInterne"]
    b = cfa.transmettre(_variant(contrat, 2)).json()["numeroInterne"]
    response = cfa.get("/v1/dossiers/liste", params={"numerosInternes": f"{b},0000000,{a}"})
    assert response.status_code == 200
    assert [d["cerfa"]["numeroInterne"] for d in response.json()] == [b, a]


def test_unknown_query_parameter_is_refused_by_the_strict_norm(cfa, client):
    """Under `dialectes` it is ignored, as the OPCOs' servers do (test_ecarts_norme.py)."""
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    try:
        response = cfa.get("/v1/dossiers/etats", params={"dateDebut": "2026-01-01"})
    finally:
        client.put("/_sandbox/profil", json={"profil": "dialectes"})
    assert response.status_code == 400
    assert _codes(response) == ["PARAM_UNKNOWN"]


def test_data_survives_a_restart(app, base_settings, contrat, identities):
    """A second app on the same database (a restart) sees what the first one stored (`app`:
    the demo state, reset, whatever test ran before on this worker)."""
    from opco_server import create_app
    from tests.conftest import NormClient

    first = create_app(base_settings)
    with first.test_client() as client:
        numero = NormClient(client, identities).transmettre(contrat).json()["numeroInterne"]
    first.app.extensions["opco.sandbox"].fermer()
    second = create_app(base_settings)
    with second.test_client() as client:
        response = NormClient(client, identities).get(
            "/v1/dossiers", params={"numeroInterne": numero}
        )
    second.app.extensions["opco.sandbox"].fermer()
    assert response.status_code == 200
