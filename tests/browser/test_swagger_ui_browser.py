"""Swagger UI of an OPCO in a real headless Chromium, against the real server (uvicorn).

« Authorize » with the demo editor's client credentials (the absolute tokenUrl of the OPCO's
own contract) and the demo CFA key, then « Try it out » on GET /v1/status: 200 in the page.
"""

from __future__ import annotations

import pytest

from tests.browser.test_console_browser import (  # noqa: F401  (fixtures: the same harness)
    OPCO,
    base_url,
    browser,
    identities,
    page,
)

expect = pytest.importorskip("playwright.sync_api").expect


def test_authorize_then_try_it_out_on_status(page, identities):
    editeur = identities["editeur"]
    cle = identities["cfas"][0]["cles"][OPCO]
    page.goto(f"/{OPCO}/ui/")
    page.locator(".auth-wrapper .authorize").first.click()
    modal = page.locator(".modal-ux")
    oauth = modal.locator(".auth-container").filter(has_text="editeurOAuth2")
    oauth.locator("input[id^='client_id']").fill(editeur["client_id"])
    oauth.locator("input[id^='client_secret']").fill(editeur["client_secret"])
    oauth.get_by_role("button", name="Authorize").click()
    expect(oauth.get_by_role("button", name="Logout")).to_be_visible()
    apikey = modal.locator(".auth-container").filter(has_text="cleApiCfa")
    apikey.locator("input").fill(cle)
    apikey.get_by_role("button", name="Authorize").click()
    expect(apikey.get_by_role("button", name="Logout")).to_be_visible()
    modal.get_by_role("button", name="Close").first.click()

    operation = page.locator(".opblock.opblock-get").filter(
        has=page.locator(".opblock-summary-path[data-path='/v1/status']")
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    for nom, valeur in (
        ("EDITEUR", "Éditeur démo"),
        ("LOGICIEL", "Swagger UI"),
        ("VERSION", "1.0"),
    ):
        operation.locator(f"tr[data-param-name='{nom}'] input").fill(valeur)
    operation.get_by_role("button", name="Execute").click()
    statut = operation.locator(".live-responses-table .response .response-col_status")
    expect(statut).to_have_text("200", timeout=15_000)
