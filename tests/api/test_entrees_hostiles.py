"""Hostile input on every write endpoint of the norm (issue: bad input beyond schemathesis).

Bodies over the limit (413), wrong content types (415), invalid UTF-8, deeply nested JSON,
huge strings, PDFs that are not PDFs (400), hostile file names (sanitised): each is a clear
4xx in the norm's error format, with a stable code and a French description, and nothing is
stored — not a dossier, an invoice, a file, a token, nor a consumed sequence number.

Already covered elsewhere, not repeated here: lenient JSON on POST /v1/dossiers (NaN, lone
surrogates, NUL, 5,000 levels, huge numbers) and names of 201 characters in
test_robustesse.py; the convention's ZIP, empty and 10 MiB files and a sanitised
`../../etc/…` name in test_cycle_de_vie.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select

from tests.api.test_cycle_de_vie import PDF, avancer, convention_de, deposer, detail
from tests.api.test_factures import SIRET, facture_pour
from tests.conftest import NOW, ROOT, NormClient

JSON = ["/v1/dossiers", "/v2/dossiers", "/v2/dossiers/rupture/employeur"]
# Multipart endpoint → its JSON part.
MULTIPART = {
    "/v1/conventions": "convention",
    "/v1/factures": "facture",
    "/v1/documents": "infosFichier",
    "/v2/certificats": "certificat",
}
TOKEN = "/connect/token"
ECRITURES = [*JSON, *MULTIPART]

# What a refused request may still change: the journal records it, the clock is shared.
VOLATILES = {"journal", "horloge", "parametres"}
# Words of starlette's, werkzeug's or connexion's English messages.
ANGLAIS = re.compile(
    r"\b(the|is|not|must|exceeded|expected|invalid|missing|request|body|too|large)\b", re.I
)


# ---------------------------------------------------------------- the scene and its bodies


class Scene:
    """An engaged dossier of the demo CFA, a fresh token, and a valid body per endpoint."""

    def __init__(self, cfa, client, sandbox, contrat: dict, numero: str) -> None:
        self.cfa, self.client, self.sandbox = cfa, client, sandbox
        self.contrat, self.numero = contrat, numero
        cfa._token = None  # the clock moved on: a token valid for the whole test
        self.headers = cfa.headers()
        self.dossier = detail(cfa, numero)

    def charge(self, chemin: str) -> dict:
        """The valid JSON of an endpoint: the body, or the JSON part of a multipart body."""
        cerfa = self.contrat["cerfa"]
        if chemin in ("/v1/dossiers", "/v2/dossiers"):
            autre = copy.deepcopy(self.contrat)  # another apprentice: not a duplicate
            autre["cerfa"]["apprenti"]["prenom"] = "Zoé"
            return autre
        if chemin == "/v2/dossiers/rupture/employeur":
            return {"numeroInterne": self.numero, "dateRupture": "2026-11-20", "motif": "AUTRE"}
        if chemin == "/v1/conventions":
            return convention_de(self.contrat, self.numero)
        if chemin == "/v1/factures":
            return facture_pour(self.dossier, "FAC-HOSTILE-1", [1])
        if chemin == "/v1/documents":
            objet = {"typeObjet": "DOSSIER_APPRENTISSAGE", "idObjet": self.numero}
            return {"typeFichier": "ATTESTATION", "objets": [objet]}
        return {
            "typeCertificat": "Intermediaire",
            "numeroInterneDossier": self.numero,
            "employeur": {"siret": cerfa["employeur"]["siret"]},
            "apprenti": {"nom": cerfa["apprenti"]["nom"], "prenom": cerfa["apprenti"]["prenom"]},
            "organismeFormation": {"siret": SIRET},
            "echeance": {"numero": 1},
        }

    def url(self, chemin: str, opco: str = "akto") -> str:
        return f"/{opco}{chemin}"

    def json(self, chemin: str, contenu: bytes, content_type: str | None = "application/json"):
        headers = dict(self.headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return self.client.post(self.url(chemin), content=contenu, headers=headers)

    def multipart(
        self,
        chemin: str,
        partie: bytes | str | None = None,
        fichier: bytes = PDF,
        nom: str = "piece.pdf",
    ):
        if partie is None:
            partie = json.dumps(self.charge(chemin))
        files = {
            MULTIPART[chemin]: (None, partie, "application/json"),
            "fichier": (nom, fichier, "application/pdf"),
        }
        return self.client.post(self.url(chemin), files=files, headers=self.headers)

    def envoyer(self, chemin: str, transformer=None):  # type: ignore[no-untyped-def]
        """The endpoint's valid body, changed by `transformer` (a dict in place)."""
        charge = self.charge(chemin)
        if transformer:
            transformer(charge)
        if chemin in MULTIPART:
            return self.multipart(chemin, json.dumps(charge))
        return self.json(chemin, json.dumps(charge).encode())

    def formulaire(self, contenu: bytes | dict, content_type: str | None = None):
        editeur = self.cfa.identities["editeur"]
        if isinstance(contenu, dict):
            data = {
                "grant_type": "client_credentials",
                "client_id": editeur["client_id"],
                "client_secret": editeur["client_secret"],
                **contenu,
            }
            return self.client.post(self.url(TOKEN), data=data)
        headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
        return self.client.post(self.url(TOKEN), content=contenu, headers=headers)


class Scenes:
    """The module's scene on one database, built once and rebuilt only when it changed.

    Building it (reset, transmission, deposit, four days of clock) costs far more than the
    tests that use it, and almost every test here asserts that its request stored nothing: they
    all share one scene. A test still starts from the scene exactly as built: `prendre` checks
    the shared state's version (a reset, the profile, the clock: any change moves it) and the
    snapshot of everything stored, and rebuilds the scene when either moved (after a test that
    stores, after another module's reset)."""

    def __init__(self, session_app, contrat: dict) -> None:
        self.app, self.contrat = session_app, contrat
        self.sandbox = session_app.app.extensions["opco.sandbox"]
        self._clients = contextlib.ExitStack()
        self.client = self._clients.enter_context(session_app.test_client())
        self.scene: Scene | None = None
        self.version: int | None = None
        self.reference: dict | None = None
        self.constructions = 0

    def _version(self) -> int:
        from opco_server.services.partage import lire_version

        return lire_version(self.sandbox.engine)[0]

    def prendre(self) -> Scene:
        if self.scene is not None and self._version() == self.version:
            # The database alone: the listings are read from it (the test's end reads both).
            etat = instantane(self.scene, api=False)
            if self.reference is not None and etat.items() <= self.reference.items():
                return self.scene
        return self._construire()

    def cumulable(self) -> Scene:
        """For a test that stores and checks only what it added: the scene as built or as
        such tests left it; still rebuilt after a reset or a change of the shared state."""
        if self.scene is not None and self._version() == self.version:
            return self.scene
        return self._construire()

    def _construire(self) -> Scene:
        from opco_server.donnees.seed import identities
        from opco_server.services.reinitialisation import reinitialiser

        sandbox, client = self.sandbox, self.client
        sandbox.horloge.figer(NOW)
        sandbox.horloge.regler(NOW)
        reinitialiser(sandbox)
        # Every endpoint served, errors in the norm's own format (no OPCO dialect).
        assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
        cfa = NormClient(client, identities(sandbox))
        numero = cfa.transmettre(self.contrat).json()["numeroInterne"]
        assert deposer(cfa, convention_de(self.contrat, numero)).status_code == 200
        avancer(client, jours=4)
        scene = Scene(cfa, client, sandbox, self.contrat, numero)
        assert scene.dossier["cerfa"]["etat"] == "ENGAGE"
        self.scene, self.version = scene, self._version()
        self.reference = instantane(scene)
        self.constructions += 1
        return scene

    def fermer(self) -> None:
        """The next module finds the default profile (its reset would restore it anyway)."""
        if self.scene is not None:
            self.client.put("/_sandbox/profil", json={"profil": "dialectes"})
        self._clients.close()


@pytest.fixture(scope="module")
def scenes(session_app) -> Iterator[Scenes]:
    contrat = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
    scenes = Scenes(session_app, contrat)
    yield scenes
    scenes.fermer()


@pytest.fixture
def scene(scenes) -> Scene:
    """The scene as built: rebuilt first if the previous test (or another module) changed it."""
    return scenes.prendre()


def instantane(scene: Scene, api: bool = True) -> dict:
    """Everything a request could store: each table's rows (through the database), the
    sequences and counters, the dossiers' states, and (`api`) what the norm's own listings show
    (through the API)."""
    from opco_server.db import Base
    from opco_server.models import CompteurCfa, Dossier, SequenceOpco

    tables = [t for t in Base.metadata.sorted_tables if t.name not in VOLATILES]
    comptes = select(
        *[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables]
    )
    with scene.sandbox.session(lecture=True) as session:
        etat: dict = dict(session.execute(comptes).one()._mapping)
        etat["sequences"] = sorted(map(tuple, session.execute(select(SequenceOpco.__table__))))
        etat["compteurs"] = sorted(map(tuple, session.execute(select(CompteurCfa.__table__))))
        etats = select(Dossier.opco_id, Dossier.numero_interne, Dossier.etat)
        etat["etats"] = sorted(map(tuple, session.execute(etats)))
    if api:
        get = scene.client.get
        etat["api:dossiers"] = len(get("/akto/v1/dossiers/etats", headers=scene.headers).json())
        factures = get("/akto/v2/factures/etats", params={"numeroPage": 1}, headers=scene.headers)
        etat["api:factures"] = factures.json()["total"]
    return etat


@pytest.fixture
def rien_de_stocke(scenes, scene) -> Iterator[None]:
    """The scene was just checked equal to its reference: it must still be, after the test."""
    yield
    assert instantane(scene) == scenes.reference


def refus(response, status: int, codes: set[str] | None = None) -> list[dict]:
    """A clear 4xx in the norm's format: JSON (not problem+json, not HTML), every error with
    a stable code and a French description."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert set(body) <= {"errors", "error", "error_description"}, body  # + OAuth on /token
    assert body["errors"], body
    for erreur in body["errors"]:
        assert set(erreur) <= {"code", "description", "champ"}, erreur
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{3,}", erreur["code"]), erreur
        assert erreur["description"] and not ANGLAIS.search(erreur["description"]), erreur
        assert len(erreur["description"]) < 500, erreur  # a hostile value is never echoed
    if codes is not None:
        assert {e["code"] for e in body["errors"]} == codes, body
    return body["errors"]


# ------------------------------------------------------------------------ the reference


@pytest.mark.parametrize("chemin", ECRITURES)
def test_the_reference_bodies_are_accepted(scene, chemin):
    """The harness's own check: each hostile case below differs from an accepted request
    only by what it tests."""
    avant = instantane(scene)
    response = scene.envoyer(chemin)
    assert response.status_code == 200, response.text
    assert instantane(scene) != avant


# ----------------------------------------------------------------------- 413: too large


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("chemin", [*ECRITURES, TOKEN])
def test_a_body_over_the_limit_is_a_413(scene, chemin):
    """A valid body, padded (JSON whitespace, a longer PDF) to just over the limit."""
    settings = scene.sandbox.settings
    if chemin in MULTIPART:
        limite = settings.multipart_max_octets
        pdf = PDF[:-6] + b" " * (limite + 1 - len(PDF)) + PDF[-6:]  # a real PDF, too large
        response = scene.multipart(chemin, fichier=pdf)
    elif chemin == TOKEN:
        limite = settings.corps_max_octets
        response = scene.formulaire({"scope": "a" * limite})
    else:
        limite = settings.corps_max_octets
        texte = json.dumps(scene.charge(chemin)).encode()
        response = scene.json(chemin, texte + b" " * (limite + 1 - len(texte)))
    (erreur,) = refus(response, 413, {"PAYLOAD_TOO_LARGE"})
    assert f"{limite // (1024 * 1024)} Mo" in erreur["description"]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("chemin", list(MULTIPART))
def test_a_json_part_over_the_form_limit_is_a_413_in_the_norms_format(scene, chemin):
    """Flask reads a text part of 500,000 bytes at most: beyond, werkzeug's own 413 used to
    come back as problem+json."""
    from opco_server.http.validation import TAILLE_MAX_PARTIE

    partie = json.dumps(scene.charge(chemin)) + " " * TAILLE_MAX_PARTIE
    (erreur,) = refus(scene.multipart(chemin, partie), 413, {"PAYLOAD_TOO_LARGE"})
    assert erreur["champ"] == MULTIPART[chemin]


# ---------------------------------------------- 413 through the ASGI stack: what is read


def _asgi(app, chemin: str, headers: dict[str, str], morceaux: Iterator[bytes]):
    """One request straight into the ASGI app; counts the body chunks the app pulled."""
    tires = 0
    reponse: dict = {"status": None, "body": b""}
    fini = anyio.Event()
    suivant = next(morceaux, None)

    async def receive() -> dict:
        nonlocal tires, suivant
        if suivant is None:  # the body was sent: the client waits for the response
            await fini.wait()
            return {"type": "http.disconnect"}
        morceau, suivant = suivant, next(morceaux, None)
        tires += 1
        return {"type": "http.request", "body": morceau, "more_body": suivant is not None}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            reponse["status"] = message["status"]
        elif message["type"] == "http.response.body":
            reponse["body"] += message.get("body", b"")
            if not message.get("more_body"):
                fini.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": chemin,
        "raw_path": chemin.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "extensions": {},
    }
    anyio.run(app, scope, receive, send)
    return reponse["status"], json.loads(reponse["body"]), tires


def _sans_fin(taille: int = 64 * 1024) -> Iterator[bytes]:
    """A body that never ends (well: 1 GiB), 64 KiB at a time."""
    for _ in range(16 * 1024):
        yield b" " * taille


_TYPES = {"json": "application/json", "multipart": "multipart/form-data; boundary=B"}


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    ("chemin", "sorte"), [("/v1/dossiers", "json"), *[(c, "multipart") for c in MULTIPART]]
)
def test_an_announced_oversize_body_is_refused_before_it_is_read(scenes, scene, chemin, sorte):
    headers = {**scene.headers, "Content-Type": _TYPES[sorte], "Content-Length": str(2**40)}
    status, body, tires = _asgi(scenes.app, scene.url(chemin), headers, _sans_fin())
    assert (status, body["errors"][0]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert tires == 0


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    ("chemin", "sorte"), [("/v2/dossiers", "json"), ("/v1/factures", "multipart")]
)
def test_a_chunked_oversize_body_is_refused_once_past_the_limit(scenes, scene, chemin, sorte):
    settings = scene.sandbox.settings
    limite = settings.multipart_max_octets if sorte == "multipart" else settings.corps_max_octets
    headers = {**scene.headers, "Content-Type": _TYPES[sorte], "Transfer-Encoding": "chunked"}
    status, body, tires = _asgi(scenes.app, scene.url(chemin), headers, _sans_fin())
    assert (status, body["errors"][0]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert tires <= limite // (64 * 1024) + 1  # read up to the limit, not to the end


def test_a_chunked_body_under_the_limit_is_received(scenes, scene):
    """Without Content-Length, connexion took a body for absent (REQ_FIELD_MISSING)."""
    avant = instantane(scene)
    texte = json.dumps(scene.charge("/v1/dossiers")).encode()
    morceaux = iter([texte[:100], texte[100:2000], texte[2000:]])
    headers = {**scene.headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    status, body, _ = _asgi(scenes.app, scene.url("/v1/dossiers"), headers, morceaux)
    assert status == 200, body
    assert instantane(scene)["dossiers"] == avant["dossiers"] + 1


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("valeur", ["douze", "-1", "1e3", "12, 13"])
def test_an_invalid_content_length_is_a_400(scenes, scene, valeur):
    headers = {**scene.headers, "Content-Type": "application/json", "Content-Length": valeur}
    status, body, tires = _asgi(scenes.app, scene.url("/v1/dossiers"), headers, iter([b"{}"]))
    assert (status, body["errors"][0]["code"]) == (400, "REQUEST_INVALID")
    assert tires == 0


# ------------------------------------------------------------- 415: wrong content type


def _multipart_de(texte: bytes, partie: str = "cerfa") -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="' + partie.encode() + b'"\r\n'
        b"Content-Type: application/json\r\n\r\n" + texte + b"\r\n--B--\r\n"
    )


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=B",
        "application/x-www-form-urlencoded",
        "application/json-patch+json",
    ],
)
@pytest.mark.parametrize("chemin", JSON)
def test_json_endpoints_refuse_other_media_types(scene, chemin, content_type):
    texte = json.dumps(scene.charge(chemin)).encode()
    contenu = _multipart_de(texte) if content_type.startswith("multipart") else texte
    (erreur,) = refus(scene.json(chemin, contenu, content_type), 415, {"MEDIA_TYPE_UNSUPPORTED"})
    assert "application/json" in erreur["description"]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        None,
    ],
)
@pytest.mark.parametrize("chemin", list(MULTIPART))
def test_multipart_endpoints_refuse_other_media_types(scene, chemin, content_type):
    """The JSON alone where multipart is expected, or a multipart body without its type."""
    if content_type is None:
        contenu = _multipart_de(json.dumps(scene.charge(chemin)).encode(), MULTIPART[chemin])
    else:
        contenu = json.dumps(scene.charge(chemin)).encode()
    (erreur,) = refus(scene.json(chemin, contenu, content_type), 415, {"MEDIA_TYPE_UNSUPPORTED"})
    assert "multipart/form-data" in erreur["description"]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "multipart/form-data; boundary=B"]
)
def test_the_token_endpoint_refuses_other_media_types(scene, content_type):
    editeur = scene.cfa.identities["editeur"]
    donnees = {"grant_type": "client_credentials", **editeur}
    if content_type == "application/json":
        contenu = json.dumps(donnees).encode()
    elif content_type == "text/plain":
        contenu = "&".join(f"{k}={v}" for k, v in donnees.items()).encode()
    else:
        contenu = _multipart_de(b"client_credentials", "grant_type")
    response = scene.formulaire(contenu, content_type)
    (erreur,) = refus(response, 415, {"MEDIA_TYPE_UNSUPPORTED"})
    assert "application/x-www-form-urlencoded" in erreur["description"]


# ---------------------------------------------------------- 400: not UTF-8, not JSON


# Invalid UTF-8: a stray byte, an overlong "/", a UTF-16 surrogate, a truncated "é".
NON_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xc3"]


def _avec_octets(charge: dict, octets: bytes) -> bytes:
    """The valid body, with the bytes in a string value that the schema accepts."""
    texte = json.dumps(charge, ensure_ascii=False).encode()
    for cible in ('"Zoé"', '"AUTRE"', '"Léa"', '"ATTESTATION"', '"FAC-HOSTILE-1"'):
        if cible.encode() in texte:
            return texte.replace(cible.encode(), cible.encode()[:-1] + octets + b'"', 1)
    raise AssertionError(texte)


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("octets", NON_UTF8)
@pytest.mark.parametrize("chemin", JSON)
def test_a_json_body_that_is_not_utf8_is_a_400(scene, chemin, octets):
    contenu = _avec_octets(scene.charge(chemin), octets)
    refus(scene.json(chemin, contenu), 400, {"JSON_INVALID"})


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("octets", NON_UTF8)
@pytest.mark.parametrize("chemin", list(MULTIPART))
def test_a_json_part_that_is_not_utf8_is_a_400(scene, chemin, octets):
    """Starlette read such a part as Latin-1 and Flask with U+FFFD: a convention for an
    apprentice « L\ufffd » was stored."""
    contenu = _avec_octets(scene.charge(chemin), octets)
    (erreur,) = refus(scene.multipart(chemin, contenu), 400, {"JSON_INVALID"})
    assert erreur["champ"] == MULTIPART[chemin]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    "contenu",
    [
        b"grant_type=client_credentials&client_id=\xff&client_secret=x",
        b"grant_type=client_credentials&client_id=%FF&client_secret=x",
        b"grant_type=client_credentials&client_id=%C0%AF&client_secret=x",
        b"grant_type=client_credentials&client_id=a&client_secret=%ED%A0%80",
    ],
)
def test_a_token_form_that_is_not_utf8_is_a_400(scene, contenu):
    response = scene.formulaire(contenu)
    refus(response, 400, {"REQUEST_INVALID"})
    assert response.json()["error"] == "invalid_request"


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(
    "partie",
    ["<convention><numero>1</numero></convention>", "", "null", "[]", '"texte"', "{oops"],
)
@pytest.mark.parametrize("chemin", list(MULTIPART))
def test_a_json_part_that_is_not_an_object_is_a_400(scene, chemin, partie):
    errors = refus(scene.multipart(chemin, partie), 400)
    assert {e["code"] for e in errors} <= {"JSON_INVALID", "TYPE_INVALID", "REQ_FIELD_MISSING"}
    assert {e.get("champ") for e in errors} == {MULTIPART[chemin]}


# ------------------------------------------------------------- 400: deeply nested JSON


def _profond(niveaux: int) -> dict:
    valeur: object = None
    for _ in range(niveaux):
        valeur = {"a": valeur}
    return valeur  # type: ignore[return-value]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("niveaux", [65, 100_000])
@pytest.mark.parametrize("chemin", ECRITURES)
def test_deeply_nested_json_is_a_400(scene, chemin, niveaux):
    """Past 64 levels (or Python's recursion limit), wherever the JSON is: a field of a
    JSON body or of a multipart part."""
    if niveaux > 1000:  # json.dumps itself would recurse too deep
        charge = json.dumps(scene.charge(chemin))
        texte = charge[:-1] + ', "profond": ' + "[" * niveaux + "]" * niveaux + "}"
    else:
        texte = json.dumps({**scene.charge(chemin), "profond": _profond(niveaux)})
    if chemin in MULTIPART:
        response = scene.multipart(chemin, texte)
    else:
        response = scene.json(chemin, texte.encode())
    (erreur,) = refus(response, 400, {"JSON_INVALID"})
    assert "imbrication" in erreur["description"]


# ---------------------------------------------------- 400: strings past their maxLength


ENORME = "X" * 100_000

CHAINES = [
    ("/v2/dossiers", "cerfa.apprenti.nom", lambda c: c["cerfa"]["apprenti"].update(nom=ENORME)),
    (
        "/v1/dossiers",
        "cerfa.apprenti.prenom",
        lambda c: c["cerfa"]["apprenti"].update(prenom=ENORME),
    ),
    ("/v2/dossiers/rupture/employeur", "numeroInterne", lambda c: c.update(numeroInterne=ENORME)),
    (
        "/v1/conventions",
        "convention.numeroInterneDossier",
        lambda c: c.update(numeroInterneDossier=ENORME),
    ),
    ("/v1/factures", "facture.numero", lambda c: c.update(numero=ENORME)),
    ("/v1/documents", "infosFichier.typeFichier", lambda c: c.update(typeFichier=ENORME)),
    (
        "/v1/documents",
        "infosFichier.objets[0].idObjet",
        lambda c: c["objets"][0].update(idObjet=ENORME),
    ),
    (
        "/v2/certificats",
        "certificat.numeroInterneDossier",
        lambda c: c.update(numeroInterneDossier=ENORME),
    ),
]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(("chemin", "champ", "changer"), CHAINES, ids=[c[1] for c in CHAINES])
def test_a_huge_string_past_its_max_length_is_a_400(scene, chemin, champ, changer):
    errors = refus(scene.envoyer(chemin, changer), 400)
    assert {(e["code"], e["champ"]) for e in errors} >= {("FORMAT_INVALID", champ)}
    assert all(e["code"] == "FORMAT_INVALID" for e in errors), errors


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("champ", ["client_id", "client_secret", "scope"])
def test_a_huge_token_parameter_is_a_400(scene, champ):
    """Connexion's English message used to echo the 100,000 characters back."""
    response = scene.formulaire({champ: ENORME})
    (erreur,) = refus(response, 400, {"FORMAT_INVALID"})
    assert erreur["champ"] == champ
    assert response.json()["error"] == "invalid_request"


@pytest.mark.usefixtures("rien_de_stocke")
def test_an_unknown_token_parameter_is_reported_in_french(scene):
    response = scene.formulaire({"audience": "x"})
    refus(response, 400, {"PARAM_UNKNOWN"})
    assert response.json()["error"] == "invalid_request"


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize("entete", ["EDITEUR", "LOGICIEL", "VERSION"])
def test_a_huge_identification_header_is_a_400(scene, entete):
    headers = {**scene.headers, entete: "X" * 8000, "Content-Type": "application/json"}
    contenu = json.dumps(scene.charge("/v1/dossiers"))
    response = scene.client.post(scene.url("/v1/dossiers"), content=contenu, headers=headers)
    (erreur,) = refus(response, 400, {"FORMAT_INVALID"})
    assert erreur["champ"] == entete


# ---------------------------------------------------------- 400: a "PDF" that is not one


NON_PDF = {
    "html": b"<html><body>facture</body></html>",
    "zip": b"PK\x03\x04\x14\x00\x00\x00 not a pdf %%EOF",
    "sans fin %%EOF": PDF.replace(b"%%EOF", b""),
    "sans en-tete": PDF.replace(b"%PDF-1.4", b"%PS-1.4"),
    "en-tete seul": b"%PDF-",
    "vide": b"",
}
# The convention's ZIP and empty files: test_cycle_de_vie.py::test_convention_file_checks.
CAS_NON_PDF = [
    (chemin, sorte)
    for chemin in MULTIPART
    for sorte in NON_PDF
    if not (chemin == "/v1/conventions" and sorte in ("zip", "vide"))
]


@pytest.mark.usefixtures("rien_de_stocke")
@pytest.mark.parametrize(("chemin", "sorte"), CAS_NON_PDF)
def test_a_file_that_is_not_a_pdf_is_a_400(scene, chemin, sorte):
    code = "FILE_EMPTY" if sorte == "vide" else "FILE_NOT_PDF"
    response = scene.multipart(chemin, fichier=NON_PDF[sorte], nom="vrai.pdf")
    errors = refus(response, 400)
    assert code in {e["code"] for e in errors}
    assert all(e["champ"] == "fichier" for e in errors if e["code"] == code)


# ------------------------------------------------------------- hostile file names


NOMS = {
    "../../../../tmp/evasion.pdf": "evasion.pdf",
    "/etc/passwd": "passwd.pdf",
    "C:\\Windows\\System32\\evasion.pdf": "evasion.pdf",
    "..\\..\\evasion.pdf": "evasion.pdf",
    "evasion\x00.pdf": "evasion_00.pdf",  # httpx sends the NUL as %00; raw NUL below
    "..": "document.pdf",
    ".htaccess": "htaccess.pdf",
    'a"; filename="b.exe': "a_filename_b.pdf",
    "facture.html": "facture.pdf",  # stored and served as what it is: a PDF
    "é" * 300 + ".pdf": "e" * 96 + ".pdf",
}


@pytest.mark.parametrize("nom", list(NOMS), ids=[repr(n[:30]) for n in NOMS])
@pytest.mark.parametrize("chemin", list(MULTIPART))
def test_hostile_file_names_are_sanitised_and_nothing_escapes(scenes, chemin, nom):
    """The sandbox keeps files in its database under a sanitised base name (no directory,
    ASCII letters, digits, dot, dash, underscore, .pdf, 100 characters at most): the request is
    accepted, the name is harmless, and it comes back as such in Content-Disposition.

    A convention, a document, a certificate can be sent again: those requests follow one
    another on one scene. An invoice bills its instalment once: each starts from the scene."""
    from opco_server.models import Fichier

    scene = scenes.prendre() if chemin == "/v1/factures" else scenes.cumulable()
    avant = instantane(scene)
    response = scene.multipart(chemin, nom=nom)
    assert response.status_code == 200, response.text
    with scene.sandbox.session() as session:
        fichier = session.scalar(select(Fichier).order_by(Fichier.id.desc()).limit(1))
    assert fichier.nom == NOMS[nom]
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", fichier.nom)
    telecharge = scene.client.get(f"/_sandbox/opcos/akto/fichiers/{fichier.numero}")
    assert telecharge.headers["content-disposition"] == f'attachment; filename="{fichier.nom}"'
    assert telecharge.content == PDF
    apres = instantane(scene)
    assert apres["fichiers"] == avant["fichiers"] + 1
    assert not Path("/tmp/evasion.pdf").exists()  # where ../../../../tmp/ would lead


@pytest.mark.parametrize(
    ("disposition", "attendu"),
    [
        (b"filename*=UTF-8''..%2F..%2Fevasion.pdf", "evasion.pdf"),  # RFC 5987 form
        (b'filename="evasion\x00.pdf"', "evasion.pdf"),  # a real NUL byte
        # Flask cannot read a form whose part headers are not UTF-8: refused up front.
        (b'filename="..\xff/\xfeevasion.pdf"', {"REQUEST_INVALID"}),
        # The line break ends the header: what is left is no file at all.
        (b'filename="evasion.pdf\r\nX-Injection: 1"', {"FILE_EMPTY"}),
    ],
)
def test_raw_file_name_encodings(scene, disposition, attendu):
    from opco_server.models import Fichier

    charge = json.dumps(scene.charge("/v1/documents")).encode()
    contenu = (
        b'--B\r\nContent-Disposition: form-data; name="infosFichier"\r\n'
        b"Content-Type: application/json\r\n\r\n" + charge + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="fichier"; ' + disposition + b"\r\n"
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--B--\r\n"
    )
    avant = instantane(scene)
    response = scene.json("/v1/documents", contenu, "multipart/form-data; boundary=B")
    if isinstance(attendu, set):
        refus(response, 400, attendu)
        assert instantane(scene) == avant
        return
    assert response.status_code == 200, response.text
    with scene.sandbox.session() as session:
        fichier = session.scalar(select(Fichier).order_by(Fichier.id.desc()).limit(1))
    assert fichier.nom == attendu


# ------------------------------------------------------------- the OPCOs' error dialects


@pytest.mark.parametrize(
    ("opco", "forme"),
    [("akto", {"errors"}), ("atlas", {"errors", "description"}), ("opcoep", {"comment"})],
)
def test_hostile_input_errors_follow_the_opcos_dialect(make_cfa, sandbox, opco, forme):
    """413 and 415 come from before the norm's handlers: they still speak each OPCO's way."""
    cfa = make_cfa(opco)
    headers = {**cfa.headers(), "Content-Type": "application/json"}
    url = f"/{opco}/v1/dossiers"
    trop = b"{" + b" " * sandbox.settings.corps_max_octets + b"}"
    for response, status in [
        (cfa.client.post(url, content=trop, headers=headers), 413),
        (cfa.client.post(url, content=b"{}", headers={**headers, "Content-Type": "text/xml"}), 415),
        (cfa.client.post(url, content=b'{"cerfa": "\xff"}', headers=headers), 400),
    ]:
        assert response.status_code == status, response.text
        assert set(response.json()) == forme, response.text
