"""The shared state held in each worker (issue 13): a change made through one worker is seen by
the next request of another; a request reads one row of shared state, nothing else; tokens
are signed and need no row.

"Worker B" is a second app on the same database, as a second uvicorn process would be.
"""

from __future__ import annotations

import warnings

import jwt
import pytest
from sqlalchemy import event

from opco_server.horloge import Horloge
from tests.conftest import NOW, NormClient


@pytest.fixture
def worker_b(app, base_settings):
    from opco_server import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        autre = create_app(base_settings.with_(seed_demo=False), Horloge(figee_a=NOW))
    with autre.test_client() as client_b:
        yield client_b
    autre.app.extensions["opco.sandbox"].fermer()


@pytest.fixture
def cfa_b(worker_b, identities) -> NormClient:
    return NormClient(worker_b, identities)


def _codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_clock_and_profile_changed_through_one_worker_reach_the_next_request_of_another(
    client, worker_b
):
    assert worker_b.get("/_sandbox/horloge").status_code == 200  # B holds the state now
    avance = client.post("/_sandbox/horloge/avancer", json={"jours": 3})
    assert avance.status_code == 200, avance.text
    maintenant = avance.json()["horloge"]["maintenant"]
    assert worker_b.get("/_sandbox/horloge").json()["maintenant"] == maintenant
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    assert worker_b.get("/_sandbox/profil").json() == {"profil": "norme-stricte"}


def test_faults_set_through_one_worker_apply_on_another(client, cfa_b):
    assert cfa_b.get("/v1/status").status_code == 200
    reglage = client.put(
        "/_sandbox/opcos/akto/pannes",
        json={"maintenanceDebut": "2026-11-01T00:00:00Z", "maintenanceFin": "2026-12-31T00:00:00Z"},
    )
    assert reglage.status_code == 200, reglage.text
    response = cfa_b.get("/v1/status")
    assert response.status_code == 503
    assert _codes(response) == ["SERVICE_MAINTENANCE"]


def test_keys_and_editors_changed_through_one_worker_apply_on_another(client, cfa_b, identities):
    assert cfa_b.get("/v1/status").status_code == 200
    siren = cfa_b.cfa["siren"]
    ancienne = cfa_b.cfa["cles"]["akto"]
    nouvelle = client.post("/_sandbox/opcos/akto/cles", json={"siren": siren}).json()["cle"]
    assert _codes(cfa_b.get("/v1/status")) == ["AUTH_KEY_INVALID"]  # the old key is replaced
    cfa_b.cfa["cles"]["akto"] = nouvelle
    assert cfa_b.get("/v1/status").status_code == 200
    headers = cfa_b.headers()
    client_id = identities["editeur"]["client_id"]
    assert client.delete(f"/_sandbox/editeurs/{client_id}").status_code == 200
    response = cfa_b.client.get("/akto/v1/status", headers=headers)
    assert response.status_code == 401
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]
    cfa_b.cfa["cles"]["akto"] = ancienne


def test_a_token_is_signed_needs_no_row_and_is_valid_on_every_worker(cfa, cfa_b, sandbox):
    token = cfa.token()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "akto" and claims["sub"] == cfa.identities["editeur"]["client_id"]
    assert cfa_b.client.get("/akto/v1/status", headers=cfa.headers()).status_code == 200
    # Another OPCO's token, or a token signed with another key, is unknown here.
    assert _codes(
        cfa_b.client.get(
            "/akto/v1/status", headers=cfa.headers(Authorization=("Bearer " + cfa.token("atlas")))
        )
    ) == ["AUTH_TOKEN_INVALID"]
    forge = jwt.encode(
        {**claims, "exp": claims["exp"] + 3600},
        "une-autre-cle-de-signature-de-32-octets",
        algorithm="HS256",
    )
    response = cfa_b.client.get(
        "/akto/v1/status", headers=cfa.headers(Authorization=f"Bearer {forge}")
    )
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]
    with _ecritures(sandbox) as ecritures:
        assert cfa.token()
    assert ecritures == []


def test_a_reset_voids_the_tokens_issued_before(client, cfa):
    headers = cfa.headers()
    assert client.get("/akto/v1/status", headers=headers).status_code == 200
    assert client.post("/_sandbox/reinitialiser").status_code == 200
    response = client.get("/akto/v1/status", headers=headers)
    assert _codes(response) == ["AUTH_TOKEN_INVALID"]


def test_a_norm_request_reads_one_row_of_shared_state(cfa, contrat, sandbox, monkeypatch):
    from opco_server.services import partage

    numero = cfa.post("/v1/dossiers", json=contrat).json()["numeroInterne"]
    headers = cfa.headers()
    lectures = []
    lire = partage.lire_version
    monkeypatch.setattr(partage, "lire_version", lambda e: lectures.append(e) or lire(e))
    with _requetes(sandbox) as requetes:
        assert cfa.get("/v1/status", headers=headers).status_code == 200
    # The version row, on the raw DBAPI connection; nothing else: no token, key, clock, fault.
    assert (len(lectures), requetes) == (1, [])
    with _requetes(sandbox) as requetes:
        assert cfa.get(f"/v2/dossiers?numeroInterne={numero}", headers=headers).status_code == 200
    assert len(lectures) == 2 and requetes[0] == "dossiers"
    assert not {"horloge", "parametres", "pannes", "cles_cfa", "editeurs", "etat_partage"} & set(
        requetes
    )


def test_the_back_office_runs_on_the_worker_that_sees_its_instant_first(
    client, cfa, cfa_b, contrat
):
    numero = cfa.post("/v1/dossiers", json=contrat).json()["numeroInterne"]
    assert cfa_b.get(f"/v2/dossiers?numeroInterne={numero}").json()["cerfa"]["etat"] == "TRANSMIS"
    assert client.post("/_sandbox/horloge/avancer", json={"jours": 5}).status_code == 200
    dossier = cfa_b.get(f"/v2/dossiers?numeroInterne={numero}").json()
    assert dossier["cerfa"]["etat"] != "TRANSMIS"


# --- helpers ----------------------------------------------------------------------------------


class _Capture:
    def __init__(self, sandbox, garder) -> None:  # type: ignore[no-untyped-def]
        self.engine, self.garder, self.vues = sandbox.engine, garder, []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._vu)
        return self.vues

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._vu)

    def _vu(self, _conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        instruction = " ".join(statement.split())
        if "journal" in instruction:
            return
        vue = self.garder(instruction)
        if vue is not None:
            self.vues.append(vue)


def _requetes(sandbox) -> _Capture:  # type: ignore[no-untyped-def]
    """The tables the request's SELECTs read first (FROM …), in order."""

    def table(instruction: str) -> str | None:
        if not instruction.upper().startswith("SELECT"):
            return None
        return instruction.split(" FROM ", 1)[1].split()[0].strip('"')

    return _Capture(sandbox, table)


def _ecritures(sandbox) -> _Capture:  # type: ignore[no-untyped-def]
    def ecriture(instruction: str) -> str | None:
        return (
            instruction
            if instruction.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
            else None
        )

    return _Capture(sandbox, ecriture)


def test_a_reset_brings_every_worker_back_to_the_default_profile(client, worker_b):
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    assert worker_b.get("/_sandbox/profil").json() == {"profil": "norme-stricte"}
    assert client.post("/_sandbox/reinitialiser").status_code == 200
    assert worker_b.get("/_sandbox/profil").json() == {"profil": "dialectes"}
    assert client.get("/_sandbox/profil").json() == {"profil": "dialectes"}
