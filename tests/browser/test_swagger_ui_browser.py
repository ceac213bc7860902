"""Swagger UI of an OPCO in a real headless Chromium, against the real server (uvicorn).

« Authorize » with the demo editor's client credentials (the absolute tokenUrl of the OPCO's
own contract) and the demo CFA key, then « Try it out » on GET /v1/status: 200 in the page.
At AKTO, and at Afdas, whose token request needs a DPoP proof (RFC 9449) that the page signs
with WebCrypto; out of a secure context the page cannot, and says so.
"""

from __future__ import annotations

import json
import re
from base64 import urlsafe_b64decode

import pytest

from tests.browser.test_console_browser import (  # noqa: F401  (fixtures: the same harness)
    CHROMIUM,
    CHROMIUM_ARGS,
    OPCO,
    base_url,
    browser,
    identities,
    page,
)

expect = pytest.importorskip("playwright.sync_api").expect

DPOP = "afdas"
NOMS = {OPCO: "AKTO", DPOP: "Afdas"}


def _jose(jwt: str) -> dict:
    entete = jwt.split(".")[0]
    return json.loads(urlsafe_b64decode(entete + "=" * (-len(entete) % 4)))


def _authorize(page, identities, opco: str):
    """« Authorize »: client credentials, then the CFA key; the token response."""
    editeur = identities["editeur"]
    cle = identities["cfas"][0]["cles"][opco]
    page.locator(".auth-wrapper .authorize").first.click()
    modal = page.locator(".modal-ux")
    oauth = modal.locator(".auth-container").filter(has_text="editeurOAuth2")
    oauth.locator("input[id^='client_id']").fill(editeur["client_id"])
    oauth.locator("input[id^='client_secret']").fill(editeur["client_secret"])
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{opco}/connect/token")
    ) as jeton:
        oauth.get_by_role("button", name="Authorize").click()
    assert jeton.value.status == 200, jeton.value.text()
    expect(oauth.get_by_role("button", name="Logout")).to_be_visible()
    apikey = modal.locator(".auth-container").filter(has_text="cleApiCfa")
    apikey.locator("input").fill(cle)
    apikey.get_by_role("button", name="Authorize").click()
    expect(apikey.get_by_role("button", name="Logout")).to_be_visible()
    modal.get_by_role("button", name="Close").first.click()
    return jeton.value


@pytest.mark.parametrize("opco", [OPCO, DPOP])
def test_authorize_then_try_it_out_on_status(page, identities, opco):
    csp: list[str] = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/{opco}/ui/")
    expect(page).to_have_title(f"Swagger UI — {NOMS[opco]}")
    jeton = _authorize(page, identities, opco)
    preuve = jeton.request.header_value("DPoP")
    if opco == DPOP:
        assert preuve is not None
        jose = _jose(preuve)
        assert jose["typ"] == "dpop+jwt" and jose["alg"] == "RS256"
        assert jose["jwk"]["kty"] == "RSA" and set(jose["jwk"]) == {"kty", "n", "e"}
        # A real proof, with its key: no norm deviation tolerated (NORM_DPOP_JWK_ABSENT).
        assert jeton.header_value("X-Sandbox-Ecarts-Norme") is None
    else:
        assert preuve is None
    expect(page.locator("#opco-sandbox-avis-dpop")).to_have_count(1 if opco == DPOP else 0)
    expect(page.locator("#opco-sandbox-avis-dpop")).to_be_hidden()

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
    with page.expect_request(re.compile(rf"/{opco}/v1/status")) as appel:
        operation.get_by_role("button", name="Execute").click()
    # The resource call carries the plain Bearer token, no proof.
    assert (appel.value.header_value("Authorization") or "").startswith("Bearer ")
    assert appel.value.header_value("DPoP") is None
    statut = operation.locator(".live-responses-table .response .response-col_status")
    expect(statut).to_have_text("200", timeout=15_000)
    assert csp == []


def test_out_of_a_secure_context_the_page_says_the_proof_cannot_be_built(browser, base_url):
    """http:// under a name other than localhost: no WebCrypto, a French notice at the top."""
    port = base_url.rsplit(":", 1)[1]
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP sandbox.invalid 127.0.0.1"],
        headless=True,
    )
    try:
        tab = chromium.new_page(base_url=f"http://sandbox.invalid:{port}", locale="fr-FR")
        tab.set_default_timeout(15_000)
        tab.goto(f"/{DPOP}/ui/")
        assert tab.evaluate("window.isSecureContext") is False
        avis = tab.locator("#opco-sandbox-avis-dpop")
        expect(avis).to_be_visible()
        expect(avis).to_contain_text("Preuve DPoP impossible dans cette page")
        expect(avis).to_contain_text("DPoP à l'Afdas")
        expect(tab.locator(".opblock-summary-path[data-path='/v1/status']")).to_be_visible()
        tab.goto(f"/{OPCO}/ui/")
        expect(tab.locator(".opblock-summary-path[data-path='/v1/status']")).to_be_visible()
        expect(tab.locator("#opco-sandbox-avis-dpop")).to_have_count(0)
    finally:
        chromium.close()


@pytest.mark.parametrize("saisie", ["auto", "preuve"])
def test_try_it_out_on_the_token_request_at_afdas(page, base_url, identities, saisie):
    """The contract's required DPoP parameter: a typed proof (a JWT) is sent as is, any other
    value is replaced by the page's proof."""
    from tests.conftest import dpop_proof

    editeur = identities["editeur"]
    valeur = dpop_proof(f"{base_url}/{DPOP}/connect/token") if saisie == "preuve" else saisie
    page.goto(f"/{DPOP}/ui/")
    operation = page.locator(".opblock.opblock-post").filter(
        has=page.locator(".opblock-summary-path[data-path='/connect/token']")
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("tr[data-param-name='DPoP'] input").fill(valeur)
    for nom, champ in (
        ("grant_type", "client_credentials"),
        ("client_id", editeur["client_id"]),
        ("client_secret", editeur["client_secret"]),
    ):
        operation.locator(f"tr[data-property-name='{nom}'] input[type='text']").fill(champ)
    with page.expect_request(re.compile(rf"/{DPOP}/connect/token")) as demande:
        operation.get_by_role("button", name="Execute").click()
    envoyee = demande.value.header_value("DPoP")
    assert _jose(envoyee)["typ"] == "dpop+jwt"
    assert (envoyee == valeur) == (saisie == "preuve")
    statut = operation.locator(".live-responses-table .response .response-col_status")
    expect(statut).to_have_text("200", timeout=15_000)
