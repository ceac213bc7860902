"""Credit notes that a naive client sums correctly (issue 12 §4): an avoir reads as one in
GET /v2/factures/etats, in the control API's invoice view and in the console — its type, a
negative amount on the invoice and on its dossier lines, no bank transfer of its own."""

from __future__ import annotations

from decimal import Decimal

from tests.api.test_console import messages, post
from tests.api.test_cycle_de_vie import avancer, detail
from tests.api.test_factures import IBAN, SIRET, engage, envoyer, facture_pour  # noqa: F401

NET = Decimal("2965.21")


def rupture_puis_avoir(cfa, client, engage: str) -> str:
    """E1 (3 160 €) paid, rupture on 2027-01-15 (due 2 965.21 €), an avoir of 194.79 € sent
    (not yet imputé); its numeroInterneFacture."""
    assert envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-1", [1])).status_code == 200
    avancer(client, jours=10)
    rupture = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"},
    )
    assert rupture.status_code == 200, rupture.text
    externe = detail(cfa, engage)["cerfa"]["numeroExterne"]
    avoir = {
        "numero": "AV-1",
        "typeFacture": "AVOIR",
        "dateEmission": "2027-01-20",
        "ibanEmetteur": IBAN,
        "siretEmetteur": SIRET,
        "montantTotal": 194.79,
        "lignes": [
            {
                "natureLigne": "PEDAGOGIE",
                "montant": 194.79,
                "numeroEcheance": 1,
                "numeroDossier": externe,
            }
        ],
    }
    response = envoyer(cfa, avoir)
    assert response.status_code == 200, response.text
    return response.json()["numeroInterneFacture"]


def factures_du_dossier(cfa, engage: str) -> dict[str, dict]:
    body = cfa.get("/v2/factures/etats", params={"numeroPage": 1}).json()
    return {
        f["referenceFactureCFA"]: f
        for f in body["factures"]
        if any(d["numeroInterneDossier"] == engage for d in f["dossiers"])
    }


def test_summing_the_invoice_states_of_a_dossier_gives_the_net(cfa, client, engage):
    rupture_puis_avoir(cfa, client, engage)
    avancer(client, jours=10)
    factures = factures_du_dossier(cfa, engage)
    assert set(factures) == {"FAC-1", "AV-1"}
    assert sum(Decimal(str(f["montantFacture"])) for f in factures.values()) == NET
    par_dossier = [d["montant"] for f in factures.values() for d in f["dossiers"]]
    assert sum(Decimal(str(m)) for m in par_dossier) == NET

    avoir = factures["AV-1"]
    assert avoir["typeFacture"] == "AVOIR"
    assert avoir["montantFacture"] == -194.79
    assert [d["montant"] for d in avoir["dossiers"]] == [-194.79]
    assert avoir["etatFacture"] == "REGLE"  # imputé on the overpayment
    assert avoir["referenceVirement"] is None and avoir["dateReglement"] is None

    # the échéance arithmetic is unchanged: the overpayment is taken back, the dossier SOLDE
    dossier = detail(cfa, engage)
    assert [(e["montantTotal"], e["montantRegle"]) for e in dossier["echeances"]] == [
        (2965.21, 2965.21)
    ]
    assert dossier["cerfa"]["etat"] == "SOLDE"


def test_an_ordinary_invoice_is_unchanged(cfa, client, engage):
    rupture_puis_avoir(cfa, client, engage)
    avancer(client, jours=10)
    facture = factures_du_dossier(cfa, engage)["FAC-1"]
    assert facture["typeFacture"] == "FACTURE"
    assert facture["montantFacture"] == 3160.0
    assert [d["montant"] for d in facture["dossiers"]] == [3160.0]
    assert facture["etatFacture"] == "REGLE"
    assert facture["referenceVirement"].startswith("VIR-AKTO-")
    assert facture["dateReglement"] == "2026-12-07"


def test_the_control_api_shows_the_avoir_negative_and_without_transfer(cfa, client, engage):
    numero = rupture_puis_avoir(cfa, client, engage)
    url = f"/_sandbox/opcos/akto/factures/{numero}"
    vue = client.get(url).json()
    assert (vue["typeFacture"], vue["etatFacture"]) == ("AVOIR", "EN_COURS_INSTRUCTION")
    assert vue["montantFacture"] == -194.79

    paid = client.post(f"{url}/reglement")
    assert paid.status_code == 200, paid.text
    vue = paid.json()
    assert (vue["etatFacture"], vue["montantFacture"]) == ("REGLE", -194.79)
    assert vue["referenceVirement"] is None and vue["dateReglement"] is None
    assert client.get(url).json() == vue
    assert detail(cfa, engage)["cerfa"]["etat"] == "SOLDE"


def test_the_console_lists_the_avoir_negative_and_imputed(cfa, client, engage):
    numero = rupture_puis_avoir(cfa, client, engage)
    page = post(client, f"/console/opco/akto/factures/{numero}/reglement", dossier=engage)
    assert messages(page)[0] == ("succes", "Avoir AV-1 imputé sur le trop-perçu (sans virement).")
    page = client.get(f"/console/opco/akto/dossiers/{engage}")
    # French amounts: a narrow no-break space between thousands, a no-break space before €
    assert "-194,79\u00a0€" in page.text and "3\u202f160,00\u00a0€" in page.text
    assert "imputé sur le trop-perçu le" in page.text
