"""CerfaVue: the typed, read-only view of a Cerfa that services and rules read."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

import rules
from rules.cerfa import CerfaVue
from rules.referentiel import Referentiel
from rules.registry import Contexte, Moment

CTX = Contexte(aujourdhui=date(2026, 8, 20), referentiel=Referentiel())


def test_the_contract_identity_is_read_once_and_typed(cerfa):
    vue = CerfaVue.de(cerfa)
    assert (vue.siret_organisme, vue.siret_employeur) == ("91234567500017", "80567891900012")
    assert (vue.apprenti_nom, vue.apprenti_prenom) == ("MARTIN", "Léa")
    assert vue.apprenti_date_naissance == date(2006, 5, 14)
    assert vue.nir == "206057505612329"
    assert vue.type_contrat_app == 11 and not vue.avenant
    assert vue.date_debut_contrat == date(2026, 9, 1)
    assert vue.date_fin_contrat == date(2028, 8, 31)
    assert vue.date_effet_avenant is None and vue.date_rupture is None


def test_other_fields_by_their_wire_path(cerfa):
    vue = CerfaVue.de(cerfa)
    assert vue.texte("formation.rncp") == cerfa["formation"]["rncp"]
    assert vue.entier("contrat.typeContratApp") == 11
    assert vue.date("contrat.dateConclusion") == date.fromisoformat(
        cerfa["contrat"]["dateConclusion"][:10]
    )
    assert vue.valeur("apprenti.adresse.inconnu") is None
    assert vue.booleen("employeur.attestationEligibilite") is True
    assert vue.renseigne("apprenti.nom") and not vue.renseigne("contrat.dateRupture")


def test_the_view_is_read_only(cerfa):
    vue = CerfaVue.de(cerfa)
    with pytest.raises(dataclasses.FrozenInstanceError):
        vue.apprenti_nom = "DUPONT"  # type: ignore[misc]
    with pytest.raises(TypeError):
        vue.donnees["apprenti"] = {}  # type: ignore[index]
    assert dict(vue.donnees) == cerfa


def test_a_view_is_its_own_view(cerfa):
    vue = CerfaVue.de(cerfa)
    assert CerfaVue.de(vue) is vue


@pytest.mark.parametrize(
    ("nir", "lu"),
    [
        ("2 06 05 75 056 123 29", "206057505612329"),
        ("2060575056123", "2060575056123"),
        ("1 84 12 2a 012 345", "18412" + "2A012345"),
        ("20605750561", None),  # too short
        ("", None),
        (None, None),
    ],
)
def test_the_nir_is_normalised_or_none(cerfa, nir, lu):
    cerfa["apprenti"]["nir"] = nir
    assert CerfaVue.de(cerfa).nir == lu


@pytest.mark.parametrize(
    ("type_contrat", "lu"), [(36, 36), ("36", None), (True, None), (None, None)]
)
def test_the_contract_type_is_an_integer_as_the_schema_types_it(cerfa, type_contrat, lu):
    cerfa["contrat"]["typeContratApp"] = type_contrat
    vue = CerfaVue.de(cerfa)
    assert vue.type_contrat_app == lu
    assert vue.avenant is (lu == 36)


@pytest.mark.parametrize("brut", [{}, [], "cerfa", None, {"apprenti": "x", "contrat": []}])
def test_anything_else_reads_as_absent(brut):
    vue = CerfaVue.de(brut)
    assert vue.apprenti_nom is vue.siret_employeur is vue.nir is vue.date_debut_contrat is None
    assert vue.texte("apprenti.nom") is None


def test_rules_read_the_same_from_the_dict_and_from_its_view(cerfa):
    cerfa["apprenti"]["nir"] = "106057505612329"  # a NIR of the wrong sex: a warning
    vue = CerfaVue.de(cerfa)
    assert rules.evaluer(vue, CTX) == rules.evaluer(cerfa, CTX)
    assert "ID_NIR_SEX_MISMATCH" in {v.code for v in rules.evaluer(vue, CTX)}


def test_evaluer_builds_the_view_once_for_every_rule(cerfa, monkeypatch):
    de, construites = CerfaVue.de.__func__, []

    def compter(cls, sujet):
        vue = de(cls, sujet)
        if vue is not sujet:
            construites.append(vue)
        return vue

    monkeypatch.setattr(CerfaVue, "de", classmethod(compter))
    rules.evaluer(cerfa, CTX, Moment.TRANSMISSION)
    assert len(construites) == 1
