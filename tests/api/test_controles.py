"""Transmission controls on POST /dossiers and instruction checks (the service the lifecycle
calls): all violations at once, warnings that do not block, per-OPCO severities."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import select

from opco_server.models import Dossier
from opco_server.services import controles
from tests.api.test_cycle_de_vie import convention_de, deposer


def _codes(response) -> set[str]:
    return {e["code"] for e in response.json()["errors"]}


def _instruire(sandbox, numero: str, opco: str = "akto"):
    with sandbox.session() as session:
        dossier = session.scalar(
            select(Dossier).where(Dossier.opco_id == opco, Dossier.numero_interne == numero)
        )
        return controles.evaluer_instruction(session, sandbox, dossier)


def test_demo_contract_passes_both_moments(cfa, contrat, sandbox):
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    resultat = _instruire(sandbox, response.json()["numeroInterne"])
    assert not resultat.refuse, resultat.commentaire()


def test_a_contract_breaking_several_rules_gets_all_of_them_in_one_400(cfa, contrat):
    assert cfa.transmettre(copy.deepcopy(contrat)).status_code == 200
    cerfa = contrat["cerfa"]
    cerfa["apprenti"]["nom"] = "MARTIN"  # still the same apprentice: a duplicate as well
    cerfa["contrat"]["dateConclusion"] = "2026-09-15"  # signed after the start
    cerfa["maitre2"] = {"nom": "SEUL", "prenom": "", "dateNaissance": "1980-01-01"}
    cerfa["contrat"]["dureeTravailHebdoHeures"] = 41
    cerfa["contrat"]["remunerationsAnnuelles"].pop()
    response = cfa.transmettre(contrat)
    assert response.status_code == 400
    assert {
        "DOSSIER_DUPLICATE",
        "DATE_SIGNATURE_AFTER_START",
        "MA_INCOMPLETE",
        "WORK_HOURS_MAX",
    } <= _codes(response)
    assert "REM_PERIODS_COVERAGE" not in _codes(response)  # a warning: never in a 400
    assert all(e["champ"].startswith("cerfa") for e in response.json()["errors"])
    assert all(e["description"] for e in response.json()["errors"])


def _contrat_390_jours(contrat: dict, taux: int) -> dict:
    """The demo contract cut to 390 days, paid on one line covering it all (seen in production)."""
    cerfa = contrat["cerfa"]["contrat"]
    cerfa["dateFinContrat"] = "2027-09-25"
    cerfa["remunerationsAnnuelles"] = [
        {
            "ordre": "1.1",
            "dateDebut": "2026-09-01",
            "dateFin": "2027-09-25",
            "taux": taux,
            "typeSalaire": "SMIC",
        }
    ]
    return contrat


def test_one_pay_line_over_a_390_day_contract_is_accepted_with_a_warning(cfa, contrat):
    response = cfa.transmettre(_contrat_390_jours(contrat, 61))
    assert response.status_code == 200, response.text
    cerfa = cfa.get(
        "/v1/dossiers", params={"numeroInterne": response.json()["numeroInterne"]}
    ).json()["cerfa"]
    assert cerfa["etat"] == "TRANSMIS"
    assert "Avertissements : " in cerfa["commentaireEtat"]
    assert "[REM_PERIODS_COVERAGE]" in cerfa["commentaireEtat"]


def test_one_pay_line_below_the_year_2_minimum_is_refused_at_instruction(cfa, client, contrat):
    # 43 % is the 18-20 minimum of year 1 only: year 2 (from 2027-09-01) requires 51 %.
    response = cfa.transmettre(_contrat_390_jours(contrat, 43))
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterne"]
    assert deposer(cfa, convention_de(contrat, numero)).status_code == 200
    instruit = client.post(f"/_sandbox/opcos/akto/dossiers/{numero}/instruction")
    assert instruit.status_code == 200, instruit.text
    assert instruit.json()["etat"] == "REFUSE"
    cerfa = cfa.get("/v1/dossiers", params={"numeroInterne": numero}).json()["cerfa"]
    assert cerfa["etat"] == "REFUSE"
    assert "[REM_BELOW_MINIMUM]" in cerfa["commentaireEtat"]
    assert "année 2" in cerfa["commentaireEtat"]


@pytest.mark.parametrize(
    ("idcc", "libelle"),
    [
        ("1979", "Hôtels, cafés, restaurants (HCR)"),  # in the referential sample
        ("1234", "Convention collective IDCC 1234"),  # outside it: a generic label
        ("9999", "Sans convention collective"),
    ],
)
def test_an_empty_idcc_label_is_derived_from_the_code(cfa, contrat, idcc, libelle):
    contrat["cerfa"]["employeur"]["codeIdcc"] = idcc
    contrat["cerfa"]["employeur"]["libelleIdcc"] = ""
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    cerfa = cfa.get(
        "/v1/dossiers", params={"numeroInterne": response.json()["numeroInterne"]}
    ).json()["cerfa"]
    assert cerfa["employeur"]["libelleIdcc"] == libelle


def test_a_missing_idcc_label_is_derived_too(cfa, contrat):
    del contrat["cerfa"]["employeur"]["libelleIdcc"]
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    cerfa = cfa.get(
        "/v1/dossiers", params={"numeroInterne": response.json()["numeroInterne"]}
    ).json()["cerfa"]
    assert cerfa["employeur"]["libelleIdcc"] == "Hôtels, cafés, restaurants (HCR)"


def test_birth_date_in_the_future_is_judged_on_the_sandbox_clock(cfa, contrat, horloge):
    from datetime import timedelta

    contrat["cerfa"]["apprenti"]["dateNaissance"] = "2026-12-01"
    assert "AGE_BIRTHDATE_FUTURE" in _codes(cfa.transmettre(contrat))
    horloge.avancer(timedelta(days=30))
    headers = cfa.headers(Authorization=f"Bearer {cfa.token()}")
    response = cfa.post("/v1/dossiers", json=contrat, headers=headers)
    assert "AGE_BIRTHDATE_FUTURE" not in _codes(response)


def test_warnings_do_not_block_and_are_reported(cfa, contrat):
    contrat["cerfa"]["contrat"]["dureeTravailHebdoHeures"] = 37
    contrat["cerfa"]["contrat"]["salaireEmbauche"] = 829.25  # 43 % of the SMIC for 37 h
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    cerfa = cfa.get(
        "/v1/dossiers", params={"numeroInterne": response.json()["numeroInterne"]}
    ).json()["cerfa"]
    assert cerfa["etat"] == "TRANSMIS"
    assert "WORK_HOURS_MAX" in cerfa["commentaireEtat"]


def test_instruction_refuses_an_apprentice_over_29_with_reasons(cfa, contrat, sandbox):
    contrat["cerfa"]["apprenti"]["dateNaissance"] = "1994-01-10"
    contrat["cerfa"]["apprenti"]["nir"] = "294017505612318"
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    resultat = _instruire(sandbox, response.json()["numeroInterne"])
    assert resultat.refuse
    assert "AGE_OVER_29_NO_EXCEPTION" in {v.code for v in resultat.bloquants}
    assert "[AGE_OVER_29_NO_EXCEPTION]" in resultat.commentaire()
    assert resultat.commentaire().startswith("Refus : ")


def _contrat_avec_maitre(contrat: dict, i: int) -> dict:
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["nom"] = f"APPRENTI{i}"
    return body


@pytest.mark.parametrize(("opco", "severite"), [("akto", "avertissement"), ("opcoep", "bloquant")])
def test_maitre_capacity_severity_depends_on_the_opco(make_cfa, contrat, sandbox, opco, severite):
    cfa = make_cfa(opco)
    numeros = [
        cfa.transmettre(_contrat_avec_maitre(contrat, i)).json()["numeroInterne"] for i in range(3)
    ]
    resultat = _instruire(sandbox, numeros[-1], opco)
    found = {v.code: v.severite.value for v in resultat.violations}
    assert found.get("MA_CAPACITY_EXCEEDED") == severite
    assert resultat.refuse is (severite == "bloquant")


def test_controls_are_stored_with_the_dossier(cfa, contrat, sandbox):
    contrat["cerfa"]["contrat"]["dureeTravailHebdoHeures"] = 37
    contrat["cerfa"]["contrat"]["salaireEmbauche"] = 829.25
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    with sandbox.session() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.numero_interne == numero))
        stored = dossier.controles
    assert [c["code"] for c in stored] == ["WORK_HOURS_MAX"]
    assert json.dumps(stored)


def test_avenant_33_with_a_lower_rate_is_refused_at_instruction(cfa, client, contrat, sandbox):
    from tests.api.test_cycle_de_vie import avancer, convention_de, deposer, detail

    numero = cfa.transmettre(copy.deepcopy(contrat)).json()["numeroInterne"]
    deposer(cfa, convention_de(contrat, numero))
    avancer(client, jours=4)
    deca = detail(cfa, numero)["cerfa"]["numeroDeca"]
    avenant = copy.deepcopy(contrat)
    avenant["cerfa"]["contrat"].update(
        {"typeContratApp": 33, "numeroContratPrecedent": deca, "dateEffetAvenant": "2027-09-01"}
    )
    avenant["cerfa"]["contrat"]["remunerationsAnnuelles"][0]["taux"] = 50  # last was 61 %
    response = cfa.transmettre(avenant)
    assert response.status_code == 200, response.text
    resultat = _instruire(sandbox, response.json()["numeroInterne"])
    assert "REM_AVENANT_33_DECREASE" in {v.code for v in resultat.bloquants}


def test_same_nir_on_another_apprentice_is_a_warning(cfa, contrat):
    premier = copy.deepcopy(contrat)
    assert cfa.transmettre(premier).status_code == 200
    cerfa = contrat["cerfa"]
    cerfa["apprenti"].update(nom="BERNARD", prenom="Chloé", courriel="chloe.bernard@example.org")
    cerfa["employeur"]["siret"] = "80567891900020"  # another contract, not a duplicate
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterne"]
    commentaire = cfa.get("/v2/dossiers", params={"numeroInterne": numero}).json()["cerfa"][
        "commentaireEtat"
    ]
    assert "ID_NIR_IDENTITY_MISMATCH" in commentaire
    assert "nom, prénom différents" in commentaire
    assert "206057505612329" not in commentaire  # the NIR itself is never echoed


def test_same_nir_same_apprentice_is_no_warning(cfa, contrat):
    assert cfa.transmettre(copy.deepcopy(contrat)).status_code == 200
    contrat["cerfa"]["employeur"]["siret"] = "80567891900020"  # same person, second employer
    contrat["cerfa"]["apprenti"]["nom"] = "Martin"  # case and accents do not count
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    detail = cfa.get("/v2/dossiers", params={"numeroInterne": response.json()["numeroInterne"]})
    assert "ID_NIR_IDENTITY_MISMATCH" not in (detail.json()["cerfa"]["commentaireEtat"] or "")
