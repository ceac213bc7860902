"""The console in a real headless Chromium, against the real server (uvicorn, SQLite).

A vendor's day on the OPCO portal: generate the CFA key and use it on the norm's API,
refuse a transmitted contract and see the refusal from the API, read the request journal;
and a tester's: revoke a key, inject a fault then clear it, load a scenario.
Skipped when Playwright or /usr/bin/chromium is missing, except under CI where it fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OPCO = "akto"


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Python package playwright not installed (.venv/bin/pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    return None


_REASON = _missing()
if _REASON is not None:
    if os.environ.get("CI"):
        pytest.fail(f"Browser tests are required under CI: {_REASON}", pytrace=False)
    pytest.skip(f"Browser tests skipped: {_REASON}", allow_module_level=True)

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@contextmanager
def serveur(database: Path, **reglages: object) -> Iterator[str]:
    """The real server on 127.0.0.1 (a free port), a fresh SQLite database, the demo seed."""
    from opco_server import create_app
    from opco_server.config import Settings

    settings = Settings(
        database_url="sqlite:///" + str(database),
        validate_responses=True,
        log_level="WARNING",
    ).with_(**reglages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.app.extensions["opco.sandbox"].fermer()


@pytest.fixture
def base_url(tmp_path) -> Iterator[str]:
    with serveur(tmp_path / "sandbox.sqlite3") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def identities(base_url) -> dict:
    """The demo identities of the served sandbox (the same as the README's)."""
    from opco_server.config import Settings
    from opco_server.donnees.seed import identities as demo_identities
    from opco_server.sandbox import Sandbox

    return demo_identities(Sandbox(Settings(migrate=False, seed_demo=False)))


class Api:
    """The CFA's software: editor token, CFA key, identification headers (httpx)."""

    def __init__(self, base_url: str, identities: dict) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/{OPCO}", timeout=15)
        self.editeur = identities["editeur"]
        self.key = identities["cfas"][0]["cles"][OPCO]
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            response = self.http.post(
                "/connect/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.editeur["client_id"],
                    "client_secret": self.editeur["client_secret"],
                },
            )
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "X-API-KEY": key or self.key,
            "EDITEUR": "Editeur de test",
            "LOGICIEL": "GestionCFA",
            "VERSION": "4.2.0",
        }

    def get(self, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        return self.http.get(path, headers=self.headers(key), **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.http.post(path, headers=self.headers(), **kwargs)


@pytest.fixture
def api(base_url, identities) -> Iterator[Api]:
    client = Api(base_url, identities)
    yield client
    client.http.close()


def test_generate_key_in_the_console_then_call_the_api(page: Page, api: Api):
    page.goto("/console/")
    expect(page.get_by_role("heading", name="Les onze OPCO de la sandbox")).to_be_visible()
    page.get_by_role("link", name="AKTO", exact=True).click()
    expect(page.get_by_role("heading", name="AKTO — espace CFA")).to_be_visible()

    page.get_by_role("button", name="Générer ma clé").first.click()
    expect(page.get_by_text("Copiez-la maintenant : elle ne sera plus affichée")).to_be_visible()
    cle = page.locator("[data-cle]").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{40}", cle)

    assert api.get("/v1/status", key=cle).status_code == 200
    assert api.get("/v1/status").status_code == 403  # the demo key was replaced
    assert cle not in page.url
    page.reload()  # shown once: a reload neither shows nor regenerates it
    expect(page.get_by_text("La clé n'est affichée qu'une fois")).to_be_visible()
    assert cle not in page.content()
    assert api.get("/v1/status", key=cle).status_code == 200
    page.go_back()
    expect(page.get_by_text("Active").first).to_be_visible()
    assert cle not in page.content()


def test_refuse_a_contract_in_the_console_and_see_it_from_the_api(page: Page, api: Api):
    contrat = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
    response = api.post("/v1/dossiers", json=contrat)
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterne"]

    page.goto(f"/console/opco/{OPCO}/dossiers")
    page.get_by_role("link", name=numero, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(f"Dossier {numero}"))).to_be_visible()
    motif = "Contrat incomplet : signature de l'employeur manquante."
    refus = page.locator("form").filter(has=page.get_by_role("button", name="Refuser"))
    refus.get_by_label("Motif (communiqué au CFA)").fill(motif)
    refus.get_by_role("button", name="Refuser").click()
    expect(page.get_by_text("Le dossier est passé à l'état Refusé.")).to_be_visible()
    # The CFA reads the motif as an OPCO words it (no sandbox vocabulary).
    commentaire = f"Dossier refusé : {motif}"
    expect(page.locator("#commentaire-etat")).to_have_text(commentaire)

    cerfa = api.get("/v2/dossiers", params={"numeroInterne": numero}).json()["cerfa"]
    assert (cerfa["etat"], cerfa["commentaireEtat"]) == ("REFUSE", commentaire)


def test_an_api_call_appears_in_the_journal(page: Page, api: Api):
    assert api.get("/v1/status").status_code == 200
    chemin = f"/{OPCO}/v1/status"
    deadline = time.monotonic() + 10
    page.goto("/console/journal")
    # The journal records after the response is sent: give it a moment.
    while page.get_by_role("link", name=chemin).count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        page.reload()
    assert page.get_by_role("link", name=chemin).count() > 0, (
        "no journal entry for the API call: is the journal middleware wired in create_app?"
    )
    row = page.locator("tr").filter(has=page.get_by_role("link", name=chemin)).first
    expect(row).to_contain_text("GestionCFA")
    row.get_by_role("link", name=chemin).click()
    expect(page.get_by_role("heading", name="Requête (secrets masqués)")).to_be_visible()
    assert api.key not in page.content()


def test_revoke_a_key_in_the_console_then_the_api_refuses_it(page: Page, api: Api):
    assert api.get("/v1/status").status_code == 200
    page.goto(f"/console/opco/{OPCO}/")
    page.get_by_role("button", name="Révoquer la clé").first.click()
    expect(page.get_by_text("révoquée chez AKTO")).to_be_visible()
    expect(page.get_by_text("Révoquée", exact=True).first).to_be_visible()
    response = api.get("/v1/status")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "AUTH_KEY_INVALID"


def test_inject_a_fault_in_the_console_then_clear_it(page: Page, api: Api):
    api.token()  # before the fault: it hits /connect/token too
    page.goto(f"/console/opco/{OPCO}/")
    pannes = page.locator("#pannes")
    pannes.get_by_label("Taux d'erreur (0 à 1)").fill("1")
    pannes.get_by_role("button", name="Enregistrer les pannes").click()
    expect(page.get_by_text("Pannes simulées chez AKTO")).to_be_visible()
    assert api.get("/v1/status").status_code == 500

    page.locator("#pannes").get_by_role("button", name="Supprimer toutes les pannes").click()
    expect(page.get_by_text("Plus aucune panne simulée chez AKTO.")).to_be_visible()
    assert api.get("/v1/status").status_code == 200


def test_load_a_scenario_once_its_reset_is_confirmed(page: Page):
    page.goto("/console/")
    page.get_by_role("link", name="Réglages").click()
    ligne = page.locator("tr").filter(has_text="cfa-tous-etats")
    bouton = ligne.get_by_role("button", name="Charger le scénario cfa-tous-etats")
    bouton.click()  # not ticked: the browser keeps the form (required confirmation)
    expect(page.get_by_text("Scénario « cfa-tous-etats » chargé")).to_have_count(0)
    ligne.get_by_label("Réinitialiser d'abord toute la sandbox").check()
    bouton.click()
    expect(page.get_by_text("Scénario « cfa-tous-etats » chargé")).to_be_visible()
    page.goto(f"/console/opco/{OPCO}/dossiers")
    expect(page.locator("td .etiquette.ENGAGE").first).to_have_text("Engagé")
