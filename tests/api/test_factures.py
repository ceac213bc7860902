"""Invoices, payments, documents and certificats (norm.md E8-E11): a full cycle to SOLDE,
every rejection reason of the OPCO FAQ with its own code, a rupture settled by an avoir."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.api.test_cycle_de_vie import PDF, avancer, convention_de, deposer, detail

IBAN = "FR7630004000010001234567830"
SIRET = "91234567500017"


def _codes(response) -> set[str]:
    return {e["code"] for e in response.json()["errors"]}


def regler_horloge(client, instant: str) -> None:
    response = client.put("/_sandbox/horloge", json={"instant": instant})
    assert response.status_code == 200, response.text


def facture_pour(dossier: dict, numero: str, echeances: list[int], **overrides) -> dict:
    par_numero = {e["numero"]: e for e in dossier["echeances"]}
    lignes = [
        {
            "montant": par_numero[n]["montantTotal"]
            - par_numero[n]["montantRegle"]
            - par_numero[n]["montantEnCoursInstruction"],
            "natureLigne": "PEDAGOGIE",
            "quantite": 1,
            "numeroEcheance": n,
            "codificationEcheance": par_numero[n]["codification"],
            "numeroDeca": dossier["cerfa"]["numeroDeca"],
            "numeroDossier": dossier["cerfa"]["numeroExterne"],
        }
        for n in echeances
    ]
    facture = {
        "numero": numero,
        "dateEmission": "2026-11-25",
        "ibanEmetteur": IBAN,
        "siretEmetteur": SIRET,
        "estCertificatRealisation": False,
        "lignes": lignes,
        "montantTotal": round(sum(Decimal(str(lg["montant"])) for lg in lignes), 2),
    }
    facture["montantTotal"] = float(facture["montantTotal"])
    facture.update(overrides)
    return facture


def envoyer(cfa, facture: dict, data: bytes = PDF):
    return cfa.post(
        "/v1/factures",
        files={
            "facture": (None, json.dumps(facture), "application/json"),
            "fichier": (f"{facture['numero']}.pdf", data, "application/pdf"),
        },
    )


def etats_factures(cfa) -> dict[str, dict]:
    body = cfa.get("/v2/factures/etats", params={"numeroPage": 1}).json()
    return {f["referenceFactureCFA"]: f for f in body["factures"]}


@pytest.fixture
def engage(cfa, client, contrat) -> str:
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    assert deposer(cfa, convention_de(contrat, numero)).status_code == 200
    avancer(client, jours=4)
    assert detail(cfa, numero)["cerfa"]["etat"] == "ENGAGE"
    return numero


def nouvelle_cle(cfa, sandbox) -> None:
    """Keys live a year: a long cycle renews the CFA's key, as a CFA would on the portal."""
    from opco_server.services import identites

    with sandbox.session() as session:
        _, cle = identites.generer_cle(
            session, sandbox.horloge, sandbox.opcos["akto"], cfa.cfa["siren"]
        )
        session.commit()
    cfa.cfa["cles"]["akto"] = cle


def test_invoice_is_received_then_paid(cfa, client, engage):
    response = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-2026-001", [1]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numeroInterneFacture"].startswith("F") and body["numeroInterneDocument"]
    e1 = detail(cfa, engage)["echeances"][0]
    assert (e1["montantEnCoursInstruction"], e1["montantRegle"]) == (3160.0, 0.0)
    etat = etats_factures(cfa)["FAC-2026-001"]
    assert etat["etatFacture"] == "EN_COURS_INSTRUCTION"
    assert etat["dossiers"] == [
        {
            "numeroInterneDossier": engage,
            "montant": 3160.0,
            "numeroExterneDossier": detail(cfa, engage)["cerfa"]["numeroExterne"],
        }
    ]

    avancer(client, jours=10)
    e1 = detail(cfa, engage)["echeances"][0]
    assert (e1["montantEnCoursInstruction"], e1["montantRegle"]) == (0.0, 3160.0)
    etat = etats_factures(cfa)["FAC-2026-001"]
    assert etat["etatFacture"] == "REGLE"
    assert etat["referenceVirement"].startswith("VIR-AKTO-")
    assert etat["dateReglement"] == "2026-12-07"


@pytest.fixture
def norme_stricte(client):
    """Certificats are served by AFDAS only (dialects): these tests use the strict norm."""
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    yield
    client.put("/_sandbox/profil", json={"profil": "dialectes"})


def test_full_cycle_to_solde(cfa, client, sandbox, norme_stricte, engage):
    plan = [
        (None, [1]),
        ("2027-03-01T09:00:00+00:00", [2]),
        ("2027-06-01T09:00:00+00:00", [3]),
        ("2027-09-01T09:00:00+00:00", [4, 5]),
        ("2028-03-01T09:00:00+00:00", [6]),
        ("2028-06-01T09:00:00+00:00", [7]),
        ("2028-09-01T09:00:00+00:00", [8]),
    ]
    for i, (instant, echeances) in enumerate(plan):
        if instant:
            regler_horloge(client, instant)
            nouvelle_cle(cfa, sandbox)
        if 8 in echeances:  # the 10 % balance needs the final certificat de réalisation
            certificat = {
                "typeCertificat": "Final",
                "numeroInterneDossier": engage,
                "employeur": {"siret": "80567891900012"},
                "apprenti": {"nom": "MARTIN", "prenom": "Léa"},
                "organismeFormation": {"siret": SIRET},
                "echeance": {"numero": 8, "codification": "E8"},
            }
            response = cfa.post(
                "/v2/certificats",
                files={
                    "certificat": (None, json.dumps(certificat), "application/json"),
                    "fichier": ("certificat.pdf", PDF, "application/pdf"),
                },
            )
            assert response.status_code == 200, response.text
        response = envoyer(cfa, facture_pour(detail(cfa, engage), f"FAC-{i}", echeances))
        assert response.status_code == 200, (echeances, response.text)
        avancer(client, jours=10)
    dossier = detail(cfa, engage)
    assert dossier["cerfa"]["etat"] == "SOLDE"
    assert sum(Decimal(str(e["montantRegle"])) for e in dossier["echeances"]) == Decimal("15800")
    assert {f["etatFacture"] for f in etats_factures(cfa).values()} == {"REGLE"}


def _une_raison(cfa, engage, **changes):
    facture = facture_pour(detail(cfa, engage), "FAC-X", [1])
    for key, value in changes.items():
        if key.startswith("ligne_"):
            facture["lignes"][0][key.removeprefix("ligne_")] = value
        else:
            facture[key] = value
    return envoyer(cfa, facture)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ibanEmetteur": "FR7630003012340005001234509"}, "INV_IBAN_MISMATCH"),
        ({"ibanEmetteur": ""}, "INV_IBAN_MISSING"),
        ({"ligne_montant": 3000.0, "montantTotal": 3000.0}, "INV_ECHEANCE_AMOUNT_MISMATCH"),
        ({"siretEmetteur": "80123456800013"}, "INV_SIRET_UNKNOWN"),
        ({"siretEmetteur": "91234567500025"}, "INV_SIRET_MISMATCH"),
        ({"ligne_numeroDossier": None}, "INV_DOSSIER_NUMBER_MISSING"),
        ({"ligne_numeroEcheance": 42}, "INV_ECHEANCE_UNKNOWN"),
        ({"montantTotal": 3160.01}, "INV_TOTAL_MISMATCH"),
    ],
)
def test_each_faq_rejection_has_its_code(cfa, engage, changes, code):
    response = _une_raison(cfa, engage, **changes)
    assert response.status_code == 400, response.text
    assert code in _codes(response)


def _siret_de_personne(identities: dict) -> str:
    """A valid-Luhn SIRET that no demo CFA has (nor any of its SIREN)."""
    from stdnum import luhn

    pris = {c["siren"] for c in identities["cfas"]}
    for n in range(1000):
        debut = f"{(734_512_000_00001 + 7919 * n) % 10**13:013d}"
        siret = debut + luhn.calc_check_digit(debut)
        if siret[:9] not in pris:
            return siret
    raise AssertionError("aucun SIRET libre")


def test_another_cfas_siret_is_answered_as_an_unknown_siret(cfa, engage, identities):
    """No oracle (issue 11 §6b): naming the SIRET of another registered CFA gets exactly the
    answer a SIRET nobody has gets, so an invoice cannot probe who is registered."""
    autre = identities["cfas"][1]["etablissements"][0]["siret"]
    inconnu = _siret_de_personne(identities)
    assert autre[:9] != identities["cfas"][0]["siren"]
    dossier = detail(cfa, engage)
    reponses = {
        siret: envoyer(cfa, facture_pour(dossier, f"FAC-ORACLE-{i}", [1], siretEmetteur=siret))
        for i, siret in enumerate((autre, inconnu))
    }

    def forme(response) -> tuple:
        erreurs = response.json()["errors"]
        return response.status_code, sorted(
            (e["code"], e.get("champ"), e["description"].replace(siret_de(response), "<siret>"))
            for e in erreurs
        )

    def siret_de(response) -> str:
        return next(s for s, r in reponses.items() if r is response)

    assert forme(reponses[autre]) == forme(reponses[inconnu])
    assert reponses[autre].status_code == 400
    assert "INV_SIRET_UNKNOWN" in _codes(reponses[autre])


def test_invoice_already_known(cfa, engage):
    assert _une_raison(cfa, engage).status_code == 200
    response = _une_raison(cfa, engage)
    assert response.status_code == 400
    assert "INV_DUPLICATE" in _codes(response)


def test_echeance_not_open_for_invoicing(cfa, engage):
    response = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-E2", [2]))
    assert response.status_code == 400
    assert "INV_ECHEANCE_NOT_OPEN" in _codes(response)


def test_frais_annexes_above_ceiling_or_engagement(cfa, engage):
    dossier = detail(cfa, engage)
    base = {
        "numeroDossier": dossier["cerfa"]["numeroExterne"],
        "numeroDeca": dossier["cerfa"]["numeroDeca"],
    }
    trop = {"natureLigne": "RESTAURATION", "quantite": 150, "montant": 450.0, **base}
    facture = {
        "numero": "FAC-FRAIS",
        "dateEmission": "2026-11-25",
        "ibanEmetteur": IBAN,
        "siretEmetteur": SIRET,
        "montantTotal": 450.0,
        "lignes": [trop],
    }
    response = envoyer(cfa, facture)
    assert response.status_code == 400
    assert "INV_FRAIS_ANNEXES_EXCEEDED" in _codes(response)  # 100 meals engaged (300 €)
    juste = {"natureLigne": "RESTAURATION", "quantite": 50, "montant": 160.0, **base}
    response = envoyer(cfa, {**facture, "montantTotal": 160.0, "lignes": [juste]})
    assert "INV_AMOUNT_MISMATCH" in _codes(response)  # 50 meals are 150 €
    ok = {**juste, "montant": 150.0}
    assert envoyer(cfa, {**facture, "montantTotal": 150.0, "lignes": [ok]}).status_code == 200


def test_all_problems_are_listed_at_once(cfa, engage):
    response = _une_raison(
        cfa, engage, ibanEmetteur="", siretEmetteur="80123456800013", montantTotal=1.0
    )
    assert {"INV_IBAN_MISSING", "INV_SIRET_UNKNOWN", "INV_TOTAL_MISMATCH"} <= _codes(response)


def test_not_engaged_dossier_cannot_be_invoiced(cfa, contrat):
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    dossier = detail(cfa, numero)
    facture = {
        "numero": "FAC-NE",
        "dateEmission": "2026-11-25",
        "ibanEmetteur": IBAN,
        "siretEmetteur": SIRET,
        "montantTotal": 100.0,
        "lignes": [
            {
                "natureLigne": "PEDAGOGIE",
                "montant": 100.0,
                "numeroEcheance": 1,
                "numeroDossier": dossier["cerfa"]["numeroExterne"],
            }
        ],
    }
    response = envoyer(cfa, facture)
    assert response.status_code == 400
    assert "INV_DOSSIER_NOT_ENGAGED" in _codes(response)


def test_unknown_or_foreign_dossier_number(cfa, make_cfa, engage):
    response = _une_raison(cfa, engage, ligne_numeroDossier="2611AK999999")
    assert "INV_DOSSIER_UNKNOWN" in _codes(response)


def test_invoice_file_must_be_a_pdf(cfa, engage):
    response = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-PDF", [1]), b"not a pdf")
    assert response.status_code == 400
    assert _codes(response) == {"FILE_NOT_PDF"}


def test_control_api_pays_or_rejects_now(cfa, client, engage):
    first = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-R", [1])).json()
    url = f"/_sandbox/opcos/akto/factures/{first['numeroInterneFacture']}"
    rejected = client.post(f"{url}/rejet", json={"motif": "Pièce illisible"})
    assert rejected.status_code == 200 and rejected.json()["etatFacture"] == "REJETEE"
    assert detail(cfa, engage)["echeances"][0]["montantEnCoursInstruction"] == 0.0
    assert etats_factures(cfa)["FAC-R"]["commentaire"] == "Pièce illisible"
    assert client.post(f"{url}/reglement").status_code == 409
    # a rejected invoice may be sent again once corrected (FAQ)
    again = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-R", [1])).json()
    paid = client.post(f"/_sandbox/opcos/akto/factures/{again['numeroInterneFacture']}/reglement")
    assert paid.json()["etatFacture"] == "REGLE"
    assert detail(cfa, engage)["echeances"][0]["montantRegle"] == 3160.0


def test_magic_invoice_number_is_rejected_at_payment(cfa, client, engage):
    envoyer(cfa, facture_pour(detail(cfa, engage), "SANDBOX-REJET-1", [1]))
    avancer(client, jours=10)
    assert etats_factures(cfa)["SANDBOX-REJET-1"]["etatFacture"] == "REJETEE"


def test_rupture_then_remaining_invoices_and_avoir_match_the_hand_computation(
    cfa, client, sandbox, engage
):
    """E1 (3 160 €) paid; rupture on 2027-01-15 → entitlement 7 900 × 137 / 365 = 2 965.21 €:
    194.79 € overpaid, shown on E1, then given back by an avoir; the dossier is SOLDE."""
    envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-1", [1]))
    avancer(client, jours=10)
    cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"},
    )
    dossier = detail(cfa, engage)
    assert dossier["engagement"] == 2965.21
    assert [(e["numero"], e["montantTotal"], e["montantRegle"]) for e in dossier["echeances"]] == [
        (1, 2965.21, 3160.0)
    ]
    assert "INV_OVERPAID_CREDIT_NOTE_REQUIRED" in dossier["cerfa"]["commentaireEtat"]
    assert (
        "Trop-perçu de 194,79\u00a0€" in dossier["cerfa"]["commentaireEtat"]
    )  # as the OPCO writes it

    avoir = {
        "numero": "AV-1",
        "typeFacture": "AVOIR",
        "dateEmission": "2027-01-20",
        "ibanEmetteur": IBAN,
        "siretEmetteur": SIRET,
        "montantTotal": 200.0,
        "lignes": [
            {
                "natureLigne": "PEDAGOGIE",
                "montant": 200.0,
                "numeroEcheance": 1,
                "numeroDossier": dossier["cerfa"]["numeroExterne"],
            }
        ],
    }
    too_much = envoyer(cfa, avoir)
    assert too_much.status_code == 400
    assert "INV_CREDIT_NOTE_EXCEEDS" in _codes(too_much)
    avoir["montantTotal"] = avoir["lignes"][0]["montant"] = 194.79
    assert envoyer(cfa, avoir).status_code == 200, "avoir refused"
    avancer(client, jours=10)
    dossier = detail(cfa, engage)
    assert [(e["montantTotal"], e["montantRegle"]) for e in dossier["echeances"]] == [
        (2965.21, 2965.21)
    ]
    assert dossier["cerfa"]["etat"] == "SOLDE"


def test_documents_attach_to_dossiers_and_invoices(cfa, client, engage):
    facture = envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-D", [1])).json()
    infos = {
        "typeFichier": "ATTESTATION",
        "objets": [
            {"typeObjet": "DOSSIER_APPRENTISSAGE", "idObjet": engage},
            {"typeObjet": "FACTURE", "idObjet": facture["numeroInterneFacture"]},
        ],
    }
    response = cfa.post(
        "/v1/documents",
        files={
            "infosFichier": (None, json.dumps(infos), "application/json"),
            "fichier": ("attestation.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 200, response.text
    numero = response.json()["numeroInterneDocument"]
    stored = client.get(f"/_sandbox/opcos/akto/fichiers/{numero}")
    assert stored.status_code == 200 and stored.content == PDF
    import hashlib

    assert stored.headers["x-sha256"] == hashlib.sha256(PDF).hexdigest()


def test_document_for_an_unknown_object_is_404(cfa, engage):
    infos = {
        "typeFichier": "ATTESTATION",
        "objets": [{"typeObjet": "FACTURE", "idObjet": "F999999999"}],
    }
    response = cfa.post(
        "/v1/documents",
        files={
            "infosFichier": (None, json.dumps(infos), "application/json"),
            "fichier": ("a.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 404
    assert _codes(response) == {"DOCUMENT_OBJECT_NOT_FOUND"}


def test_certificat_for_a_dossier_not_engaged_is_refused(cfa, norme_stricte, contrat):
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    certificat = {
        "typeCertificat": "Intermediaire",
        "numeroInterneDossier": numero,
        "employeur": {"siret": "80567891900012"},
        "apprenti": {"nom": "MARTIN", "prenom": "Léa"},
        "organismeFormation": {"siret": SIRET},
        "echeance": {"numero": 1},
    }
    response = cfa.post(
        "/v2/certificats",
        files={
            "certificat": (None, json.dumps(certificat), "application/json"),
            "fichier": ("c.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "CERT_DOSSIER_NOT_ENGAGED" in _codes(response)


def test_invoice_states_are_paginated(cfa, engage):
    envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-P", [1]))
    first = cfa.get("/v2/factures/etats").json()
    assert (first["total"], first["count"], first["page"]) == (1, 1, 1)
    assert cfa.get("/v2/factures/etats", params={"numeroPage": 2}).json()["factures"] == []
