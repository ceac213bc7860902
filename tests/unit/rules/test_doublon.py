"""The duplicate key of the OPCO FAQ ("appairage"), a pure rule over the Cerfa's view."""

from __future__ import annotations

import copy
import unicodedata
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from rules.cerfa import CerfaVue
from rules.champs import normaliser_nom
from rules.doublon import cle_doublon

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


def cle(cerfa: dict) -> str | None:
    return cle_doublon(CerfaVue.de(cerfa))


def test_every_matching_element_is_part_of_the_key():
    base = cle(BASE)
    for change in [
        {"apprenti__nom": "Dupont"},
        {"apprenti__prenom": "Lou"},
        {"apprenti__dateNaissance": "2006-05-15"},
        {"employeur__siret": "80123456800013"},
        {"contrat__dateDebutContrat": "2026-09-02"},
    ]:
        assert cle(_with(**change)) != base, change


def test_the_key_is_what_the_dossiers_store():
    assert cle(BASE) == "MARTIN|LEA|2006-05-14|80567891900012|2026-09-01"


def test_date_time_and_date_forms_match():
    assert cle(_with(contrat__dateDebutContrat="2026-09-01T00:00:00+02:00")) == cle(BASE)


def test_avenant_key_differs_from_the_contract():
    avenant = _with(contrat__typeContratApp=36)
    avenant["contrat"]["dateEffetAvenant"] = "2027-01-01"
    assert cle(avenant) != cle(BASE)
    assert cle(avenant).endswith("|36|2027-01-01")


def test_no_key_without_names_or_siret_as_text():
    """Only a body the schema refused lacks them (the journal's fingerprint is then None)."""
    assert cle(_with(apprenti__nom=None)) is None
    assert cle(_with(employeur__siret=80567891900012)) is None
    assert cle({"apprenti": []}) is None


LETTRES = "abcdeéèêëàâçôîïùûüœæ"
NOMS = st.text(alphabet=LETTRES + LETTRES.upper() + "-' ", min_size=1, max_size=20).filter(
    lambda n: normaliser_nom(n)
)


def _sans_accents(texte: str) -> str:
    decompose = unicodedata.normalize("NFKD", texte)
    return "".join(c for c in decompose if not unicodedata.combining(c))


VARIANTES = st.sampled_from(
    [
        str.upper,
        str.lower,
        lambda n: f"  {n}  ",
        lambda n: n.replace(" ", "  "),
        lambda n: n.replace("-", " "),
        _sans_accents,
        lambda n: unicodedata.normalize("NFD", n),  # accents as combining characters
    ]
)
JOURS = st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31))
FORMES_DATE = st.sampled_from(["{}", "{}T00:00:00", "{}T23:59:59Z", "{}T12:30:00+02:00"])


@given(NOMS, NOMS, VARIANTES, VARIANTES)
def test_the_key_ignores_case_accents_hyphens_and_spacing_of_names(nom, prenom, v1, v2):
    cerfa = _with(apprenti__nom=nom, apprenti__prenom=prenom)
    variante = _with(apprenti__nom=v1(nom), apprenti__prenom=v2(prenom))
    assert cle(variante) == cle(cerfa)


@given(JOURS, JOURS, FORMES_DATE, FORMES_DATE)
def test_the_key_ignores_the_wire_form_of_dates(naissance, debut, forme1, forme2):
    cerfa = _with(
        apprenti__dateNaissance=naissance.isoformat(), contrat__dateDebutContrat=debut.isoformat()
    )
    variante = _with(
        apprenti__dateNaissance=forme1.format(naissance.isoformat()),
        contrat__dateDebutContrat=forme2.format(debut.isoformat()),
    )
    assert cle(variante) == cle(cerfa)


@given(st.text(alphabet="abcdeéèêàçôî- ", min_size=1, max_size=20))
def test_name_normalisation_ignores_case_accents_and_spacing(name):
    assert normaliser_nom(name) == normaliser_nom(f"  {name.upper()}  ")
    assert normaliser_nom(name) == normaliser_nom(normaliser_nom(name))
