"""`opco-server exemple`: bodies valid at the sandbox's date, POSTed as printed."""

from __future__ import annotations

import json

from opco_server.cli import main
from tests.api.test_cycle_de_vie import avancer, deposer, detail


def exemple(capsys, sandbox, *args: str) -> dict:
    capsys.readouterr()
    assert main(["--database", sandbox.settings.database_url, "exemple", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_example_contract_convention_and_invoice_are_accepted(cfa, client, sandbox, capsys):
    aujourdhui = sandbox.horloge.aujourdhui().isoformat()
    contrat = exemple(capsys, sandbox, "contrat", "--date", aujourdhui)
    assert contrat["cerfa"]["contrat"]["dateDebutContrat"] >= aujourdhui
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterne"]
    assert "ELIG_DEPOSIT_LATE" not in (detail(cfa, numero)["cerfa"]["commentaireEtat"] or "")
    second = exemple(capsys, sandbox, "contrat")  # the clock's date, another apprentice
    assert second["cerfa"]["apprenti"]["nir"] != contrat["cerfa"]["apprenti"]["nir"]
    assert cfa.transmettre(second).status_code == 200

    convention = exemple(capsys, sandbox, "convention", "--dossier", numero)
    depose = deposer(cfa, convention)
    assert depose.status_code == 200, depose.text
    instruit = client.post(f"/_sandbox/opcos/akto/dossiers/{numero}/instruction")
    assert instruit.json()["etat"] == "ENGAGE", instruit.text
    assert "ELIG_DEPOSIT_LATE" not in (instruit.json()["commentaireEtat"] or "")

    avancer(client, jours=10)  # past the contract's start: its first échéance is open
    facture = exemple(capsys, sandbox, "facture", "--dossier", numero)
    response = cfa.post(
        "/v1/factures",
        files={
            "facture": (None, json.dumps(facture), "application/json"),
            "fichier": ("facture.pdf", _pdf(), "application/pdf"),
        },
    )
    assert response.status_code == 200, response.text


def test_example_refuses_what_it_cannot_build(sandbox, capsys):
    base = ["--database", sandbox.settings.database_url, "exemple"]
    assert main([*base, "facture"]) == 2
    assert "--dossier" in capsys.readouterr().err
    assert main([*base, "facture", "--dossier", "9999999"]) == 2
    assert "Aucun dossier" in capsys.readouterr().err
    assert main([*base, "contrat", "--date", "demain"]) == 2
    assert main([*base, "contrat", "--opco", "inconnu"]) == 2


def _pdf() -> bytes:
    from opco_server.services.fichiers import pdf_exemple

    return pdf_exemple()
