"""The compiled validators (opco_server.http.compilation.compiled): jsonschema-rs's verdict is
jsonschema's, on every request schema of both specs, so that the errors reported (by
jsonschema, on an invalid value) stay what they were."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from connexion.json_schema import resolve_refs
from hypothesis import example, given
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from opco_server.donnees import yamlfile
from opco_server.http.compilation import NormValidator, _rust_validator, compiled
from opco_server.http.traduction import error_items

ROOT = Path(__file__).resolve().parents[2]
CONTRAT = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))


def _schemas() -> list[tuple[str, dict, bool]]:
    """(name, schema, formats) of every request body and parameter, as validation.py uses
    them: formats checked on JSON bodies and parameters, not on forms."""
    found = []
    for fichier in ("openapi.yaml", "sandbox.yaml"):
        spec = resolve_refs(yamlfile.lire(ROOT / "spec" / fichier))
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or method == "parameters":
                    continue
                nom = f"{fichier} {method.upper()} {path}"
                for parametre in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    schema = parametre.get("schema", parametre)
                    found.append((f"{nom} {parametre['in']} {parametre['name']}", schema, True))
                contenus = operation.get("requestBody", {}).get("content", {})
                for media, definition in contenus.items():
                    if "schema" in definition:
                        formats = "json" in media
                        found.append((f"{nom} {media}", definition["schema"], formats))
    return found


SCHEMAS = _schemas()
# The same schema under many names (the norm's headers on every operation): each one once.
DISTINCTS = list(
    {json.dumps([s, f], sort_keys=True): (n, s, f) for n, s, f in reversed(SCHEMAS)}.values()
)
DOSSIER = next(s for n, s, _ in SCHEMAS if n == "openapi.yaml POST /v1/dossiers application/json")
FACTURE = next(
    s["properties"]["facture"]
    for n, s, _ in SCHEMAS
    if n == "openapi.yaml POST /v1/factures multipart/form-data"
)

TEXTES = [
    "",
    " ",
    "\n",
    "x",
    "12",
    "12.5",
    "1,5",
    "true",
    "null",
    "80567891900012",
    "80567891900012\n",
    "8056789190001\n",
    "\x1c",
    "\u00a0",
    "\u2028",
    "٣٣",
    "é" * 81,
    "a" * 300,
    "2026-09-01",
    "2026-02-30",
    "2026-09-01T10:00:00Z",
    "2026-09-01T10:00:00+02:00",
    "2026-09-01T25:00:00Z",
    "20260901",
    "FR7630004000010001234567830",
    "FR76 3000 4000 0100 0123 4567 830",
    "rh@example.org",
    "RNCP12345",
    "10103*14",
]
NOMBRES = [0, 1, -1, 2, 11, 12, 1.0, 1.5, -0.5, 10**20, -(10**20), 999999999, 1000000000, 1e308]
SCALAIRES = st.one_of(
    st.sampled_from([None, True, False, *TEXTES, *NOMBRES]),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)
VALEURS = st.recursive(
    SCALAIRES,
    lambda enfants: st.one_of(
        st.lists(enfants, max_size=3),
        st.dictionaries(st.sampled_from(["nom", "x", "numero", "siret", "cerfa"]), enfants),
    ),
    max_leaves=6,
)


_VALIDATEURS: dict[tuple[int, bool], tuple] = {}


def _meme_verdict(schema: dict, formats: bool, valeur: object) -> None:
    """jsonschema-rs says valid exactly when NormValidator finds no error, and the compiled
    validator reports NormValidator's errors."""
    cle = (id(schema), formats)
    if cle not in _VALIDATEURS:  # the schemas live as long as the module: ids stay theirs
        checker = Draft4Validator.FORMAT_CHECKER if formats else None
        rust = _rust_validator(schema, formats)
        assert rust is not None
        _VALIDATEURS[cle] = (NormValidator(schema, format_checker=checker), rust)
    jsonschema, rust = _VALIDATEURS[cle]
    attendu = error_items(jsonschema.iter_errors(valeur))
    assert rust.is_valid(valeur) == (not attendu), (valeur, attendu)
    assert error_items(compiled(schema, formats).errors(valeur)) == attendu


def test_chaque_schema_de_requete_a_son_validateur_compile():
    assert len(SCHEMAS) > 50
    sans = [nom for nom, schema, formats in SCHEMAS if _rust_validator(schema, formats) is None]
    assert sans == []


def test_compile_une_fois_par_schema():
    assert compiled(DOSSIER) is compiled(DOSSIER)
    assert compiled(DOSSIER, formats=False) is not compiled(DOSSIER)
    assert compiled(copy.deepcopy(DOSSIER)) is not compiled(DOSSIER)


@pytest.mark.parametrize("nom,schema,formats", DISTINCTS, ids=[n for n, _, _ in DISTINCTS])
@given(valeur=VALEURS)
def test_meme_verdict_sur_des_valeurs_quelconques(nom, schema, formats, valeur):
    _meme_verdict(schema, formats, valeur)


def _chemins(valeur: object, prefixe: tuple = ()) -> list[tuple]:
    sortie = [prefixe]
    if isinstance(valeur, dict):
        for cle, v in valeur.items():
            sortie += _chemins(v, (*prefixe, cle))
    elif isinstance(valeur, list):
        for i, v in enumerate(valeur):
            sortie += _chemins(v, (*prefixe, i))
    return sortie


def _remplacer(corps: object, chemin: tuple, nouvelle: object) -> object:
    if not chemin:
        return nouvelle
    corps = copy.deepcopy(corps)
    parent = corps
    for cle in chemin[:-1]:
        parent = parent[cle]
    if nouvelle is _SUPPRIMER:
        del parent[chemin[-1]]
    else:
        parent[chemin[-1]] = nouvelle
    return corps


_SUPPRIMER = object()


def _variantes(corps: dict) -> st.SearchStrategy:
    """The body with up to three values replaced by edge values, removed, or altered."""
    chemins = _chemins(corps)

    @st.composite
    def variante(draw: st.DrawFn) -> object:
        resultat = corps
        for _ in range(draw(st.integers(1, 3))):
            chemin = draw(st.sampled_from(chemins))
            try:
                ancienne = _lire(resultat, chemin)
            except (KeyError, IndexError, TypeError):
                continue
            choix = [VALEURS, st.just(_SUPPRIMER)] if chemin else [VALEURS]
            if isinstance(ancienne, str):
                choix.append(
                    st.sampled_from(
                        [ancienne + "\n", ancienne[:-1], ancienne + "0", " " + ancienne]
                    )
                )
            if isinstance(ancienne, int | float) and not isinstance(ancienne, bool):
                choix.append(st.sampled_from([str(ancienne), ancienne + 0.5, -ancienne]))
            resultat = _remplacer(resultat, chemin, draw(st.one_of(*choix)))
        return resultat

    return variante()


def _lire(corps: object, chemin: tuple) -> object:
    for cle in chemin:
        corps = corps[cle]  # type: ignore[index]
    return corps


@given(corps=_variantes(CONTRAT))
@example(corps=_remplacer(CONTRAT, ("cerfa", "employeur", "siret"), "80567891900012\n"))
@example(corps=_remplacer(CONTRAT, ("cerfa", "contrat", "dateDebutContrat"), "2026-02-30"))
@example(corps=_remplacer(CONTRAT, ("cerfa", "apprenti", "nom"), None))
def test_meme_verdict_sur_des_cerfa_alteres(corps):
    _meme_verdict(DOSSIER, True, corps)


FACTURE_EXEMPLE = {
    "numero": "FAC-1",
    "dateEmission": "2026-11-23",
    "ibanEmetteur": "FR7630004000010001234567830",
    "siretEmetteur": "80567891900012",
    "estCertificatRealisation": False,
    "montantTotal": 100.5,
    "lignes": [
        {
            "montant": 100.5,
            "natureLigne": "PEDAGOGIE",
            "quantite": 1,
            "numeroEcheance": 1,
            "codificationEcheance": "A",
            "numeroDeca": "01320250000123",
            "numeroDossier": "ABC",
        }
    ],
}


@given(corps=_variantes(FACTURE_EXEMPLE))
def test_meme_verdict_sur_des_factures_alterees(corps):
    _meme_verdict(FACTURE, False, corps)
