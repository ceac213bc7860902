"""What the OPCOs tolerate is tolerated under `dialectes`, coerced and reported (issue 12 §1)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opco_server.http import tolerance

CODES_EMPLOYEUR = ("typeEmployeur", "employeurSpecifique", "nombreDeSalaries")
CODES_APPRENTI = (
    "nationalite",
    "regimeSocial",
    "situationAvantContrat",
    "diplome",
    "derniereClasse",
    "diplomePrepare",
)
CODES_CONTRAT = (
    "modeContractuel",
    "typeContratApp",
    "dureeTravailHebdoHeures",
    "dureeTravailHebdoMinutes",
    "salaireEmbauche",
)


def _production(contrat: dict) -> tuple[dict, dict[str, set[str]]]:
    """The demo contract as production CFA software sends it, and the deviations expected."""
    body = copy.deepcopy(contrat)
    cerfa = body["cerfa"]
    attendus: dict[str, set[str]] = {k: set() for k in tolerance.LIBELLES}
    for bloc, champs in (
        ("employeur", CODES_EMPLOYEUR),
        ("apprenti", CODES_APPRENTI),
        ("contrat", CODES_CONTRAT),
    ):
        for champ in champs:
            cerfa[bloc][champ] = str(cerfa[bloc][champ])
            attendus[tolerance.NUMBER_AS_STRING].add(f"cerfa.{bloc}.{champ}")
    cerfa["maitre1"]["niveauDiplomeObtenu"] = "5"
    cerfa["formation"]["typeDiplome"] = " 54 "
    cerfa["formation"]["dureeFormation"] = "1350"
    cerfa["contrat"]["remunerationsAnnuelles"][0]["taux"] = "43"
    attendus[tolerance.NUMBER_AS_STRING] |= {
        "cerfa.maitre1.niveauDiplomeObtenu",
        "cerfa.formation.typeDiplome",
        "cerfa.formation.dureeFormation",
        "cerfa.contrat.remunerationsAnnuelles[0].taux",
    }
    cerfa["contrat"]["travailRisque"] = "false"
    cerfa["apprenti"]["handicap"] = "False"
    attendus[tolerance.BOOLEAN_AS_STRING] = {
        "cerfa.contrat.travailRisque",
        "cerfa.apprenti.handicap",
    }
    cerfa["contrat"]["typeDerogation"] = ""
    attendus[tolerance.EMPTY_STRING] = {"cerfa.contrat.typeDerogation"}
    cerfa["contrat"]["noContrat"] = 0
    cerfa["contrat"]["noAvenant"] = 0
    attendus[tolerance.ZERO_FOR_ABSENT] = {"cerfa.contrat.noContrat", "cerfa.contrat.noAvenant"}
    cerfa["contrat"]["dateDebutContrat"] = "2026-09-01T00:00:00+02:00"
    attendus[tolerance.DATETIME_AS_DATE] = {"cerfa.contrat.dateDebutContrat"}
    return body, {k: v for k, v in attendus.items() if v}


def _entete(response) -> dict[str, set[str]]:
    valeur = response.headers.get("X-Sandbox-Ecarts-Norme", "")
    out: dict[str, set[str]] = {}
    for morceau in filter(None, valeur.split("; ")):
        code, _, champs = morceau.partition("=")
        out[code] = set(champs.split(","))
    return out


@pytest.fixture
def strict(client):
    assert client.put("/_sandbox/profil", json={"profil": "norme-stricte"}).status_code == 200
    yield
    client.put("/_sandbox/profil", json={"profil": "dialectes"})


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_production_cerfa_is_accepted_coerced_and_reported(cfa, client, contrat, version):
    body, attendus = _production(contrat)
    response = cfa.transmettre(body, version)
    assert response.status_code == 200, response.text
    assert _entete(response) == attendus

    numero = response.json()["numeroInterne"]
    cerfa = cfa.get(f"/{version}/dossiers", params={"numeroInterne": numero}).json()["cerfa"]
    attendu = copy.deepcopy(contrat["cerfa"])
    assert cerfa["employeur"]["typeEmployeur"] == 12
    assert cerfa["contrat"]["salaireEmbauche"] == 783.91
    assert cerfa["contrat"]["travailRisque"] is False
    assert cerfa["contrat"]["dateDebutContrat"] == "2026-09-01"
    assert cerfa["contrat"].get("typeDerogation") is None
    assert cerfa["contrat"].get("noContrat") in (None, "")
    assert cerfa["apprenti"] == attendu["apprenti"]
    # A plain optional text's "" satisfies the norm: kept, not reported.
    assert cerfa["contrat"]["numeroContratPrecedent"] == ""
    for champ in CODES_CONTRAT:
        assert cerfa["contrat"][champ] == attendu["contrat"][champ]
    assert (
        cerfa["contrat"]["remunerationsAnnuelles"] == attendu["contrat"]["remunerationsAnnuelles"]
    )
    assert cerfa["formation"]["dureeFormation"] == 1350
    assert cerfa["formation"]["typeDiplome"] == 54

    entrees = client.get("/_sandbox/journal", params={"opco": "akto"}).json()["entrees"]
    transmission = next(e for e in entrees if e["operation"].startswith("dossiers.transmettre"))
    journalises: dict[str, set[str]] = {}
    for ecart in transmission["ecarts"]:
        journalises.setdefault(ecart["code"], set()).add(ecart["champ"])
    assert journalises == attendus
    # The journal keeps what was sent, as sent.
    assert transmission["requete"]["corps"]["cerfa"]["employeur"]["typeEmployeur"] == "12"

    (rapport,) = client.get("/_sandbox/conformite", params={"opco": "akto"}).json()
    lignes = {x["code"]: x for x in rapport["ecartsNorme"]}
    nombres = lignes[tolerance.NUMBER_AS_STRING]
    assert nombres["message"].startswith(
        f"{len(attendus[tolerance.NUMBER_AS_STRING])} champs envoyés en texte au lieu de nombres"
    )
    assert "contraires à la norme" in nombres["message"]
    assert "cerfa.contrat.remunerationsAnnuelles[].taux" in nombres["champs"]
    assert set(lignes) == set(attendus)
    html = client.get("/_sandbox/conformite", params={"format": "html"}).text
    assert tolerance.NUMBER_AS_STRING in html


def test_same_cerfa_is_refused_field_by_field_under_the_strict_norm(cfa, client, contrat, strict):
    body, attendus = _production(contrat)
    response = cfa.transmettre(body)
    assert response.status_code == 400
    assert "X-Sandbox-Ecarts-Norme" not in response.headers
    champs = {e["champ"] for e in response.json()["errors"]}
    refuses = (
        attendus[tolerance.NUMBER_AS_STRING]
        | attendus[tolerance.BOOLEAN_AS_STRING]
        | attendus[tolerance.EMPTY_STRING]
    )
    assert refuses <= champs
    assert {e["code"] for e in response.json()["errors"]} <= {"TYPE_INVALID", "ENUM_INVALID"}


@pytest.mark.parametrize("profil", ["dialectes", "norme-stricte"])
def test_uncoercible_value_stays_a_400(cfa, client, contrat, profil):
    assert client.put("/_sandbox/profil", json={"profil": profil}).status_code == 200
    try:
        contrat["cerfa"]["employeur"]["nombreDeSalaries"] = "abc"
        contrat["cerfa"]["contrat"]["dureeTravailHebdoHeures"] = "35.5"
        contrat["cerfa"]["contrat"]["salaireEmbauche"] = "1,234"  # thousands or decimals?
        response = cfa.transmettre(contrat)
    finally:
        client.put("/_sandbox/profil", json={"profil": "dialectes"})
    assert response.status_code == 400
    found = {(e["code"], e["champ"]) for e in response.json()["errors"]}
    assert found == {
        ("TYPE_INVALID", "cerfa.employeur.nombreDeSalaries"),
        ("TYPE_INVALID", "cerfa.contrat.dureeTravailHebdoHeures"),
        ("TYPE_INVALID", "cerfa.contrat.salaireEmbauche"),
    }


def test_deviations_are_reported_on_a_400_too(cfa, contrat):
    contrat["cerfa"]["employeur"]["typeEmployeur"] = "12"
    del contrat["cerfa"]["apprenti"]["nom"]
    response = cfa.transmettre(contrat)
    assert response.status_code == 400
    assert _entete(response) == {tolerance.NUMBER_AS_STRING: {"cerfa.employeur.typeEmployeur"}}


def test_unknown_query_parameter_is_ignored_under_dialectes(cfa):
    response = cfa.get("/v1/dossiers/etats", params={"numeroInterne": "123"})
    assert response.status_code == 200, response.text
    assert _entete(response) == {tolerance.PARAM_UNKNOWN: {"numeroInterne"}}


def test_unknown_query_parameter_is_refused_under_the_strict_norm(cfa, strict):
    response = cfa.get("/v1/dossiers/etats", params={"numeroInterne": "123"})
    assert response.status_code == 400
    assert [(e["code"], e["champ"]) for e in response.json()["errors"]] == [
        ("PARAM_UNKNOWN", "numeroInterne")
    ]


def test_control_api_stays_strict_under_dialectes(client):
    response = client.get("/_sandbox/journal", params={"inconnu": "1"})
    assert response.status_code == 400
    assert "X-Sandbox-Ecarts-Norme" not in response.headers


def test_conforming_request_carries_no_deviation_header(cfa, contrat):
    response = cfa.transmettre(contrat)
    assert response.status_code == 200
    assert "X-Sandbox-Ecarts-Norme" not in response.headers


# ---------------------------------------------------------------- the coercion walk, alone

SCHEMA = {
    "type": "object",
    "required": ["n"],
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number", "nullable": True},
        "b": {"type": "boolean"},
        "l": {
            "type": "array",
            "items": {"type": "object", "properties": {"t": {"type": "number"}}},
        },
    },
}


@given(
    n=st.integers(-(10**15), 10**15),
    x=st.one_of(st.integers(-(10**6), 10**6), st.decimals(-(10**6), 10**6, places=2)),
    b=st.booleans(),
    t=st.lists(st.integers(0, 100), max_size=3),
)
def test_a_value_rendered_as_text_is_given_back(n, x, b, t):
    x = float(x) if not isinstance(x, int) else x
    x = int(x) if float(x).is_integer() else x
    attendu = {"n": n, "x": x, "b": b, "l": [{"t": v} for v in t]}
    texte = {"n": str(n), "x": str(x), "b": str(b).lower(), "l": [{"t": str(v)} for v in t]}
    valeur, ecarts = tolerance.tolerer(texte, SCHEMA)
    assert valeur == attendu
    assert all(type(valeur[k]) is type(attendu[k]) for k in ("n", "x", "b"))
    assert len(ecarts) == 3 + len(t)
    # Coercing what the norm already types is a no-op, reported as nothing.
    assert tolerance.tolerer(attendu, SCHEMA) == (attendu, [])


def test_walk_leaves_what_it_cannot_coerce():
    corps = {"n": "", "x": "abc", "b": "oui"}
    # `n` is required: its "" is a value (refused by validation), not an absent field.
    assert tolerance.tolerer(corps, SCHEMA) == (corps, [])
    assert tolerance.tolerer({"n": 1, "x": ""}, SCHEMA) == (
        {"n": 1},
        [(tolerance.EMPTY_STRING, "x")],
    )
    assert tolerance.nombre_texte("1e400", entier=False) is None
    assert tolerance.nombre_texte("NaN", entier=False) is None
    assert tolerance.nombre_texte("783,91", entier=False) == 783.91


def test_header_is_bounded_and_ascii():
    ecarts = [(tolerance.PARAM_UNKNOWN, f"é{i}" * 30) for i in range(500)]
    valeur = tolerance.entete(ecarts)
    assert len(valeur) <= 4000
    valeur.encode("ascii")
    assert valeur.endswith(")")


def test_every_deviation_code_is_documented_in_the_readme():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text("utf-8")
    assert [c for c in tolerance.LIBELLES if f"`{c}`" not in readme] == []


# ---------------------------------------------------------------- multipart JSON parts


def _convention_production(contrat: dict, numero: str) -> tuple[dict, dict[str, set[str]]]:
    from tests.api.test_cycle_de_vie import convention_de

    convention = convention_de(contrat, numero)
    convention["couts"] = {k: str(v) for k, v in convention["couts"].items()}
    convention["formation"]["dureeFormation"] = "1350"
    convention["mandatEmployeur"] = "true"
    convention["dateSignature"] = "2026-08-25T00:00:00+02:00"
    attendus = {
        tolerance.NUMBER_AS_STRING: {f"convention.couts.{k}" for k in convention["couts"]}
        | {"convention.formation.dureeFormation"},
        tolerance.BOOLEAN_AS_STRING: {"convention.mandatEmployeur"},
        tolerance.DATETIME_AS_DATE: {"convention.dateSignature"},
    }
    return convention, attendus


def test_production_convention_part_is_coerced_and_reported(cfa, client, contrat):
    from tests.api.test_cycle_de_vie import avancer, deposer, detail

    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    convention, attendus = _convention_production(contrat, numero)
    response = deposer(cfa, convention)
    assert response.status_code == 200, response.text
    assert _entete(response) == attendus
    avancer(client, jours=4)
    dossier = detail(cfa, numero)
    assert dossier["cerfa"]["etat"] == "ENGAGE"
    assert dossier["echeances"]
    assert all(isinstance(e["montantTotal"], int | float) for e in dossier["echeances"])


def test_production_convention_part_is_refused_under_the_strict_norm(cfa, contrat, strict):
    from tests.api.test_cycle_de_vie import deposer

    numero = cfa.transmettre(contrat).json()["numeroInterne"]
    convention, attendus = _convention_production(contrat, numero)
    response = deposer(cfa, convention)
    assert response.status_code == 400
    champs = {e["champ"] for e in response.json()["errors"]}
    assert attendus[tolerance.NUMBER_AS_STRING] | attendus[tolerance.BOOLEAN_AS_STRING] <= champs


@pytest.mark.parametrize(("ancien", "norme"), [(1, 3), ("2", 4)])
def test_old_scale_of_the_maitres_diploma_level_is_read_as_the_norms(cfa, contrat, ancien, norme):
    """Codes 1 and 2 of the older 1–6 scale (absent from the norm) become the norm's 3 and 4."""
    body = copy.deepcopy(contrat)
    body["cerfa"]["maitre1"]["niveauDiplomeObtenu"] = ancien
    response = cfa.transmettre(body)
    assert response.status_code == 200, response.text
    ecarts = _entete(response)
    assert ecarts[tolerance.OLD_NOMENCLATURE] == {"cerfa.maitre1.niveauDiplomeObtenu"}
    numero = response.json()["numeroInterne"]
    relu = cfa.get("/v1/dossiers", params={"numeroInterne": numero}).json()["cerfa"]["maitre1"]
    assert relu["niveauDiplomeObtenu"] == norme


def test_a_code_both_scales_share_is_the_norms(cfa, contrat):
    body = copy.deepcopy(contrat)
    body["cerfa"]["maitre1"]["niveauDiplomeObtenu"] = 5
    response = cfa.transmettre(body)
    assert response.status_code == 200
    assert tolerance.OLD_NOMENCLATURE not in _entete(response)


def test_old_scale_is_refused_under_the_strict_norm(cfa, contrat, strict):
    body = copy.deepcopy(contrat)
    body["cerfa"]["maitre1"]["niveauDiplomeObtenu"] = 1
    response = cfa.transmettre(body)
    assert response.status_code == 400
    codes = {(e["code"], e.get("champ")) for e in response.json()["errors"]}
    assert ("ENUM_INVALID", "cerfa.maitre1.niveauDiplomeObtenu") in codes
