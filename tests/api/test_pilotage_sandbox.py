"""The sandbox around the norm: journal, conformance report, reset, scenarios, faults,
OPCO dialects and the strict profile, editors and keys through the control API."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from tests.api.test_cycle_de_vie import detail


def _codes(response) -> set[str]:
    return {e["code"] for e in response.json().get("errors", [])}


@pytest.fixture
def profil_strict(client):
    client.put("/_sandbox/profil", json={"profil": "norme-stricte"})
    yield
    client.put("/_sandbox/profil", json={"profil": "dialectes"})


def test_journal_records_every_norm_call_with_secrets_masked(cfa, client, contrat, identities):
    del contrat["cerfa"]["apprenti"]["nom"]  # a 400, to see its codes
    cfa.transmettre(contrat)
    cfa.get("/v1/status")
    body = client.get("/_sandbox/journal", params={"opco": "akto"}).json()
    entrees = body["entrees"]
    status, post = entrees[0], entrees[1]
    assert status["operation"] == "systeme.consulter_statut" and status["statut"] == 200
    assert (status["editeur"], status["logiciel"], status["version"]) == (
        "Editeur de test",
        "GestionCFA",
        "4.2.0",
    )
    assert status["cfaSiren"] == "912345675" and status["clientId"] == "demo-editeur"
    assert post["statut"] == 400 and "REQ_FIELD_MISSING" in post["codes"]
    token = next(e for e in entrees if e["operation"] == "authentification.obtenir_jeton")
    dump = json.dumps(body)
    for secret in (
        identities["editeur"]["client_secret"],
        cfa.cfa["cles"]["akto"],
        cfa.headers()["Authorization"].split()[1],
        "206057505612329",
    ):
        assert secret not in dump
    assert token["requete"]["corps"]["client_secret"] == "***"
    assert body["capacite"] == 10_000


def test_journal_filters(cfa, client):
    cfa.get("/v1/status")
    cfa.get("/v1/dossiers", params={"numeroInterne": "nope"})
    assert [
        e["statut"]
        for e in client.get("/_sandbox/journal", params={"statut": 404}).json()["entrees"]
    ] == [404]
    assert client.get("/_sandbox/journal", params={"opco": "atlas"}).json()["entrees"] == []
    found = client.get("/_sandbox/journal", params={"code": "DOSSIER_NOT_FOUND"}).json()
    assert len(found["entrees"]) == 1


def test_journal_is_bounded(cfa, client, sandbox):
    from opco_server.services.journal import ELAGAGE_TOUS_LES

    original = sandbox.settings
    sandbox.settings = original.with_(journal_max=20)
    try:
        for _ in range(120):
            cfa.get("/v1/status")
        taille = client.get("/_sandbox/journal").json()["taille"]
    finally:
        sandbox.settings = original
    assert taille <= 20 + ELAGAGE_TOUS_LES


def test_conformance_report_from_the_journal(cfa, client, contrat):
    cfa.transmettre(contrat)
    cfa.transmettre(contrat)  # resending a duplicate is noted
    cfa.get("/v2/dossiers/etats", params={"numeroPage": 1})
    cfa.get("/v2/dossiers/etats", params={"numeroPage": 2})
    rapports = client.get("/_sandbox/conformite", params={"opco": "akto"}).json()
    assert len(rapports) == 1
    rapport = rapports[0]
    assert (rapport["opco"], rapport["logiciel"], rapport["version"]) == (
        "akto",
        "GestionCFA",
        "4.2.0",
    )
    operations = {o["operation"] for o in rapport["operations"]}
    assert {"dossiers.transmettre_dossier_v1", "dossiers.lister_etats_v2"} <= operations
    assert "factures.deposer_facture" in rapport["jamaisEssayees"]
    # AKTO does not take certificates: not to be tried, not in the verdict (its dialect).
    assert "certificats.deposer_certificat" not in rapport["jamaisEssayees"]
    assert rapport["nonProposees"] == ["certificats.deposer_certificat"]
    assert rapport["erreurs"] == {"DOSSIER_DUPLICATE": 1}
    html = client.get("/_sandbox/conformite", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "Rapport de conformité" in html.text


def test_reset_returns_to_the_demo_data_quickly(cfa, client, contrat):
    cfa.transmettre(contrat)
    response = client.post("/_sandbox/reinitialiser")
    assert response.status_code == 200
    assert response.json()["dureeMs"] < 1000
    fresh = type(cfa)(cfa.client, cfa.identities)
    assert fresh.get("/v1/dossiers/etats").json() == []


def test_reset_of_one_opco_keeps_the_others(make_cfa, client, contrat):
    akto, atlas = make_cfa("akto"), make_cfa("atlas")
    akto.transmettre(contrat)
    atlas.transmettre(contrat)
    assert client.post("/_sandbox/reinitialiser", json={"opco": "akto"}).status_code == 200
    assert type(akto)(akto.client, akto.identities).get("/v1/dossiers/etats").json() == []
    assert len(atlas.get("/v1/dossiers/etats").json()) == 1
    assert client.post("/_sandbox/reinitialiser", json={"opco": "nope"}).status_code == 404


def test_scenario_gives_a_cfa_with_a_dossier_in_every_state(cfa, client):
    assert {s["nom"] for s in client.get("/_sandbox/scenarios").json()} >= {"cfa-tous-etats"}
    response = client.post("/_sandbox/scenarios/cfa-tous-etats")
    assert response.status_code == 200, response.text
    etats = {ref: d["etat"] for ref, d in response.json()["dossiers"].items()}
    assert etats == {
        "transmis": "TRANSMIS",
        "instruction": "EN_COURS_INSTRUCTION",
        "engage": "ENGAGE",
        "refuse": "REFUSE",
        "annule": "ANNULE",
        "rupture": "RUPTURE",
        "solde": "SOLDE",
    }
    fresh = type(cfa)(cfa.client, cfa.identities)
    assert {e["etat"] for e in fresh.get("/v1/dossiers/etats").json()} == set(etats.values())
    assert client.post("/_sandbox/scenarios/inconnu").status_code == 404


@pytest.mark.parametrize(
    "instant",
    ["2026-11-23T09:00:00+00:00", "2026-12-01T07:30:00+00:00", "2027-03-01T00:30:00+00:00"],
)
def test_scenario_solde_is_paid_by_its_invoices(cfa, client, instant):
    """The scenario's SOLDE went the way of a real OPCO's, whatever the day (the 1st of a
    month too: the rupture is then on the contract's first day): rupture, invoice of every
    échéance still owed, payment; the payment soldes it, not the control API."""
    assert client.put("/_sandbox/horloge", json={"instant": instant}).status_code == 200
    response = client.post("/_sandbox/scenarios/cfa-tous-etats")
    assert response.status_code == 200, response.text
    numero = response.json()["dossiers"]["solde"]["numeroInterne"]
    fresh = type(cfa)(cfa.client, cfa.identities)
    dossier = detail(fresh, numero)
    assert dossier["cerfa"]["etat"] == "SOLDE"
    assert dossier["cerfa"]["contrat"]["dateRupture"] <= instant[:10]
    echeances = dossier["echeances"]
    paye = sum(Decimal(str(e["montantRegle"])) for e in echeances)
    assert paye == sum(Decimal(str(e["montantTotal"])) for e in echeances) > 0
    body = fresh.get("/v2/factures/etats", params={"numeroPage": 1}).json()
    siennes = [
        (f, Decimal(str(d["montant"])))
        for f in body["factures"]
        for d in f["dossiers"]
        if d["numeroInterneDossier"] == numero
    ]
    assert siennes and sum(m for _, m in siennes) == paye
    jour = instant[:10]
    for f, _ in siennes:
        assert f["etatFacture"] == "REGLE" and f["dateReglement"] == jour
        assert f["referenceVirement"].startswith(f"VIR-AKTO-{jour.replace('-', '')}-")
    historique = client.get(f"/_sandbox/opcos/akto/dossiers/{numero}").json()["historique"]
    soldes = [h for h in historique if h["etatApres"] == "SOLDE"]
    assert [(h["etatAvant"], h["acteur"], h["cause"]) for h in soldes] == [
        ("RUPTURE", "simulateur", "Toutes les échéances sont réglées.")
    ]


def test_fault_latency(cfa, client):
    client.put("/_sandbox/opcos/akto/pannes", json={"latenceMs": 300})
    started = time.perf_counter()
    assert cfa.get("/v1/status").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_fault_error_rate(cfa, client):
    headers = cfa.headers()
    client.put("/_sandbox/opcos/akto/pannes", json={"tauxErreur": 1.0})
    response = cfa.get("/v1/status", headers=headers)
    assert response.status_code == 500
    assert _codes(response) == {"INTERNAL_ERROR"}
    client.delete("/_sandbox/opcos/akto/pannes")
    assert cfa.get("/v1/status", headers=headers).status_code == 200


def test_fault_rate_limit_with_retry_after(cfa, client):
    headers = cfa.headers()
    client.put("/_sandbox/opcos/akto/pannes", json={"quotaParMinute": 2, "retryAfter": 7})
    statuses = [cfa.get("/v1/status", headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].headers["retry-after"] == "7"
    assert _codes(statuses[2]) == {"RATE_LIMITED"}
    assert make_other_opco_unaffected(cfa)


def make_other_opco_unaffected(cfa) -> bool:
    other = type(cfa)(cfa.client, cfa.identities, "atlas")
    return other.get("/v1/status").status_code == 200


def test_fault_maintenance_window_on_the_sandbox_clock(cfa, client):
    headers = cfa.headers()
    client.put(
        "/_sandbox/opcos/akto/pannes",
        json={
            "maintenanceDebut": "2026-11-23T10:00:00+00:00",
            "maintenanceFin": "2026-11-23T12:00:00+00:00",
        },
    )
    assert cfa.get("/v1/status", headers=headers).status_code == 200  # 09:00
    client.put("/_sandbox/horloge", json={"instant": "2026-11-23T11:00:00+00:00"})
    response = cfa.get("/v1/status", headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "3600"
    assert _codes(response) == {"SERVICE_MAINTENANCE"}
    client.put("/_sandbox/horloge", json={"instant": "2026-11-23T12:00:00+00:00"})
    # Tokens live on real time: three hours of sandbox clock later, the same token still works.
    assert cfa.get("/v1/status", headers=headers).status_code == 200


def test_atlas_error_body_has_a_top_level_description(make_cfa):
    atlas = make_cfa("atlas")
    response = atlas.get("/v1/dossiers", params={"numeroInterne": "nope"})
    assert response.status_code == 404
    body = response.json()
    assert body["description"] == body["errors"][0]["description"]


def test_opcoep_answers_400_with_a_comment_for_an_unknown_dossier(make_cfa, client):
    ep = make_cfa("opcoep")
    response = ep.get("/v1/dossiers", params={"numeroInterne": "nope"})
    assert response.status_code == 400
    assert set(response.json()) == {"comment"}
    client.put("/_sandbox/profil", json={"profil": "norme-stricte"})
    strict = ep.get("/v1/dossiers", params={"numeroInterne": "nope"})
    client.put("/_sandbox/profil", json={"profil": "dialectes"})
    assert strict.status_code == 404 and "errors" in strict.json()


def test_operation_not_offered_by_an_opco(make_cfa, profil_strict, client):
    sante = make_cfa("sante")
    client.put("/_sandbox/profil", json={"profil": "dialectes"})
    response = sante.get("/v2/dossiers/etats")
    assert response.status_code == 404
    assert _codes(response) == {"OPERATION_NOT_AVAILABLE"}
    client.put("/_sandbox/profil", json={"profil": "norme-stricte"})
    assert sante.get("/v2/dossiers/etats").status_code == 200


def test_sor_identity_server_refuses_unknown_scopes(client, identities):
    editeur = identities["editeur"]
    form = {
        "grant_type": "client_credentials",
        "client_id": editeur["client_id"],
        "client_secret": editeur["client_secret"],
    }
    ok = client.post("/akto/connect/token", data={**form, "scope": "api.read api.write"})
    assert ok.status_code == 200 and ok.json()["scope"] == "api.read api.write"
    bad = client.post("/akto/connect/token", data={**form, "scope": "admin"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_scope"
    ep = client.post("/opcoep/connect/token", data={**form, "scope": "api.read"})
    assert ep.status_code == 400


def test_afdas_requires_a_dpop_proof_and_refuses_replays(client, identities):
    from tests.conftest import dpop_proof

    editeur = identities["editeur"]
    form = {
        "grant_type": "client_credentials",
        "client_id": editeur["client_id"],
        "client_secret": editeur["client_secret"],
    }
    missing = client.post("/afdas/connect/token", data=form)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_dpop_proof"
    assert missing.json()["errors"][0]["code"] == "DPOP_MISSING"
    proof = dpop_proof("http://testserver/afdas/connect/token")
    assert (
        client.post("/afdas/connect/token", data=form, headers={"DPoP": proof}).status_code == 200
    )
    replay = client.post("/afdas/connect/token", data=form, headers={"DPoP": proof})
    assert replay.json()["errors"][0]["code"] == "DPOP_REPLAY"
    wrong = dpop_proof("http://testserver/akto/connect/token")
    assert (
        client.post("/afdas/connect/token", data=form, headers={"DPoP": wrong}).json()["errors"][0][
            "code"
        ]
        == "DPOP_HTU"
    )


def test_editors_through_the_control_api(client):
    created = client.post("/_sandbox/editeurs", json={"nom": "Éditeur X", "clientId": "editeur-x"})
    assert created.status_code == 200
    creds = {
        "grant_type": "client_credentials",
        "client_id": "editeur-x",
        "client_secret": created.json()["clientSecret"],
    }
    token = client.post("/akto/connect/token", data=creds)
    assert token.status_code == 200
    assert (
        client.post("/_sandbox/editeurs", json={"nom": "X", "clientId": "editeur-x"}).status_code
        == 400
    )
    assert client.delete("/_sandbox/editeurs/editeur-x").status_code == 200
    assert client.post("/akto/connect/token", data=creds).status_code == 401


def test_keys_through_the_control_api(cfa, client):
    siren = cfa.cfa["siren"]
    created = client.post("/_sandbox/opcos/akto/cles", json={"siren": siren, "jours": 30})
    assert created.status_code == 200
    cfa.cfa["cles"]["akto"] = created.json()["cle"]
    assert cfa.get("/v1/status").status_code == 200
    client.post(f"/_sandbox/opcos/akto/cles/{siren}/expirer")
    assert _codes(cfa.get("/v1/status")) == {"AUTH_KEY_EXPIRED"}
    client.delete(f"/_sandbox/opcos/akto/cles/{siren}")
    assert _codes(cfa.get("/v1/status")) == {"AUTH_KEY_INVALID"}
    assert client.delete("/_sandbox/opcos/akto/cles/000000000").status_code == 404


def test_admin_token_protects_the_control_api(base_settings):
    from opco_server import create_app

    app = create_app(base_settings.with_(admin_token="s3cret"))
    with app.test_client() as client:
        assert client.get("/_sandbox/horloge").status_code == 401
        assert (
            client.get("/_sandbox/horloge", headers={"X-Admin-Token": "s3cret"}).status_code == 200
        )
        assert (
            client.get("/_sandbox/horloge", headers={"Authorization": "Bearer s3cret"}).status_code
            == 200
        )
        assert client.get("/akto/openapi.json").status_code == 200  # the norm stays open
    app.app.extensions["opco.sandbox"].fermer()


def test_detail_survives(cfa, client, contrat):
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    assert detail(cfa, numero)["cerfa"]["etat"] == "TRANSMIS"


def test_opcoep_keys_are_jwts_whose_subject_is_the_cfa_siret(make_cfa, client):
    import jwt

    response = client.post("/_sandbox/opcos/opcoep/cles", json={"siren": "912345675"})
    assert response.status_code == 200, response.text
    created = response.json()
    claims = jwt.decode(created["cle"], options={"verify_signature": False})
    assert claims["preferred_username"] == "91234567500017"
    assert claims["azp"] == "portailaa"
    assert created["dateFinValidite"] == "2027-11-23"  # 365 days
    ep = make_cfa("opcoep")
    ep.cfa["cles"]["opcoep"] = created["cle"]
    assert ep.get("/v1/status").status_code == 200
    opaque = client.post("/_sandbox/opcos/akto/cles", json={"siren": "912345675"}).json()["cle"]
    assert len(opaque) == 40 and "." not in opaque


def test_journal_ignores_the_swagger_ui_and_names_the_token_client(cfa, client):
    client.get("/akto/openapi.json")
    client.get("/akto/ui/")
    cfa.get("/v1/status")
    entrees = client.get("/_sandbox/journal").json()["entrees"]
    assert all("openapi.json" not in e["chemin"] and "/ui" not in e["chemin"] for e in entrees)
    token = next(e for e in entrees if e["operation"] == "authentification.obtenir_jeton")
    assert token["clientId"] == "demo-editeur"


SANDBOX_WORDS = ("pilotage", "sandbox", "forcé", "forcée", "simulat", "démonstration")


def _sans_vocabulaire_sandbox(texte: str) -> None:
    assert not [m for m in SANDBOX_WORDS if m in texte.lower()], texte


@pytest.mark.parametrize(
    ("chemin", "attendu"),
    [
        ([("REFUSE", None)], "Dossier refusé."),
        ([("REFUSE", "Pièces manquantes")], "Dossier refusé : Pièces manquantes."),
        ([("ANNULE", None)], "Dossier annulé."),
        ([("EN_COURS_INSTRUCTION", None), ("ENGAGE", None)], "Dossier engagé."),
        (
            [("EN_COURS_INSTRUCTION", None), ("ENGAGE", None), ("RUPTURE", None)],
            "Contrat rompu le 23/11/2026",
        ),
        (
            [("EN_COURS_INSTRUCTION", None), ("ENGAGE", None), ("RUPTURE", None), ("SOLDE", None)],
            "Dossier soldé.",
        ),
    ],
)
def test_forced_transitions_read_like_an_opco_through_the_norm(
    cfa, client, contrat, chemin, attendu
):
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    url = f"/_sandbox/opcos/akto/dossiers/{numero}/transitions"
    for etat, motif in chemin:
        body = {"etat": etat, **({"motif": motif} if motif else {})}
        assert client.post(url, json=body).status_code == 200
    cerfa = detail(cfa, numero)["cerfa"]
    assert cerfa["commentaireEtat"].startswith(attendu)
    reponse = detail(cfa, numero)  # what the OPCO writes (the CFA's own data aside)
    _sans_vocabulaire_sandbox(f"{reponse['cerfa']['commentaireEtat']} {reponse.get('comment')}")
    for etat in cfa.get("/v1/dossiers/etats").json():
        _sans_vocabulaire_sandbox(str(etat.get("commentaireEtat")))
    historique = client.get(f"/_sandbox/opcos/akto/dossiers/{numero}").json()["historique"]
    forcees = [h for h in historique if "Transition forcée par l'API de pilotage" in h["cause"]]
    assert len(forcees) == len(chemin)  # journal side


def test_scenario_comments_read_like_an_opco(cfa, client):
    assert client.post("/_sandbox/scenarios/cfa-tous-etats").status_code == 200
    fresh = type(cfa)(cfa.client, cfa.identities)
    for etat in fresh.get("/v1/dossiers/etats").json():
        _sans_vocabulaire_sandbox(str(etat.get("commentaireEtat")))


def test_scenario_apprentices_are_distinct_and_consistent(cfa, client, sandbox):
    from stdnum.fr import nir as stdnum_nir
    from stdnum.fr import siret

    assert client.post("/_sandbox/scenarios/cfa-tous-etats").status_code == 200
    fresh = type(cfa)(cfa.client, cfa.identities)
    numeros = [e["numeroInterne"] for e in fresh.get("/v1/dossiers/etats").json()]
    apprentis = [detail(fresh, n)["cerfa"]["apprenti"] for n in numeros]
    assert len(apprentis) == 7
    for champ in ("nir", "dateNaissance", "courriel", "telephone"):
        assert len({a[champ] for a in apprentis}) == 7, champ
    employeurs = {detail(fresh, n)["cerfa"]["employeur"]["siret"] for n in numeros}
    assert len(employeurs) == 7 and all(siret.is_valid(s) for s in employeurs)
    for a in apprentis:
        nir = a["nir"]
        assert stdnum_nir.is_valid(nir), nir
        assert nir[0] == ("1" if a["sexe"] == "M" else "2")
        assert nir[1:5] == a["dateNaissance"][2:4] + a["dateNaissance"][5:7]
        assert nir[5:7] == a["departementNaissance"]
    rompu = next(
        detail(fresh, n)["cerfa"] for n in numeros if detail(fresh, n)["cerfa"]["etat"] == "RUPTURE"
    )
    assert rompu["contrat"]["dateRupture"] <= sandbox.horloge.aujourdhui().isoformat()
    for n in numeros:  # no apprentice shares a NIR with another: no identity warning
        assert "ID_NIR_IDENTITY_MISMATCH" not in (
            detail(fresh, n)["cerfa"]["commentaireEtat"] or ""
        )


def test_an_optional_body_is_absent_or_json_never_blanks(client):
    """POST /horloge/figer takes an optional body: no byte at all means « now »; blanks are
    not a JSON text (400 JSON_INVALID) and leave the clock as it was."""
    avant = client.get("/_sandbox/horloge").json()
    sans = client.post("/_sandbox/horloge/figer", headers={"Content-Type": "application/json"})
    assert sans.status_code == 200 and sans.json()["fige"] is True
    client.post("/_sandbox/horloge/regler", json={"instant": avant["maintenant"]})
    blancs = client.post(
        "/_sandbox/horloge/figer", content=b"\r\n", headers={"Content-Type": "application/json"}
    )
    assert blancs.status_code == 400
    assert _codes(blancs) == {"JSON_INVALID"}
    assert client.get("/_sandbox/horloge").json()["maintenant"][:16] == avant["maintenant"][:16]
