"""The doors of a shared sandbox (issue 11 §1–2): the admin token guards the control API on
the path routing uses, never below an OPCO; writes refuse other sites (CSRF); the console has
its own server-side session and anti-CSRF token; the Host is checked; failed logins are
throttled; the server refuses to listen openly without a token."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import delete

from opco_server.donnees.yamlfile import lire
from opco_server.http.admin import LOOPBACK_NAMES
from opco_server.models import EchecConnexion
from tests.brut import appeler
from tests.conftest import ROOT, app_jetable

TOKEN = "jeton-admin-de-test-0123456789"
ADMIN = {"X-Admin-Token": TOKEN}

# Sample values for the control API's path parameters.
EXEMPLES = {
    "opco": "akto",
    "numeroInterne": "0000001",
    "numeroInterneFacture": "F000000001",
    "numeroInterneDocument": "D000000001",
    "nom": "tous-les-etats",
    "clientId": "demo-editeur",
    "siren": "912345675",
}


def _operations() -> list[tuple[str, str]]:
    spec = lire(ROOT / "spec" / "sandbox.yaml")
    verbs = ("get", "put", "post", "delete", "patch")
    ops = []
    for path, item in spec["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: EXEMPLES[m[1]], path)
        ops += [(verb.upper(), concrete) for verb in item if verb in verbs]
    return ops


OPERATIONS = _operations()
PUBLIC = {("GET", "/health")}


def _variantes(path: str) -> list[str]:
    """The ways a client could try to reach /_sandbox{path} other than the canonical one."""
    return [
        f"/akto/_sandbox{path}",
        f"/AKTO/_sandbox{path}",
        f"/akto/_SANDBOX{path}",
        f"/sante/_sandbox{path}",
        f"/Opco2i/_Sandbox{path}",
        f"/akto/console/../_sandbox{path}",
        f"//_sandbox{path}",
        f"/_sandbox/{path}",
        f"/_sandbox/./{path.lstrip('/')}",
        f"/_sandbox/x/..{path}",
        f"/akto/%2e%2e/_sandbox{path}",
        f"/akto/%2E%2E/_sandbox{path}",
        f"/%5Fsandbox{path}",
        f"/_SANDBOX{path}",
        f"/_sandbox{path}/",
        f"/_sandbox%2F{path.lstrip('/')}",
        f"/akto%2F_sandbox{path}",
    ]


@pytest.fixture(scope="module")
def matrice():
    """The path matrix: no database decides a route or a guard, so one (SQLite) is enough."""
    app = app_jetable("opco-portes-", admin_token=TOKEN)
    yield app
    app.app.extensions["opco.sandbox"].fermer()


@pytest.fixture(scope="module")
def protege(base_settings):
    """A second app on the same database, as a shared sandbox runs: admin token set."""
    from opco_server import create_app

    app = create_app(base_settings.with_(admin_token=TOKEN))
    yield app
    app.app.extensions["opco.sandbox"].fermer()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_path_variant_reaches_the_control_api_without_the_token(matrice, method, path):
    body = b"{}" if method in ("POST", "PUT") else b""
    headers = {"Content-Type": "application/json"} if body else {}
    canonique = appeler(matrice, method, f"/_sandbox{path}", headers, body)
    if (method, path) in PUBLIC:
        assert canonique.status == 200
    else:
        assert canonique.status == 401 and canonique.codes == {"ADMIN_TOKEN_REQUIRED"}
    for cible in _variantes(path):
        if (method, path) in PUBLIC and unquote(cible) == f"/_sandbox{path}":
            continue  # the same path, percent-encoded: public too
        response = appeler(matrice, method, cible, headers, body)
        assert response.status in (400, 401, 404, 405, 307), (cible, response.status)
        assert response.status not in range(200, 300), cible
        if response.status == 307:  # a trailing slash, redirected to the guarded path
            assert response.headers["location"].endswith(f"/_sandbox{path}")


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_with_the_token_the_control_api_is_only_at_its_own_prefix(matrice, method, path):
    body = b"{}" if method in ("POST", "PUT") else b""
    headers = {**ADMIN, "Content-Type": "application/json"} if body else dict(ADMIN)
    for prefix in ("/akto", "/AKTO", "/sante", "/akto/v1"):
        response = appeler(matrice, method, f"{prefix}/_sandbox{path}", headers, body)
        assert response.status in (400, 404), (prefix, path, response.status)
    if method == "GET":
        response = appeler(matrice, method, f"/_sandbox{path}", ADMIN)
        assert response.status != 401


def test_the_chain_editor_key_nir_is_closed(app, protege):
    """Create an editor, mint a key: no credential, no success, whatever the prefix."""
    json_ = {"Content-Type": "application/json"}
    for prefix in ("", "/akto", "/AKTO", "/sante"):
        editeur = appeler(protege, "POST", f"{prefix}/_sandbox/editeurs", json_, b'{"nom": "x"}')
        cle = appeler(
            protege, "POST", f"{prefix}/_sandbox/opcos/akto/cles", json_, b'{"siren":"912345675"}'
        )
        assert editeur.status in (401, 404) and cle.status in (401, 404), prefix


def test_the_console_is_never_below_an_opco(app, protege):
    for cible in ("/akto/console/", "/AKTO/console/connexion", "/sante/Console/journal"):
        assert appeler(protege, "GET", cible).status == 404, cible


def test_health_stays_public_and_says_nothing_secret(protege):
    response = appeler(protege, "GET", "/_sandbox/health")
    assert response.status == 200
    assert set(response.json()) == {"status", "database", "opcos"}
    assert TOKEN not in response.body.decode()
    assert "postgres@" not in response.body.decode() and "sqlite:" not in response.body.decode()


def test_a_wrong_admin_token_is_refused(protege):
    with _sans_echecs(protege):
        for headers in ({"X-Admin-Token": "faux"}, {"Authorization": "Bearer faux"}, {}):
            assert appeler(protege, "GET", "/_sandbox/horloge", headers).status == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert appeler(protege, "GET", "/_sandbox/horloge", bearer).status == 200


# --- CSRF on the control API --------------------------------------------------------------


def test_a_cross_site_form_post_does_not_expire_a_key(client, cfa):
    """A page of another site posting a form to the sandbox (open by default) changes nothing."""
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
    for headers in (form, {**form, "Origin": "null"}, {"Content-Type": "text/plain"}):
        response = client.post(
            "/_sandbox/opcos/akto/cles/912345675/expirer", content=b"a=1", headers=headers
        )
        assert response.status_code in (403, 415), response.text
    assert cfa.get("/v1/status").status_code == 200  # the key still works


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "CROSS-SITE"},
    ],
)
def test_control_api_writes_refuse_a_foreign_origin(client, headers):
    response = client.post("/_sandbox/horloge/avancer", json={"jours": 1}, headers=headers)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "ORIGIN_REFUSED"


def test_control_api_writes_accept_their_own_origin_and_direct_calls(client):
    for headers in ({}, {"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"}):
        response = client.post("/_sandbox/horloge/avancer", json={"heures": 1}, headers=headers)
        assert response.status_code == 200, (headers, response.text)
    # A POST without a body needs no Content-Type (curl -X POST).
    assert client.post("/_sandbox/horloge/liberer").status_code == 200


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"],
)
def test_control_api_writes_are_json_only(client, content_type):
    response = client.post(
        "/_sandbox/horloge/avancer", content=b"jours=1", headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "MEDIA_TYPE_UNSUPPORTED"


# --- Host (DNS rebinding) ------------------------------------------------------------------


def test_open_sandbox_answers_only_its_own_host_names(app):
    """No admin token: a page served by evil.example resolving to 127.0.0.1 gets nothing."""
    for cible in ("/_sandbox/horloge", "/_sandbox/journal", "/console/"):
        refuse = appeler(app, "GET", cible, host="evil.example")
        assert refuse.status == 403 and refuse.codes == {"HOST_NOT_ALLOWED"}, cible
        assert appeler(app, "GET", cible, host="evil.example:8000").status == 403
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost"):
        assert appeler(app, "GET", "/_sandbox/horloge", host=host).status == 200, host
    assert appeler(app, "GET", "/_sandbox/health", host="evil.example").status == 403
    # The norm's API (credentials of its own) answers any name: CI services, containers.
    assert appeler(app, "GET", "/akto/v1/status", host="evil.example").status == 401


def test_host_check_defaults(base_settings):
    from opco_server.http import admin

    ouvert = base_settings.with_(hotes=None)
    assert admin.host_enforced(ouvert) and not admin.host_allowed(ouvert, "evil.example")
    assert admin.host_allowed(ouvert, "localhost:8000")
    protege = ouvert.with_(admin_token=TOKEN)
    assert not admin.host_enforced(protege)  # the token guards; names are then optional
    nomme = protege.with_(hotes=("sandbox.example.org",))
    assert admin.host_enforced(nomme) and admin.host_allowed(nomme, "Sandbox.Example.org:443")
    assert admin.host_allowed(ouvert.with_(hotes=("*",)), "anything")
    assert set(LOOPBACK_NAMES) <= {"localhost", "127.0.0.1", "::1"}


# --- the console: anti-CSRF token, server-side session, cookies, throttling ----------------

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def _jeton_csrf(client) -> str:
    return CSRF.search(client.get("/console/", follow_redirects=True).text).group(1)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "Cross-Site"},
    ],
)
def test_console_forms_need_the_pages_token(client, headers):
    """Whatever the browser says (or does not), a form without the page's token is refused."""
    response = client.post("/console/horloge/avancer", data={"jours": "1"}, headers=headers)
    assert response.status_code == 403 and "Formulaire refusé" in response.text
    assert client.get("/_sandbox/horloge").json()["maintenant"].startswith("2026-11-23")


def test_console_refuses_a_foreign_origin_even_with_a_token(client):
    jeton = _jeton_csrf(client)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "same-site"}):
        response = client.post(
            "/console/horloge/avancer", data={"jours": "1", "csrf": jeton}, headers=headers
        )
        assert response.status_code == 403
    ok = client.post(
        "/console/horloge/avancer", data={"jours": "1", "csrf": jeton}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert client.get("/_sandbox/horloge").json()["maintenant"].startswith("2026-11-24")


def test_a_token_of_another_browser_is_refused(app, client):
    jeton = _jeton_csrf(client)
    with app.test_client() as autre:
        autre.get("/console/")  # its own cookie
        response = autre.post("/console/horloge/avancer", data={"jours": "1", "csrf": jeton})
        assert response.status_code == 403


def test_csrf_cookie_is_strict_and_http_only(client):
    response = client.get("/console/")
    cookie = response.headers["set-cookie"]
    assert "opco_console_csrf=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/console" in cookie


def _connecte(client, jeton_admin: str = TOKEN):
    response = client.post(
        "/console/connexion",
        data={"jeton": jeton_admin, "suite": "/console/", "csrf": _jeton_csrf(client)},
        follow_redirects=False,
    )
    return response


def test_console_session_is_for_the_console_only_and_ends_on_logout(protege):
    with protege.test_client() as client:
        response = _connecte(client)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "Path=/console" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
        valeur = re.search(r"opco_console_session=([^;]+)", cookie).group(1)
        assert client.get("/console/").status_code == 200
        # The console's cookie opens nothing in the control API.
        seul = appeler(
            protege, "GET", "/_sandbox/horloge", {"Cookie": f"opco_console_session={valeur}"}
        )
        assert seul.status == 401

        client.post("/console/deconnexion", data={"csrf": _jeton_csrf(client)})
        assert client.get("/console/", follow_redirects=False).status_code == 303
    # A copy of the cookie taken before logging out is worthless.
    with protege.test_client() as voleur:
        voleur.cookies.set("opco_console_session", valeur, path="/console")
        assert voleur.get("/console/", follow_redirects=False).status_code == 303


def test_console_cookie_is_secure_over_https(protege):
    with protege.test_client(base_url="https://testserver") as client:
        client.get("/console/connexion")
        response = client.post(
            "/console/connexion",
            data={"jeton": TOKEN, "suite": "/console/", "csrf": _jeton_csrf(client)},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("confiance", [True, False])
def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(base_settings, confiance):
    from opco_server import create_app

    settings = base_settings.with_(
        admin_token=TOKEN, proxy_de_confiance=("*",) if confiance else None
    )
    app = create_app(settings)
    try:
        with app.test_client() as client:
            page = client.get("/console/connexion", headers={"X-Forwarded-Proto": "https"})
            assert page.status_code == 200
            cookie = page.headers["set-cookie"]
            assert "opco_console_csrf=" in cookie
            assert ("Secure" in cookie) is confiance
    finally:
        app.app.extensions["opco.sandbox"].fermer()


class _sans_echecs:
    """Failed attempts survive resets (on purpose): each test cleans its own."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.sandbox = app.app.extensions["opco.sandbox"]

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._vider()
        return self

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        self._vider()

    def _vider(self) -> None:
        with self.sandbox.session() as session:
            session.execute(delete(EchecConnexion))
            session.commit()


def test_failed_console_logins_are_throttled(protege):
    with _sans_echecs(protege), protege.test_client() as client:
        for _ in range(protege.app.extensions["opco.sandbox"].settings.echecs_connexion_max):
            echec = _connecte(client, "faux")
            assert echec.status_code == 401, echec.text[-600:]
        bloque = _connecte(client, "faux")
        assert bloque.status_code == 429 and int(bloque.headers["retry-after"]) > 0
        assert _connecte(client).status_code == 429  # even the right token, from there
        # Another address is not blocked.
        ailleurs = appeler(protege, "GET", "/_sandbox/horloge", ADMIN, client=("10.9.9.9", 1))
        assert ailleurs.status == 200


def test_wrong_admin_tokens_on_the_control_api_are_throttled(protege):
    with _sans_echecs(protege):
        maximum = protege.app.extensions["opco.sandbox"].settings.echecs_connexion_max
        for _ in range(maximum):
            assert (
                appeler(protege, "GET", "/_sandbox/horloge", {"X-Admin-Token": "x"}).status == 401
            )
        bloque = appeler(protege, "GET", "/_sandbox/horloge", ADMIN)
        assert bloque.status == 429 and bloque.codes == {"TOO_MANY_ATTEMPTS"}
        assert int(bloque.headers["retry-after"]) > 0


def test_console_sessions_survive_a_reset_of_the_sandbox(protege):
    with protege.test_client() as client:
        assert _connecte(client).status_code == 303
        reset = appeler(protege, "POST", "/_sandbox/reinitialiser", {**ADMIN})
        assert reset.status == 200
        assert client.get("/console/", follow_redirects=False).status_code == 200
