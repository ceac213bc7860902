"""The web console (/console/): pages in French, keys and editors, forced decisions, invoices,
clock, journal, the tester's settings (profile, faults, reset, scenarios) and access control,
through connexion's test client."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from tests.api.test_cycle_de_vie import avancer, convention_de, deposer, detail, pilotage
from tests.api.test_factures import envoyer, etats_factures, facture_pour

OPCO = "akto"
SIREN = "912345675"
MESSAGE = re.compile(r'<div class="message (succes|erreur|info)"[^>]*>([^<]*)</div>')


def messages(response) -> list[tuple[str, str]]:
    return [(kind, _unescape(text)) for kind, text in MESSAGE.findall(response.text)]


def _unescape(text: str) -> str:
    return text.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")


CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def csrf(client) -> str:
    """The anti-CSRF token of this client's console forms (the page sets its cookie)."""
    page = client.get("/console/", follow_redirects=True)
    return CSRF.search(page.text).group(1)


def formulaire(client, url: str, data: dict | None = None, **kwargs):
    """A console form as a browser sends it: with the page's anti-CSRF token."""
    return client.post(url, data={"csrf": csrf(client), **(data or {})}, **kwargs)


def post(client, url: str, **data: str):
    """A console form post: 303 back to a page, then that page (with its flash message)."""
    response = formulaire(client, url, data, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/console/")
    return client.get(response.headers["location"])


@pytest.fixture
def transmis(cfa, contrat) -> str:
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    return response.json()["numeroInterne"]


def test_every_page_renders_in_french(client, sandbox, transmis):
    accueil = client.get("/console/")
    assert accueil.status_code == 200
    assert '<html lang="fr">' in accueil.text
    assert "Les onze OPCO de la sandbox" in accueil.text and "Horloge de la sandbox" in accueil.text
    for opco in sandbox.opcos:
        assert opco.nom.replace("'", "&#39;") in accueil.text
        assert f'href="/console/opco/{opco.id}/"' in accueil.text

    pages = {
        f"/console/opco/{OPCO}/": ["Générer ma clé", "CFA Sandbox des Métiers", "Créer un éditeur"],
        f"/console/opco/{OPCO}/dossiers": ["Dossiers reçus par AKTO", transmis, "Transmis"],
        f"/console/opco/{OPCO}/dossiers?etat=TRANSMIS&cfa=912345675": [transmis],
        f"/console/opco/{OPCO}/dossiers/{transmis}": [
            "Historique",
            "Échéancier",
            "Instruire maintenant",
            "Refuser",
            "Cerfa complet (JSON reçu)",
            "MARTIN",
        ],
        "/console/journal": ["Journal des appels"],
        "/console/conformite": ["Rapport de conformité"],
        "/console/reglages": ["Réglages de la sandbox", "Dialectes des OPCO", "cfa-tous-etats"],
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        for text in expected:
            assert text in response.text, (url, text)


def test_dossier_filters_exclude_other_states_and_cfas(client, transmis):
    assert transmis not in client.get(f"/console/opco/{OPCO}/dossiers?etat=ENGAGE").text
    assert transmis not in client.get(f"/console/opco/{OPCO}/dossiers?cfa=912345683").text
    assert "Aucun dossier pour ces critères" in (
        client.get(f"/console/opco/{OPCO}/dossiers?cfa=912345683").text
    )


def test_unknown_opco_and_dossier_answer_a_french_404(client):
    response = client.get("/console/opco/inconnu/")
    assert response.status_code == 404 and "Page introuvable" in response.text
    response = client.get(f"/console/opco/{OPCO}/dossiers/9999999")
    assert response.status_code == 404 and "Aucun dossier « 9999999 »" in response.text


def test_generated_key_is_shown_once_and_works_on_the_api(client, cfa):
    ancienne = cfa.cfa["cles"][OPCO]
    url = f"/console/opco/{OPCO}/cfas/{SIREN}/cle"
    redirect = formulaire(client, url, follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == url  # no key in it
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "Copiez-la maintenant : elle ne sera plus affichée ; elle remplace la précédente." in (
        _unescape(page.text)
    )
    cle = re.search(r"data-cle>([0-9a-f]{40})<", page.text).group(1)
    assert cle not in redirect.headers.get("set-cookie", "")  # encrypted in its cookie

    cfa.cfa["cles"][OPCO] = cle
    assert cfa.get("/v1/status").status_code == 200
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=ancienne)).status_code == 403
    espace = client.get(f"/console/opco/{OPCO}/")
    assert cle not in espace.text and "Active" in espace.text


def test_reloading_the_key_page_neither_shows_nor_regenerates_the_key(client, cfa):
    url = f"/console/opco/{OPCO}/cfas/{SIREN}/cle"
    cle = re.search(r"data-cle>([0-9a-f]{40})<", formulaire(client, url).text).group(1)
    again = client.get(url)  # a reload: the page of the OPCO, the key no more
    assert "data-cle" not in again.text and cle not in again.text
    assert messages(again)[0][0] == "info" and "affichée qu'une fois" in messages(again)[0][1]
    cfa.cfa["cles"][OPCO] = cle
    assert cfa.get("/v1/status").status_code == 200  # still the key shown once


def test_created_editor_gets_a_secret_shown_once_that_issues_tokens(client):
    page = formulaire(
        client,
        f"/console/opco/{OPCO}/editeurs",
        {"nom": "Logiciel Test", "client_id": "logi-test"},
    )
    assert page.status_code == 200 and "Copiez le secret maintenant" in page.text
    assert str(page.url).endswith(f"/console/opco/{OPCO}/editeurs/nouveau")
    secret = re.search(r"data-secret>([^<]+)<", page.text).group(1)
    token = client.post(
        f"/{OPCO}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "logi-test",
            "client_secret": secret,
        },
    )
    assert token.status_code == 200, token.text
    espace = client.get(f"/console/opco/{OPCO}/")
    assert "logi-test" in espace.text and secret not in espace.text
    assert secret not in client.get(f"/console/opco/{OPCO}/editeurs/nouveau").text

    again = post(client, f"/console/opco/{OPCO}/editeurs", nom="Bis", client_id="logi-test")
    assert ("erreur", "L'identifiant client « logi-test » existe déjà.") in messages(again)
    bad = post(client, f"/console/opco/{OPCO}/editeurs", nom="Ter", client_id="a b<c>")
    assert messages(bad)[0][0] == "erreur" and "3 à 100 caractères" in messages(bad)[0][1]
    assert "a b&lt;c&gt;" not in bad.text
    empty = post(client, f"/console/opco/{OPCO}/editeurs", nom="  ")
    assert ("erreur", "Le nom de l'éditeur est obligatoire.") in messages(empty)


def test_refusal_forced_in_the_console_is_seen_by_the_cfa(client, cfa, transmis):
    motif = "Pièces justificatives manquantes <à compléter>"
    page = post(
        client, f"/console/opco/{OPCO}/dossiers/{transmis}/transition", etat="REFUSE", motif=motif
    )
    assert ("succes", "Le dossier est passé à l'état Refusé.") in messages(page)
    assert "&lt;à compléter&gt;" in page.text  # the reason is escaped, not markup

    cerfa = detail(cfa, transmis)["cerfa"]
    assert cerfa["etat"] == "REFUSE"
    assert cerfa["commentaireEtat"] == f"Dossier refusé : {motif}."
    assert "Aucune action possible" in client.get(f"/console/opco/{OPCO}/dossiers/{transmis}").text


def test_illegal_action_shows_the_french_error_not_a_500(client, transmis):
    page = post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/transition", etat="SOLDE")
    assert page.status_code == 200
    assert ("erreur", "Transition impossible de TRANSMIS vers SOLDE.") in messages(page)
    page = post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/transition", etat="N_IMPORTE")
    assert ("erreur", "État inconnu : N_IMPORTE.") in messages(page)
    page = post(
        client,
        f"/console/opco/{OPCO}/dossiers/{transmis}/transition",
        etat="RUPTURE",
        date_rupture="pas une date",
    )
    assert messages(page)[0][0] == "erreur"
    assert "Transmis" in page.text  # unchanged


def test_instruire_maintenant_then_rupture_with_a_date(client, cfa, contrat, transmis):
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    page = post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/instruction")
    assert ("succes", "Instruction effectuée : le dossier est à l'état Engagé.") in messages(page)
    assert "Convention" in page.text and f"/_sandbox/opcos/{OPCO}/fichiers/" in page.text

    page = post(
        client,
        f"/console/opco/{OPCO}/dossiers/{transmis}/transition",
        etat="RUPTURE",
        date_rupture="2026-11-20",
    )
    assert ("succes", "Le dossier est passé à l'état Rupture.") in messages(page)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "RUPTURE"
    page = post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/instruction")
    assert messages(page)[0][0] == "erreur" and "déjà décidé" in messages(page)[0][1]


def test_invoice_paid_from_the_console(client, cfa, contrat, transmis):
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    avancer(client, jours=4)
    dossier = detail(cfa, transmis)
    assert dossier["cerfa"]["etat"] == "ENGAGE"
    response = envoyer(cfa, facture_pour(dossier, "FAC-CONSOLE-1", [1]))
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterneFacture"]

    page = client.get(f"/console/opco/{OPCO}/dossiers/{transmis}")
    assert "FAC-CONSOLE-1" in page.text and "Régler" in page.text and "Rejeter" in page.text
    page = post(client, f"/console/opco/{OPCO}/factures/{numero}/reglement", dossier=transmis)
    assert messages(page)[0][0] == "succes" and "FAC-CONSOLE-1 réglée" in messages(page)[0][1]
    etat = etats_factures(cfa)["FAC-CONSOLE-1"]
    assert etat["etatFacture"] == "REGLE" and etat["referenceVirement"].startswith("VIR-AKTO-")

    page = post(
        client, f"/console/opco/{OPCO}/factures/{numero}/rejet", dossier=transmis, motif="Trop tard"
    )
    assert ("erreur", "La facture est déjà à l'état REGLE.") in messages(page)


def test_invoice_rejected_from_the_console_needs_a_reason(client, cfa, contrat, transmis):
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    avancer(client, jours=4)
    response = envoyer(cfa, facture_pour(detail(cfa, transmis), "FAC-CONSOLE-2", [1]))
    numero = response.json()["numeroInterneFacture"]
    url = f"/console/opco/{OPCO}/factures/{numero}/rejet"
    page = post(client, url, dossier=transmis, motif="")
    assert messages(page)[0][0] == "erreur"
    page = post(client, url, dossier=transmis, motif="IBAN inconnu")
    assert ("succes", "Facture FAC-CONSOLE-2 rejetée.") in messages(page)
    etat = etats_factures(cfa)["FAC-CONSOLE-2"]
    assert etat["etatFacture"] == "REJETEE"


def test_clock_advance_runs_the_back_office(client, sandbox, transmis):
    page = post(client, "/console/horloge/avancer", jours="2", heures="0")
    kind, text = messages(page)[0]
    assert kind == "succes" and text.startswith("Horloge avancée de 2 jour(s)")
    assert "1 action(s)" in text
    assert "25/11/2026 09:00:00 UTC" in page.text
    dossier = client.get(f"/console/opco/{OPCO}/dossiers/{transmis}")
    assert "En cours d&#39;instruction" in dossier.text

    page = post(client, "/console/horloge/regler", instant="2026-12-01T10:30")
    assert sandbox.horloge.maintenant() == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert "01/12/2026 10:30:00 UTC" in page.text
    page = post(client, "/console/horloge/regler", instant="n'importe quoi")
    assert messages(page)[0][0] == "erreur"
    page = post(client, "/console/horloge/avancer", jours="0")
    assert messages(page)[0][0] == "erreur"
    post(client, "/console/horloge/liberer")
    assert not sandbox.horloge.figee
    post(client, "/console/horloge/figer", instant="2026-12-02T08:00")
    assert sandbox.horloge.maintenant() == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_journal_lists_api_calls_with_filters_and_detail(client, cfa):
    assert cfa.get("/v1/status").status_code == 200
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY="inconnue")).status_code == 403

    page = client.get("/console/journal")
    assert page.status_code == 200
    assert f"/{OPCO}/v1/status" in page.text and "GestionCFA" in page.text
    ids = re.findall(r'href="/console/journal/(\d+)"', page.text)
    assert ids
    assert client.get(f"/console/journal?opco={OPCO}&statut=2xx&cfa=912345675").text.count(
        f"/{OPCO}/v1/status"
    )
    assert f"/{OPCO}/v1/status" not in client.get("/console/journal?opco=atlas").text
    assert f"/{OPCO}/v1/status" not in client.get("/console/journal?statut=5xx").text

    entree = client.get(f"/console/journal/{ids[-1]}")
    assert entree.status_code == 200
    assert "Requête (secrets masqués)" in entree.text and "Réponse (secrets masqués)" in entree.text
    assert cfa.cfa["cles"][OPCO] not in entree.text
    absent = client.get("/console/journal/999999")
    assert absent.status_code == 404 and "Aucune entrée n° 999999 au journal." in absent.text


def test_conformance_page_frames_the_report(client, cfa):
    cfa.get("/v1/status")
    page = client.get("/console/conformite")
    assert page.status_code == 200
    assert 'src="/console/conformite/rapport"' in page.text
    rapport = client.get("/console/conformite/rapport")
    assert rapport.status_code == 200 and "Rapport de conformité" in rapport.text
    assert "script-src 'none'" in rapport.headers["content-security-policy"]


def test_cross_site_form_posts_are_refused(client, transmis):
    response = formulaire(
        client,
        f"/console/opco/{OPCO}/dossiers/{transmis}/transition",
        {"etat": "ANNULE"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403 and "Accès refusé" in response.text


def protege(sandbox, monkeypatch) -> None:
    """The sandbox now has an admin token: the console asks to log in."""
    protected = dataclasses.replace(sandbox.settings, admin_token="jeton-admin-de-test")
    monkeypatch.setattr(sandbox, "settings", protected)


def test_admin_token_requires_login(client, sandbox, monkeypatch):
    protege(sandbox, monkeypatch)

    response = client.get("/console/opco/akto/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")
    page = client.get(response.headers["location"])
    assert "Connexion à la console" in page.text and "Se déconnecter" not in page.text
    blocked = formulaire(client, f"/console/opco/{OPCO}/cfas/{SIREN}/cle", follow_redirects=False)
    assert blocked.status_code == 303 and "data-cle" not in blocked.text

    wrong = formulaire(
        client, "/console/connexion", {"jeton": "faux", "suite": "/console/opco/akto/"}
    )
    assert wrong.status_code == 401 and "Jeton incorrect." in wrong.text
    ok = formulaire(
        client,
        "/console/connexion",
        {"jeton": "jeton-admin-de-test", "suite": "/console/opco/akto/"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console/opco/akto/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/console/opco/akto/").status_code == 200

    evil = formulaire(
        client,
        "/console/connexion",
        {"jeton": "jeton-admin-de-test", "suite": "//evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/console/"
    formulaire(client, "/console/deconnexion")
    assert client.get("/console/", follow_redirects=False).status_code == 303


# --- the tester's actions: same services as the control API ---------------------------------


def test_instruire_maintenant_without_a_decision_says_why(client, transmis):
    page = post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/instruction")
    kind, text = messages(page)[0]
    assert kind == "info"
    assert text.startswith(
        "Instruction effectuée sans décision : le dossier reste En cours d'instruction. "
        "Dossier incomplet : en attente de la convention de formation."
    )
    assert pilotage(client, transmis)["etat"] == "EN_COURS_INSTRUCTION"


def test_rupture_carries_its_reason_into_the_history(client, cfa, contrat, transmis):
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    post(client, f"/console/opco/{OPCO}/dossiers/{transmis}/instruction")
    page = post(
        client,
        f"/console/opco/{OPCO}/dossiers/{transmis}/transition",
        etat="RUPTURE",
        date_rupture="2026-11-20",
        motif="Démission de l'apprenti",
    )
    assert ("succes", "Le dossier est passé à l'état Rupture.") in messages(page)
    historique = pilotage(client, transmis)["historique"]
    cause = next(e["cause"] for e in historique if e["etatApres"] == "RUPTURE")
    assert cause.endswith("Transition forcée par l'API de pilotage : Démission de l'apprenti.")
    assert "Démission de l&#39;apprenti" in page.text


def test_profile_changed_in_the_console_is_the_control_api_s(client, sandbox):
    page = post(client, "/console/reglages/profil", profil="norme-stricte")
    assert messages(page)[0][0] == "succes" and "norme stricte" in messages(page)[0][1]
    assert client.get("/_sandbox/profil").json() == {"profil": "norme-stricte"}
    afdas = client.get("/console/opco/afdas/")
    assert "ce dialecte n'est pas appliqué, Afdas répond selon la norme seule" in afdas.text

    page = post(client, "/console/reglages/profil", profil="laxiste")
    assert messages(page)[0] == (
        "erreur",
        "Profil inconnu : « laxiste » (attendu : dialectes ou norme-stricte).",
    )
    post(client, "/console/reglages/profil", profil="dialectes")
    assert sandbox.etat.profil == "dialectes"


def test_each_opco_page_shows_its_dialect(client):
    afdas = _unescape(client.get("/console/opco/afdas/").text)
    assert "pas de V2" in afdas and "preuve DPoP exigée" in afdas
    assert "POST /v2/dossiers" in afdas and "POST /v2/certificats" not in afdas
    ep = _unescape(client.get("/console/opco/opcoep/").text)
    assert "format OPCO EP" in ep and "HTTP 400" in ep and "jetons JWT" in ep
    assert "scopes : aucun accepté" in ep or ": aucun accepté" in ep
    akto = _unescape(client.get(f"/console/opco/{OPCO}/").text)
    assert "pas de V2" not in akto and "sans DPoP" in akto
    assert "POST /v2/certificats" in akto  # AKTO takes no certificate
    uniformation = _unescape(client.get("/console/opco/uniformation/").text)
    assert "POST /v1/factures" in uniformation


def test_faults_set_and_cleared_from_the_opco_page(client, cfa):
    url = f"/console/opco/{OPCO}/pannes"
    entetes = cfa.headers()  # the token, before the faults (they hit /connect/token too)
    page = post(client, url, tauxErreur="1", latenceMs="0", retryAfter="30")
    assert messages(page)[0][0] == "succes" and "taux d'erreur 1.0" in messages(page)[0][1]
    assert client.get(f"/_sandbox/opcos/{OPCO}/pannes").json()["tauxErreur"] == 1.0
    reponse = cfa.get("/v1/status", headers=entetes)
    assert reponse.status_code == 500 and reponse.json()["errors"][0]["code"] == "INTERNAL_ERROR"
    assert "latence 0 ms" in client.get("/console/reglages").text  # the summary

    page = post(
        client,
        url,
        tauxErreur="0",
        maintenanceDebut="2026-11-23T08:00",
        maintenanceFin="2026-11-23T12:00",
    )
    assert messages(page)[0][0] == "succes"
    reponse = cfa.get("/v1/status", headers=entetes)
    assert reponse.status_code == 503 and reponse.headers["retry-after"] == str(3 * 3600)

    refus = post(client, url, tauxErreur="2")
    assert messages(refus)[0] == ("erreur", "« tauxErreur » doit être un nombre entre 0 et 1.")
    refus = post(client, url, latenceMs="beaucoup")
    assert messages(refus)[0] == ("erreur", "« Latence (ms) » : valeur invalide (beaucoup).")
    refus = post(client, url, maintenanceDebut="2300-01-01T00:00")
    assert messages(refus)[0][0] == "erreur" and "entre 2000 et 2100" in messages(refus)[0][1]
    assert client.get(f"/_sandbox/opcos/{OPCO}/pannes").json()["tauxErreur"] == 0.0

    page = post(client, f"{url}/suppression")
    assert ("succes", "Plus aucune panne simulée chez AKTO.") in messages(page)
    assert cfa.get("/v1/status", headers=entetes).status_code == 200


def test_reset_needs_a_ticked_confirmation(client, transmis):
    page = post(client, "/console/reglages/reinitialisation", opco="")
    assert messages(page)[0][0] == "erreur" and "Cochez la case" in messages(page)[0][1]
    assert pilotage(client, transmis)["etat"] == "TRANSMIS"

    page = post(client, "/console/reglages/reinitialisation", opco="atlas", confirmer="oui")
    kind, text = messages(page)[0]
    assert kind == "succes" and text.startswith("OPCO Atlas : données réinitialisées")
    assert pilotage(client, transmis)["etat"] == "TRANSMIS"  # another OPCO's data

    page = post(client, "/console/reglages/reinitialisation", opco="", confirmer="oui")
    assert messages(page)[0][1].startswith("Sandbox réinitialisée (données de démonstration)")
    assert client.get(f"/_sandbox/opcos/{OPCO}/dossiers/{transmis}").status_code == 404

    page = post(client, "/console/reglages/reinitialisation", opco="inconnu", confirmer="oui")
    assert messages(page)[0] == ("erreur", "OPCO inconnu : « inconnu ».")


def test_scenario_loads_only_when_its_reset_is_confirmed(client, transmis):
    url = "/console/reglages/scenarios/cfa-tous-etats"
    page = post(client, url)
    assert messages(page)[0][0] == "erreur" and "Réinitialiser d'abord" in messages(page)[0][1]
    assert pilotage(client, transmis)["etat"] == "TRANSMIS"  # nothing erased

    page = post(client, url, confirmer="oui")
    kind, text = messages(page)[0]
    assert kind == "succes" and text.startswith("Scénario « cfa-tous-etats » chargé :")
    numeros = re.findall(r"n° (\w+) \(", text)
    assert numeros and all(pilotage(client, n)["opco"] == OPCO for n in numeros)

    page = post(client, "/console/reglages/scenarios/Inconnu", confirmer="oui")
    assert messages(page)[0] == ("erreur", "Scénario inconnu : « Inconnu ».")


def test_revoked_key_is_refused_by_the_api(client, cfa):
    assert cfa.get("/v1/status").status_code == 200
    page = post(client, f"/console/opco/{OPCO}/cfas/{SIREN}/cle/revocation")
    assert messages(page)[0] == (
        "succes",
        f"Clé du SIREN {SIREN} révoquée chez AKTO : ses appels répondent désormais "
        "403 AUTH_KEY_INVALID.",
    )
    assert "Révoquée" in page.text
    reponse = cfa.get("/v1/status")
    assert reponse.status_code == 403 and reponse.json()["errors"][0]["code"] == "AUTH_KEY_INVALID"

    page = post(client, f"/console/opco/{OPCO}/cfas/999999999/cle/revocation")
    assert messages(page)[0] == ("erreur", "Aucune clé pour le SIREN « 999999999 ».")


def test_an_editor_s_tokens_expire_at_this_opco_only(client, identities, make_cfa):
    akto, atlas = make_cfa(OPCO), make_cfa("atlas")
    jetons_akto, jetons_atlas = akto.headers(), atlas.headers()
    assert akto.get("/v1/status", headers=jetons_akto).status_code == 200
    client_id = identities["editeur"]["client_id"]

    page = post(client, f"/console/opco/{OPCO}/editeurs/{client_id}/jetons/expirer")
    assert messages(page)[0][0] == "succes" and client_id in messages(page)[0][1]
    reponse = akto.get("/v1/status", headers=jetons_akto)
    assert reponse.status_code == 401
    assert reponse.json()["errors"][0]["code"] == "AUTH_TOKEN_EXPIRED"
    assert atlas.get("/v1/status", headers=jetons_atlas).status_code == 200

    page = post(client, f"/console/opco/{OPCO}/editeurs/inconnu/jetons/expirer")
    assert messages(page)[0] == ("erreur", "Éditeur inconnu : « inconnu ».")


# Every new action: (URL, form). Refused without this browser's anti-CSRF token, and without
# a login when the sandbox has an admin token: the sandbox is then left as it was.
ACTIONS_TESTEUR = {
    "profil": ("/console/reglages/profil", {"profil": "norme-stricte"}),
    "pannes": (f"/console/opco/{OPCO}/pannes", {"tauxErreur": "1"}),
    "pannes-suppression": (f"/console/opco/{OPCO}/pannes/suppression", {}),
    "reinitialisation": ("/console/reglages/reinitialisation", {"opco": "", "confirmer": "oui"}),
    "scenario": ("/console/reglages/scenarios/cfa-tous-etats", {"confirmer": "oui"}),
    "revocation-cle": (f"/console/opco/{OPCO}/cfas/{SIREN}/cle/revocation", {}),
    "jetons-editeur": (f"/console/opco/{OPCO}/editeurs/demo-editeur/jetons/expirer", {}),
}


def _etat(client, sandbox, transmis) -> tuple:
    """What any of the actions would change."""
    from opco_server.models import CleCfa, RevocationJetons

    with sandbox.session() as session:
        cle = session.query(CleCfa).filter_by(opco_id=OPCO, siren=SIREN).one()
        revocations = session.query(RevocationJetons).count()
        cle_etat = (cle.cle_hash, cle.revoquee_le)
    return (
        client.get("/_sandbox/profil").json(),
        client.get(f"/_sandbox/opcos/{OPCO}/pannes").json(),
        client.get(f"/_sandbox/opcos/{OPCO}/dossiers/{transmis}").status_code,
        cle_etat,
        revocations,
    )


@pytest.fixture
def sandbox_prepare(client, transmis) -> str:
    """A dossier and a fault to lose: every action would change something."""
    reponse = client.put(f"/_sandbox/opcos/{OPCO}/pannes", json={"latenceMs": 1})
    assert reponse.status_code == 200
    return transmis


@pytest.mark.parametrize("action", ACTIONS_TESTEUR)
def test_new_actions_refuse_a_form_without_the_anti_csrf_token(
    client, sandbox, sandbox_prepare, action
):
    url, data = ACTIONS_TESTEUR[action]
    avant = _etat(client, sandbox, sandbox_prepare)
    csrf(client)  # the browser has its cookie; the form lacks the token, or has a wrong one
    for jeton in ({}, {"csrf": "0" * 64}):
        response = client.post(url, data={**data, **jeton}, follow_redirects=False)
        assert response.status_code == 403 and "jeton anti-CSRF absent ou invalide" in (
            response.text
        )
    cross = formulaire(client, url, data, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "Accès refusé" in cross.text
    assert _etat(client, sandbox, sandbox_prepare) == avant


@pytest.mark.parametrize("action", ACTIONS_TESTEUR)
def test_new_actions_need_the_admin_login(client, sandbox, sandbox_prepare, monkeypatch, action):
    url, data = ACTIONS_TESTEUR[action]
    avant = _etat(client, sandbox, sandbox_prepare)
    protege(sandbox, monkeypatch)
    response = formulaire(client, url, data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")
    # The control API, from this client without the token, is refused just as well.
    assert client.get("/_sandbox/profil").status_code == 401
    monkeypatch.undo()
    assert _etat(client, sandbox, sandbox_prepare) == avant


@pytest.mark.parametrize("action", ACTIONS_TESTEUR)
def test_new_actions_succeed_once_logged_in(client, sandbox, sandbox_prepare, monkeypatch, action):
    url, data = ACTIONS_TESTEUR[action]
    avant = _etat(client, sandbox, sandbox_prepare)
    protege(sandbox, monkeypatch)
    connexion = formulaire(
        client, "/console/connexion", {"jeton": "jeton-admin-de-test"}, follow_redirects=False
    )
    assert connexion.status_code == 303
    page = post(client, url, **data)
    assert messages(page)[0][0] == "succes", messages(page)
    monkeypatch.undo()
    assert _etat(client, sandbox, sandbox_prepare) != avant
