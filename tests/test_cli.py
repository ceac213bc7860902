"""The `opco-server` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from opco_server.cli import main


@pytest.fixture
def db(tmp_path) -> list[str]:
    return ["--database", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]


def test_identities_json_has_the_documented_shape(db, capsys):
    assert main([*db, "identities", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["editeur"]) == {"client_id", "client_secret"}
    assert len(data["cfas"]) >= 2
    for cfa in data["cfas"]:
        assert {"siren", "siret", "uai", "cles"} <= set(cfa)
        assert cfa["siret"].startswith(cfa["siren"])
        assert len(cfa["cles"]) == 11
    assert any(len(c["etablissements"]) == 2 for c in data["cfas"])


def test_demo_identifiers_are_check_digit_valid(db, capsys):
    from stdnum import iban
    from stdnum.fr import siren, siret

    main([*db, "identities", "--json"])
    data = json.loads(capsys.readouterr().out)
    for cfa in data["cfas"]:
        assert siren.is_valid(cfa["siren"])
        for etab in cfa["etablissements"]:
            assert siret.is_valid(etab["siret"])
            assert etab["uai"][-1] == "ABCDEFGHJKLMNPRSTUVWXYZ"[int(etab["uai"][:7]) % 23]
    import yaml

    from tests.conftest import ROOT

    demo = yaml.safe_load((ROOT / "fixtures" / "demo.yaml").read_text("utf-8"))
    assert all(iban.is_valid(c["iban"]) for c in demo["cfas"])
    assert all(siret.is_valid(e["siret"]) for e in demo["employeurs"])


def test_identities_human_output_lists_every_key(db, capsys):
    assert main([*db, "identities"]) == 0
    out = capsys.readouterr().out
    assert "demo-editeur" in out
    assert out.count("X-API-KEY") == 22


def test_keys_create_prints_a_working_key_once(db, capsys, tmp_path):
    assert (
        main([*db, "keys", "create", "--opco", "atlas", "--siren", "912345675", "--days", "30"])
        == 0
    )
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed["opco"] == "atlas"
    assert len(printed["cle"]) == 40
    assert "ne sera plus affichée" in captured.err

    from opco_server.config import Settings
    from opco_server.horloge import Horloge
    from opco_server.sandbox import Sandbox
    from opco_server.services import identites

    sandbox = Sandbox(Settings(database_url=db[1], migrate=False, seed_demo=False), Horloge())
    commun = sandbox.etat.synchroniser()  # what a worker holds: the key the CLI stored is in it
    assert identites.verifier_cle(commun, sandbox.horloge, "atlas", printed["cle"]) == "912345675"
    sandbox.fermer()


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "--opco", "nope", "--siren", "912345675"],
        ["keys", "create", "--opco", "akto", "--siren", "12"],
    ],
)
def test_keys_create_refuses_bad_input(db, args, capsys):
    assert main([*db, *args]) == 2
    assert capsys.readouterr().err


def test_editors_create_prints_credentials_that_get_a_token(db, capsys, tmp_path):
    assert main([*db, "editors", "create", "--name", "Mon éditeur"]) == 0
    creds = json.loads(capsys.readouterr().out)

    from opco_server import create_app
    from opco_server.config import Settings

    app = create_app(Settings(database_url=db[1]))
    with app.test_client() as client:
        response = client.post(
            "/opcoep/connect/token", data={"grant_type": "client_credentials", **creds}
        )
    app.app.extensions["opco.sandbox"].fermer()
    assert response.status_code == 200


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "opco_server", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "run" in result.stdout and "identities" in result.stdout


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "sandbox.example.org"])
def test_run_refuses_to_listen_openly_without_an_admin_token(host, monkeypatch, capsys):
    import uvicorn

    monkeypatch.delenv("OPCO_ADMIN_TOKEN", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("must not start"))
    assert main(["run", "--host", host]) == 2
    err = capsys.readouterr().err
    assert "Refus de démarrer" in err and "OPCO_ADMIN_TOKEN" in err and "--ouvert" in err


@pytest.mark.parametrize(
    ("host", "args", "env"),
    [
        ("127.0.0.1", [], {}),
        ("localhost", [], {}),
        ("0.0.0.0", ["--ouvert"], {}),
        ("0.0.0.0", [], {"OPCO_ADMIN_TOKEN": "un-jeton-long-et-secret"}),
    ],
)
def test_run_listens_on_loopback_with_a_token_or_when_told_to(
    host, args, env, monkeypatch, tmp_path
):
    import uvicorn

    import opco_server.app

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if not env:
        monkeypatch.delenv("OPCO_ADMIN_TOKEN", raising=False)
    appels = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: appels.append(options))
    monkeypatch.setattr(opco_server.app, "create_app", lambda settings: object())
    database = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    assert main(["--database", database, "run", "--host", host, *args]) == 0
    assert appels and appels[0]["host"] == host
    assert appels[0]["proxy_headers"] is False  # X-Forwarded-* only from named proxies
