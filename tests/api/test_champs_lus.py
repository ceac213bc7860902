"""Fields production clients read and the norm's examples never showed (issue 12 §3): the
échéances' emitter SIRET and RQTH/pedagogy breakdown, the mobility ceiling, the contract number
once the DECA number is known, and `Description` in /v1/documents errors at SOR OPCOs."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.api.test_cycle_de_vie import PDF, avancer, convention_de, deposer, detail


def _engager(cfa, client, contrat, **couts) -> dict:
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    convention = convention_de(contrat, numero)
    convention["couts"].update(couts)
    assert deposer(cfa, convention).status_code == 200
    avancer(client, jours=4)
    dossier = detail(cfa, numero)
    assert dossier["cerfa"]["etat"] == "ENGAGE", dossier["cerfa"]["commentaireEtat"]
    return dossier


def _euros(valeur: float) -> Decimal:
    return Decimal(str(valeur))


def test_echeances_name_the_cfa_and_split_pedagogy_from_rqth(cfa, client, contrat):
    dossier = _engager(cfa, client, contrat)
    siret = contrat["cerfa"]["organismeFormation"]["siret"]
    assert dossier["echeances"]
    for e in dossier["echeances"]:
        assert e["siretCfa"] == siret
        assert e["dontMajorationRqth"] == 0
        assert _euros(e["dontMontantPedagogie"]) + _euros(e["dontMajorationRqth"]) == _euros(
            e["montantTotal"]
        )


def test_rqth_majoration_is_spread_over_the_echeances(cfa, client, contrat):
    rqth = copy.deepcopy(contrat)
    rqth["cerfa"]["apprenti"]["handicap"] = True
    dossier = _engager(cfa, client, rqth, montantRQTHAnnee1=2000, montantRQTHAnnee2=1500.55)
    echeances = dossier["echeances"]
    majorations = [_euros(e["dontMajorationRqth"]) for e in echeances]
    assert sum(majorations) == Decimal("3500.55")
    assert all(m > 0 for m in majorations)  # every instalment carries its share
    for e in echeances:
        assert _euros(e["dontMontantPedagogie"]) + _euros(e["dontMajorationRqth"]) == _euros(
            e["montantTotal"]
        )
    # Same percentages as the NPEC: the first advance carries 40 % of year 1's majoration.
    assert majorations[0] == Decimal("800.00")
    assert sum(_euros(e["montantTotal"]) for e in echeances) == _euros(dossier["engagement"])


def test_rqth_majoration_follows_a_rupture(cfa, client, contrat):
    rqth = copy.deepcopy(contrat)
    rqth["cerfa"]["apprenti"]["handicap"] = True
    dossier = _engager(cfa, client, rqth, montantRQTHAnnee1=2000, montantRQTHAnnee2=1500)
    numero = dossier["cerfa"]["numeroInterne"]
    response = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": numero, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"},
    )
    assert response.status_code == 200, response.text
    echeances = detail(cfa, numero)["echeances"]
    # 137 days of year 1 executed: its majoration shrinks in proportion, year 2's is gone.
    attendu = (Decimal(2000) * 137 / 365).quantize(Decimal("0.01"))
    assert sum(_euros(e["dontMajorationRqth"]) for e in echeances) == attendu
    for e in echeances:
        assert 0 <= e["dontMajorationRqth"] <= e["montantTotal"]
        assert _euros(e["dontMontantPedagogie"]) + _euros(e["dontMajorationRqth"]) == _euros(
            e["montantTotal"]
        )


def test_details_facturation_carries_the_mobility_ceiling(cfa, client, contrat):
    details = _engager(cfa, client, contrat)["detailsFacturation"]
    assert details["plafondFraisPremierEquipement"] == 500
    assert "plafondFraisMobilite" in details and details["plafondFraisMobilite"] is None


def test_no_contrat_is_the_deca_number_once_engaged(cfa, client, contrat, sandbox):
    from opco_server.models import Dossier

    envoye = copy.deepcopy(contrat)
    envoye["cerfa"]["contrat"]["noContrat"] = 0  # "not known yet", as clients send it
    reponse = cfa.transmettre(envoye)
    # Tolerated (dialectes): 0 means absent, and the deviation is reported.
    assert (
        "NORM_ZERO_FOR_ABSENT=cerfa.contrat.noContrat" in reponse.headers["x-sandbox-ecarts-norme"]
    )
    numero = reponse.json()["numeroInterne"]
    assert detail(cfa, numero)["cerfa"]["contrat"].get("noContrat") in (None, "")
    assert deposer(cfa, convention_de(envoye, numero)).status_code == 200
    avancer(client, jours=4)
    cerfa = detail(cfa, numero)["cerfa"]
    assert cerfa["numeroDeca"] and cerfa["contrat"]["noContrat"] == cerfa["numeroDeca"]
    listes = cfa.get("/v1/dossiers/liste", params={"numerosInternes": numero})
    if listes.status_code == 200:
        assert listes.json()[0]["cerfa"]["contrat"]["noContrat"] == cerfa["numeroDeca"]
    with sandbox.session() as session:  # the stored Cerfa is not rewritten on the way out
        stored = session.scalar(select(Dossier.cerfa).where(Dossier.numero_interne == numero))
    assert "noContrat" not in stored["contrat"]


def _document_inconnu(client):
    infos = {
        "typeFichier": "ATTESTATION",
        "objets": [{"typeObjet": "FACTURE", "idObjet": "F999999999"}],
    }
    response = client.post(
        "/v1/documents",
        files={
            "infosFichier": (None, json.dumps(infos), "application/json"),
            "fichier": ("a.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 404, response.text
    return response.json()["errors"]


@pytest.mark.parametrize("opco", ["akto", "atlas", "mobilites"])
def test_documents_errors_say_description_capitalised_at_sor_opcos(make_cfa, opco):
    (erreur,) = _document_inconnu(make_cfa(opco))
    assert erreur["code"] == "DOCUMENT_OBJECT_NOT_FOUND"
    assert erreur["Description"] and "description" not in erreur


@pytest.mark.parametrize("opco", ["afdas", "constructys"])
def test_documents_errors_keep_the_norm_casing_elsewhere(make_cfa, opco):
    (erreur,) = _document_inconnu(make_cfa(opco))
    assert erreur["description"] and "Description" not in erreur


def test_other_operations_keep_the_norm_casing_at_sor_opcos(cfa):
    response = cfa.get("/v2/dossiers", params={"numeroInterne": "0000000"})
    assert response.status_code == 404
    assert all("description" in e and "Description" not in e for e in response.json()["errors"])


@pytest.fixture
def norme_stricte(client):
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    yield
    client.put("/_sandbox/profil", json={"profil": "dialectes"})


@pytest.mark.parametrize("opco", ["akto", "atlas", "afdas"])
def test_strict_profile_keeps_description(make_cfa, norme_stricte, opco):
    (erreur,) = _document_inconnu(make_cfa(opco))
    assert erreur["description"] and "Description" not in erreur
