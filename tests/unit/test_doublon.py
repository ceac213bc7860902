"""The duplicate key of the OPCO FAQ ("appairage")."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from opco_server.services.dossiers import cle_doublon
from opco_server.wire import normaliser_nom

BASE = {
    "apprenti": {"nom": "Martin", "prenom": "Léa", "dateNaissance": "2006-05-14"},
    "employeur": {"siret": "80567891900012"},
    "contrat": {"dateDebutContrat": "2026-09-01", "typeContratApp": 11},
}


def _with(**changes) -> dict:
    cerfa = copy.deepcopy(BASE)
    for path, value in changes.items():
        block, key = path.split("__")
        cerfa[block][key] = value
    return cerfa


def test_every_matching_element_is_part_of_the_key():
    base = cle_doublon(BASE)
    for change in [
        {"apprenti__nom": "Dupont"},
        {"apprenti__prenom": "Lou"},
        {"apprenti__dateNaissance": "2006-05-15"},
        {"employeur__siret": "80123456800013"},
        {"contrat__dateDebutContrat": "2026-09-02"},
    ]:
        assert cle_doublon(_with(**change)) != base, change


def test_date_time_and_date_forms_match():
    assert cle_doublon(_with(contrat__dateDebutContrat="2026-09-01T00:00:00+02:00")) == cle_doublon(
        BASE
    )


def test_avenant_key_differs_from_the_contract():
    avenant = _with(contrat__typeContratApp=36)
    avenant["contrat"]["dateEffetAvenant"] = "2027-01-01"
    assert cle_doublon(avenant) != cle_doublon(BASE)


@given(st.text(alphabet="abcdeéèêàçôî- ", min_size=1, max_size=20))
def test_name_normalisation_ignores_case_accents_and_spacing(name):
    assert normaliser_nom(name) == normaliser_nom(f"  {name.upper()}  ")
    assert normaliser_nom(name) == normaliser_nom(normaliser_nom(name))
