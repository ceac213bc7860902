"""The OPCO's back office, played on the sandbox clock: instruction, convention, decision,
implicit refusal, rupture, forced transitions, magic values (issue: lifecycle)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from opco_server.services.fichiers import pdf_exemple

PDF = pdf_exemple()  # a real one-page PDF: uploads are parsed


def _codes(response) -> set[str]:
    return {e["code"] for e in response.json()["errors"]}


def convention_de(contrat: dict, numero: str, **overrides) -> dict:
    cerfa = contrat["cerfa"]
    convention = {
        "numeroInterneDossier": numero,
        "employeur": {"siret": cerfa["employeur"]["siret"]},
        "apprenti": {"nom": cerfa["apprenti"]["nom"], "prenom": cerfa["apprenti"]["prenom"]},
        "contrat": {
            "dateDebutContrat": cerfa["contrat"]["dateDebutContrat"],
            "dateFinContrat": cerfa["contrat"]["dateFinContrat"],
        },
        "organismeFormation": {
            "siret": cerfa["organismeFormation"]["siret"],
            "uaiCfa": cerfa["organismeFormation"]["uaiCfa"],
        },
        "formation": {
            "rncp": cerfa["formation"]["rncp"],
            "intituleQualification": cerfa["formation"]["intituleQualification"],
            "dateDebutFormation": cerfa["formation"]["dateDebutFormation"],
            "dateFinFormation": cerfa["formation"]["dateFinFormation"],
            "dureeFormation": cerfa["formation"]["dureeFormation"],
        },
        "couts": {
            "coutTotalPedagogieCFA": 15800,
            "nombreRepasTotaux": 100,
            "nombreHebergementTotaux": 20,
            "montantPremierEquipement": 300,
        },
        "mandatEmployeur": True,
        "dateSignature": "2026-08-25",
        "attestationConventionSigneeEntreprise": True,
        "attestationConventionSigneeCFA": True,
        "attestationConventionSignatureProbante": True,
        "attestationConventionConformeJSON": True,
    }
    convention.update(overrides)
    return convention


def deposer(cfa, convention: dict, data: bytes = PDF, nom: str = "convention.pdf"):
    return cfa.post(
        "/v1/conventions",
        files={
            "convention": (None, json.dumps(convention), "application/json"),
            "fichier": (nom, data, "application/pdf"),
        },
    )


def avancer(client, **duree) -> dict:
    response = client.post("/_sandbox/horloge/avancer", json=duree)
    assert response.status_code == 200, response.text
    return response.json()


def pilotage(client, numero: str, opco: str = "akto") -> dict:
    response = client.get(f"/_sandbox/opcos/{opco}/dossiers/{numero}")
    assert response.status_code == 200, response.text
    return response.json()


def detail(cfa, numero: str) -> dict:
    response = cfa.get("/v2/dossiers", params={"numeroInterne": numero})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def transmis(cfa, contrat) -> str:
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    return response.json()["numeroInterne"]


@pytest.fixture
def engage(cfa, client, contrat, transmis) -> str:
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    avancer(client, jours=4)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "ENGAGE"
    return transmis


def test_full_cycle_to_engagement(cfa, client, contrat, transmis):
    assert detail(cfa, transmis)["cerfa"]["etat"] == "TRANSMIS"
    moved = avancer(client, heures=24)
    assert [(t["etatAvant"], t["etatApres"]) for t in moved["transitions"]] == [
        ("TRANSMIS", "EN_COURS_INSTRUCTION")
    ]
    dossier = detail(cfa, transmis)
    assert dossier["cerfa"]["etat"] == "EN_COURS_INSTRUCTION"
    assert "convention" in dossier["cerfa"]["commentaireEtat"]

    response = deposer(cfa, convention_de(contrat, transmis))
    assert response.status_code == 200, response.text
    assert response.json()["numeroInterneDocument"].startswith("D")
    avancer(client, heures=71)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "EN_COURS_INSTRUCTION"
    moved = avancer(client, heures=1)
    assert [t["etatApres"] for t in moved["transitions"]] == ["ENGAGE"]

    dossier = detail(cfa, transmis)
    assert dossier["cerfa"]["etat"] == "ENGAGE"
    deca = dossier["cerfa"]["numeroDeca"]
    assert len(deca) == 15 and deca.startswith("013")  # employer in Marseille (13002)
    echeances = dossier["echeances"]
    assert echeances and [e["numero"] for e in echeances] == list(range(1, len(echeances) + 1))
    total = sum(Decimal(str(e["montantTotal"])) for e in echeances)
    assert total == Decimal(str(dossier["engagement"]))
    assert all(e["iban"] == "FR7630004000010001234567830" for e in echeances)
    assert dossier["detailsFacturation"]["plafondFraisPremierEquipement"] == 500
    frais = {f["natureFrais"]: f["montantTotal"] for f in dossier["engagementsFraisAnnexe"]}
    assert frais == {"HEBERGEMENT": 120.0, "RESTAURATION": 300.0, "PREMIER_EQUIPEMENT": 300.0}
    etats = cfa.get("/v1/dossiers/etats").json()
    assert etats[0]["numeroDeca"] == deca and etats[0]["etat"] == "ENGAGE"

    historique = pilotage(client, transmis)["historique"]
    assert [(h["etatApres"], h["acteur"]) for h in historique] == [
        ("TRANSMIS", "client"),
        ("EN_COURS_INSTRUCTION", "simulateur"),
        ("ENGAGE", "simulateur"),
    ]


def test_convention_sent_before_instruction_is_used(cfa, client, contrat, transmis):
    assert deposer(cfa, convention_de(contrat, transmis)).status_code == 200
    avancer(client, jours=1)
    assert "décision" in detail(cfa, transmis)["cerfa"]["commentaireEtat"]
    avancer(client, jours=3)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "ENGAGE"


def test_silence_means_refusal_twenty_days_after_receipt(cfa, client, transmis):
    avancer(client, jours=19, heures=23)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "EN_COURS_INSTRUCTION"
    moved = avancer(client, heures=1)
    assert [t["etatApres"] for t in moved["transitions"]] == ["REFUSE"]
    cerfa = detail(cfa, transmis)["cerfa"]
    assert cerfa["etat"] == "REFUSE"
    assert "ELIG_DECISION_TIMEOUT" in cerfa["commentaireEtat"]


def test_clock_advance_runs_everything_due_in_order(cfa, client, contrat, transmis):
    deposer(cfa, convention_de(contrat, transmis))
    moved = avancer(client, jours=30)
    assert [t["etatApres"] for t in moved["transitions"]] == ["EN_COURS_INSTRUCTION", "ENGAGE"]
    assert moved["transitions"][0]["horodatage"] < moved["transitions"][1]["horodatage"]


def test_instruction_refusal_carries_codes_and_reasons(cfa, client, contrat):
    contrat["cerfa"]["apprenti"]["dateNaissance"] = "1994-01-10"
    contrat["cerfa"]["apprenti"]["nir"] = "294017505612318"
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    deposer(cfa, convention_de(contrat, numero))
    avancer(client, jours=5)
    cerfa = detail(cfa, numero)["cerfa"]
    assert cerfa["etat"] == "REFUSE"
    assert "[AGE_OVER_29_NO_EXCEPTION]" in cerfa["commentaireEtat"]
    assert cerfa["numeroDeca"] is None


def test_refused_contract_can_be_sent_again(cfa, client, contrat, transmis):
    avancer(client, jours=21)
    assert detail(cfa, transmis)["cerfa"]["etat"] == "REFUSE"
    assert cfa.transmettre(contrat).status_code == 200


@pytest.mark.parametrize(
    ("changes", "code", "status"),
    [
        ({"mandatEmployeur": False}, "CONV_MANDATE_MISSING", 400),
        ({"employeur": {"siret": "80123456800013"}}, "CONV_MISMATCH", 400),
        ({"numeroInterneDossier": "0000999"}, "DOSSIER_NOT_FOUND", 404),
    ],
)
def test_convention_refusals(cfa, contrat, transmis, changes, code, status):
    response = deposer(cfa, convention_de(contrat, transmis, **changes))
    assert response.status_code == status
    assert code in _codes(response)


def test_convention_without_mandate_key_is_refused(cfa, contrat, transmis):
    convention = convention_de(contrat, transmis)
    del convention["mandatEmployeur"]
    response = deposer(cfa, convention)
    assert response.status_code == 400
    assert _codes(response) == {"CONV_MANDATE_MISSING"}


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"PK\x03\x04 not a pdf", "FILE_NOT_PDF", 400),
        (b"", "FILE_EMPTY", 400),
        (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF", "FILE_TOO_LARGE", 413),
    ],
)
def test_convention_file_checks(cfa, contrat, transmis, data, code, status):
    response = deposer(cfa, convention_de(contrat, transmis), data, "convention.pdf")
    assert response.status_code == status
    assert _codes(response) == {code}


def test_stored_file_is_sanitised_and_hashed(cfa, contrat, transmis, sandbox):
    import hashlib

    from sqlalchemy import select

    from opco_server.models import Fichier

    deposer(cfa, convention_de(contrat, transmis), PDF, "../../etc/Convention signée.pdf")
    with sandbox.session() as session:
        fichier = session.scalar(select(Fichier))
    assert fichier.nom == "Convention_signee.pdf"
    assert fichier.sha256 == hashlib.sha256(PDF).hexdigest()
    assert fichier.contenu == PDF


def test_malformed_convention_json_is_a_norm_400(cfa, transmis):
    response = cfa.post(
        "/v1/conventions",
        files={
            "convention": (None, "{oops", "application/json"),
            "fichier": ("c.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 400
    assert _codes(response) == {"JSON_INVALID"}


def test_rupture_prorates_the_schedule(cfa, client, engage):
    avant = detail(cfa, engage)
    response = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"},
    )
    assert response.status_code == 200, response.text
    apres = detail(cfa, engage)
    assert apres["cerfa"]["etat"] == "RUPTURE"
    assert apres["cerfa"]["contrat"]["dateRupture"] == "2027-01-15"
    assert Decimal(str(apres["engagement"])) < Decimal(str(avant["engagement"]))
    total = sum(Decimal(str(e["montantTotal"])) for e in apres["echeances"])
    assert total == Decimal(str(apres["engagement"]))
    assert all(e["dateDebut"] <= "2027-01-15" for e in apres["echeances"])
    historique = pilotage(client, engage)["historique"]
    assert historique[-2]["etatApres"] == "RUPTURE"
    assert "recalculé" in historique[-1]["cause"]


def test_rupture_through_the_cerfa_date_rupture(cfa, contrat, engage):
    contrat["cerfa"]["contrat"]["dateRupture"] = "2027-02-28"
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text
    assert response.json()["numeroInterne"] == engage
    assert detail(cfa, engage)["cerfa"]["etat"] == "RUPTURE"


@pytest.mark.parametrize(
    ("date_rupture", "codes"),
    [("2026-08-01", {"RUP_DATE_OUT_OF_RANGE"}), ("2028-09-01", {"RUP_DATE_OUT_OF_RANGE"})],
)
def test_rupture_date_must_be_within_the_contract(cfa, engage, date_rupture, codes):
    response = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": date_rupture},
    )
    assert response.status_code == 400
    assert _codes(response) == codes


def test_only_an_engaged_dossier_can_be_broken(cfa, transmis):
    response = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": transmis, "dateRupture": "2026-12-01"},
    )
    assert response.status_code == 400
    assert _codes(response) == {"RUP_STATE_INVALID"}


def test_rupture_of_another_cfa_dossier_is_404(make_cfa, engage):
    other = make_cfa("akto", 1)
    response = other.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": "2026-12-01"},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("nom", "etat", "code"),
    [
        ("SANDBOX-REFUS-AGE", "REFUSE", "AGE_OVER_29_NO_EXCEPTION"),
        ("SANDBOX-REFUS-RNCP", "REFUSE", "ELIG_RNCP_INACTIVE"),
        ("SANDBOX-DOUBLON", "ANNULE", "DOSSIER_DUPLICATE"),
        ("SANDBOX-ATTENTE", "EN_COURS_INSTRUCTION", None),
        ("SANDBOX-ENGAGE", "ENGAGE", None),
    ],
)
def test_magic_names_force_an_outcome(cfa, client, contrat, nom, etat, code):
    contrat["cerfa"]["apprenti"]["nom"] = nom
    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    if nom != "SANDBOX-ENGAGE":
        deposer(cfa, convention_de(contrat, numero))
    avancer(client, jours=60)
    cerfa = detail(cfa, numero)["cerfa"]
    assert cerfa["etat"] == etat
    if code:
        assert f"[{code}]" in cerfa["commentaireEtat"]


def test_control_api_runs_the_instruction_now(cfa, client, contrat, transmis):
    deposer(cfa, convention_de(contrat, transmis))
    response = client.post(f"/_sandbox/opcos/akto/dossiers/{transmis}/instruction")
    assert response.status_code == 200, response.text
    assert response.json()["etat"] == "ENGAGE"
    assert response.json()["historique"][-1]["acteur"] == "pilotage"
    again = client.post(f"/_sandbox/opcos/akto/dossiers/{transmis}/instruction")
    assert again.status_code == 409


def test_control_api_forces_legal_transitions_only(cfa, client, transmis):
    url = f"/_sandbox/opcos/akto/dossiers/{transmis}/transitions"
    illegal = client.post(url, json={"etat": "SOLDE"})
    assert illegal.status_code == 409
    assert _codes(illegal) == {"STA_TRANSITION_ILLEGAL"}
    assert client.post(url, json={"etat": "EN_COURS_INSTRUCTION"}).status_code == 200
    refused = client.post(url, json={"etat": "REFUSE", "motif": "Pièces manquantes"})
    assert refused.status_code == 200
    assert refused.json()["etat"] == "REFUSE"
    assert (
        detail(cfa, transmis)["cerfa"]["commentaireEtat"] == "Dossier refusé : Pièces manquantes."
    )
    assert client.post(url, json={"etat": "ENGAGE"}).status_code == 409  # terminal


def test_control_api_forced_engagement_then_rupture_then_solde(cfa, client, transmis):
    url = f"/_sandbox/opcos/akto/dossiers/{transmis}/transitions"
    client.post(url, json={"etat": "EN_COURS_INSTRUCTION"})
    engaged = client.post(url, json={"etat": "ENGAGE", "motif": "Accord manuel"})
    assert engaged.status_code == 200 and engaged.json()["numeroDeca"]
    broken = client.post(url, json={"etat": "RUPTURE", "dateRupture": "2027-03-31"})
    assert broken.json()["etat"] == "RUPTURE"
    assert client.post(url, json={"etat": "SOLDE"}).json()["etat"] == "SOLDE"


def test_unknown_dossier_in_control_api_is_404(client):
    assert client.get("/_sandbox/opcos/akto/dossiers/nope").status_code == 404


def test_clock_control(client):
    base = client.get("/_sandbox/horloge").json()
    assert base["fige"] is True and base["maintenant"].startswith("2026-11-23T09:00")
    assert (
        client.put("/_sandbox/horloge", json={"instant": "2027-01-01T08:00:00+00:00"})
        .json()["maintenant"]
        .startswith("2027-01-01T08:00")
    )
    freed = client.post("/_sandbox/horloge/liberer").json()
    assert freed["fige"] is False
    assert freed["maintenant"] >= "2027-01-01T08:00"
    frozen = client.post("/_sandbox/horloge/figer", json={"instant": "2026-05-01T00:00:00Z"})
    assert frozen.json() | {"heureReelle": None} == {
        "maintenant": "2026-05-01T00:00:00+00:00",
        "fige": True,
        "decalageSecondes": 0,
        "heureReelle": None,
    }
    real = client.post("/_sandbox/horloge/reinitialiser").json()
    assert real["fige"] is False and real["decalageSecondes"] == 0
    bad = client.put("/_sandbox/horloge", json={"instant": "demain"})
    assert bad.status_code == 400


def test_clock_is_shared_through_the_database(client, sandbox):
    """Another worker (another process) adopts the clock the control API set."""
    from opco_server.horloge import Horloge
    from opco_server.services import horloge

    client.put("/_sandbox/horloge", json={"instant": "2030-02-03T04:05:06+00:00"})
    other = Horloge()
    with sandbox.session() as session:
        horloge.synchroniser(session, other)
    assert other.maintenant().isoformat() == "2030-02-03T04:05:06+00:00"


def test_transmission_controls_read_the_sandbox_clock(cfa, client, contrat):
    body = copy.deepcopy(contrat)
    body["cerfa"]["apprenti"]["dateNaissance"] = "2027-06-01"
    assert "AGE_BIRTHDATE_FUTURE" in _codes(cfa.transmettre(body))
    client.put("/_sandbox/horloge", json={"instant": "2027-07-01T00:00:00+00:00"})
    response = cfa.post(
        "/v1/dossiers", json=body, headers=cfa.headers(Authorization=f"Bearer {cfa.token()}")
    )
    assert "AGE_BIRTHDATE_FUTURE" not in _codes(response) if response.status_code == 400 else True


def test_demo_schedule_matches_the_hand_computed_example(cfa, engage):
    """NPEC 7 900 € (RNCP38369 × HCR, applicable 2024-07-15), contract concluded 2026-08-20:
    regime 2025, two whole years, level 5 (no employer participation): per year
    40 % / 30 % / 20 % / 10 % = 3 160 / 2 370 / 1 580 / 790, total 15 800 €."""
    dossier = detail(cfa, engage)
    assert dossier["engagement"] == 15800.0
    assert [
        (e["codification"], e["montantTotal"], e["dateOuverture"]) for e in dossier["echeances"]
    ] == [
        ("E1", 3160.0, "2026-09-01"),
        ("E2", 2370.0, "2027-03-01"),
        ("E3", 1580.0, "2027-06-01"),
        ("E4", 790.0, "2027-09-01"),
        ("E5", 3160.0, "2027-09-01"),
        ("E6", 2370.0, "2028-03-01"),
        ("E7", 1580.0, "2028-06-01"),
        ("E8", 790.0, "2028-08-31"),
    ]
    assert all(
        e["montantRegle"] == 0 and e["montantEnCoursInstruction"] == 0 for e in dossier["echeances"]
    )


def test_rupture_matches_the_hand_computed_prorata(cfa, engage):
    """Rupture on 2027-01-15: 137 days executed → 7 900 × 137 / 365 = 2 965.21 €, all on the
    advance E1; the instalments of later periods are cancelled."""
    cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={"numeroInterne": engage, "dateRupture": "2027-01-15", "motif": "FAUTE_GRAVE"},
    )
    dossier = detail(cfa, engage)
    assert dossier["engagement"] == 2965.21
    assert [(e["codification"], e["montantTotal"]) for e in dossier["echeances"]] == [
        ("E1", 2965.21)
    ]
