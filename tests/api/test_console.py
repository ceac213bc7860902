"""The web console (/console/): pages in French, key generation, forced decisions, invoices,
clock, journal and access control, through connexion's test client."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from tests.api.test_cycle_de_vie import avancer, convention_de, deposer, detail
from tests.api.test_factures import envoyer, etats_factures, facture_pour

OPCO = "akto"
MESSAGE = re.compile(r'<div class="message (succes|erreur)"[^>]*>([^<]*)</div>')


@pytest.fixture(autouse=True)
def console(app):
    """Mount the console when create_app does not (yet): the guard keeps this a no-op after."""
    from opco_server.console import register_console

    flask_app = app.app
    if "console" not in flask_app.blueprints:
        # The session's app has served other tests; Flask only accepts blueprints before.
        served, flask_app._got_first_request = flask_app._got_first_request, False
        try:
            register_console(flask_app)
        finally:
            flask_app._got_first_request = served
    return flask_app


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
    page = formulaire(client, f"/console/opco/{OPCO}/cfas/{cfa.cfa['siren']}/cle")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "Copiez-la maintenant : elle ne sera plus affichée ; elle remplace la précédente." in (
        _unescape(page.text)
    )
    cle = re.search(r"data-cle>([0-9a-f]{40})<", page.text).group(1)

    cfa.cfa["cles"][OPCO] = cle
    assert cfa.get("/v1/status").status_code == 200
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY=ancienne)).status_code == 403
    espace = client.get(f"/console/opco/{OPCO}/")
    assert cle not in espace.text and "Active" in espace.text


def test_created_editor_gets_a_secret_shown_once_that_issues_tokens(client):
    page = formulaire(
        client,
        f"/console/opco/{OPCO}/editeurs",
        {"nom": "Logiciel Test", "client_id": "logi-test"},
    )
    assert page.status_code == 200 and "Copiez le secret maintenant" in page.text
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

    again = post(client, f"/console/opco/{OPCO}/editeurs", nom="Bis", client_id="logi-test")
    assert ("erreur", "L'identifiant client « logi-test » existe déjà.") in messages(again)


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
    assert sandbox.clock.now() == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert "01/12/2026 10:30:00 UTC" in page.text
    page = post(client, "/console/horloge/regler", instant="n'importe quoi")
    assert messages(page)[0][0] == "erreur"
    page = post(client, "/console/horloge/avancer", jours="0")
    assert messages(page)[0][0] == "erreur"
    post(client, "/console/horloge/liberer")
    assert not sandbox.clock.frozen
    post(client, "/console/horloge/figer", instant="2026-12-02T08:00")
    assert sandbox.clock.now() == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _journal_entry(sandbox) -> None:
    from opco_server.models import EntreeJournal

    with sandbox.session() as session:
        now = sandbox.clock.now()
        session.add(
            EntreeJournal(
                horodatage=now,
                horodatage_reel=now,
                opco_id=OPCO,
                methode="GET",
                chemin=f"/{OPCO}/v1/status",
                statut=200,
                duree_ms=3.2,
                editeur="Editeur de test",
                logiciel="GestionCFA",
                version="4.2.0",
                cfa_siren="912345675",
                codes=[],
                requete={"headers": {"x-api-key": "82fc…"}},
                reponse={"status": "ok"},
            )
        )
        session.commit()


def test_journal_lists_api_calls_with_filters_and_detail(client, cfa, sandbox):
    from opco_server.models import EntreeJournal

    assert cfa.get("/v1/status").status_code == 200
    assert cfa.get("/v1/status", headers=cfa.headers(X_API_KEY="inconnue")).status_code == 403
    sandbox.journal.vider()
    with sandbox.session() as session:
        if session.query(EntreeJournal).count() == 0:  # journal middleware not wired
            _journal_entry(sandbox)

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
    assert client.get("/console/journal/999999").status_code == 404


def test_conformance_page_frames_the_report_or_says_it_is_unavailable(client, cfa):
    import importlib.util

    cfa.get("/v1/status")
    page = client.get("/console/conformite")
    assert page.status_code == 200
    if importlib.util.find_spec("opco_server.services.conformite") is None:
        assert "Rapport indisponible" in page.text
        return
    assert 'src="/console/conformite/rapport"' in page.text
    rapport = client.get("/console/conformite/rapport")
    assert rapport.status_code == 200 and "Rapport de conformité" in rapport.text


def test_cross_site_form_posts_are_refused(client, transmis):
    response = formulaire(
        client,
        f"/console/opco/{OPCO}/dossiers/{transmis}/transition",
        {"etat": "ANNULE"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403 and "Accès refusé" in response.text


def test_admin_token_requires_login(client, sandbox, monkeypatch):
    settings = sandbox.settings
    if "admin_token" in {f.name for f in dataclasses.fields(settings)}:
        protected = dataclasses.replace(settings, admin_token="jeton-admin-de-test")
    else:
        protected = type("S", (), {"admin_token": "jeton-admin-de-test", **vars(settings)})()
    monkeypatch.setattr(sandbox, "settings", protected)

    response = client.get("/console/opco/akto/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/connexion")
    page = client.get(response.headers["location"])
    assert "Connexion à la console" in page.text and "Se déconnecter" not in page.text
    blocked = formulaire(client, f"/console/opco/{OPCO}/cfas/912345675/cle", follow_redirects=False)
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
