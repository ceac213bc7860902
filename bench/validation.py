"""Micro-benchmark: the cost of validating one request body, validator built per request or
once, with jsonschema, jsonschema-rs and fastjsonschema.

Usage: python bench/validation.py [--repetitions 2000] [--series 7]

The body is the demo contract (fixtures/dossiers/contrat-v14.json), the schema the one of
`POST /v1/dossiers` in spec/openapi.yaml, resolved as connexion resolves it ($ref inlined).
Measured, in µs of CPU per validation (process time, so that other work on the machine weighs
less than on a wall clock; best and median of --series series of --repetitions calls):

  (a) per request   what the sandbox did before: connexion 3.3 builds its body validator at
                    every request (RequestValidationOperation.__call__) and ours built a new
                    NormValidator (jsonschema Draft 4 + `nullable` + `x-norme-date`) there,
                    every error collected and translated into the norm's items;
  (b) jsonschema    the same NormValidator built once, same errors, same translation;
  (c) jsonschema-rs a Rust validator compiled once (`nullable` rewritten as a null type,
                    `x-norme-date` as a custom keyword, Rust's own regular expressions);
  (d) fastjsonschema a validator compiled to Python once (stops at the first error: it
                    cannot report them all), when the package is installed;
  (e) sandbox       what opco_server.http.compilation now does: `compiled(schema)`, jsonschema-rs
                    compiled once with `pattern`, `format` and `x-norme-date` checked by
                    Python's code, then, for an invalid body only, (b) for the errors.

And, for reference, the dialect profile's coercion (opco_server.http.tolerance.tolerer) that runs
before validation on every JSON body of the norm's API, and an invalid body (seven errors)
under (a), (b), (c) and (e). Then a comparison of the errors that (b) and (c) report on
invalid variants of the contract (field path and keyword): where they differ, (c) alone could
not replace jsonschema without changing what a client is told, hence (e).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
import typing as t
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connexion.spec import OpenAPISpecification
from jsonschema import Draft4Validator

from bench.outils import ROOT, contrat_exemple
from opco_server.donnees import yamlfile
from opco_server.http import tolerance
from opco_server.http.compilation import NormValidator, compiled
from opco_server.http.traduction import error_items
from opco_server.wire import parse_date


def schema_post_dossiers() -> dict:
    spec = OpenAPISpecification(yamlfile.lire(ROOT / "spec" / "openapi.yaml"))
    operation = spec["paths"]["/v1/dossiers"]["post"]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def chronometrer(
    fonction: Callable[[], object], repetitions: int, series: int
) -> tuple[float, float]:
    """(best, median) µs per call."""
    for _ in range(max(repetitions // 10, 1)):  # warm-up
        fonction()
    mesures = []
    for _ in range(series):
        debut = time.process_time()
        for _ in range(repetitions):
            fonction()
        mesures.append((time.process_time() - debut) / repetitions * 1e6)
    return min(mesures), statistics.median(mesures)


# ------------------------------------------------------------------ jsonschema-rs


def schema_rs(schema: t.Any) -> t.Any:
    """OpenAPI 3.0 `nullable: true` as JSON Schema says it: `null` among the types."""
    if isinstance(schema, list):
        return [schema_rs(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    sortie = {k: schema_rs(v) for k, v in schema.items()}
    if sortie.get("nullable") is True and isinstance(sortie.get("type"), str):
        sortie["type"] = [sortie["type"], "null"]
    return sortie


class DateNorme:
    """`x-norme-date` for jsonschema-rs (a custom keyword)."""

    def __init__(self, parent: dict, value: object, schema_path: list) -> None:
        self.actif = value is True

    def validate(self, instance: object) -> None:
        if self.actif and isinstance(instance, str) and instance and parse_date(instance) is None:
            raise ValueError("not a calendar date")


def validateur_rs(schema: dict) -> t.Any:
    import jsonschema_rs

    return jsonschema_rs.Draft4Validator(
        schema_rs(schema), validate_formats=True, keywords={"x-norme-date": DateNorme}
    )


def _nom_rs(erreur: t.Any) -> str:
    """The keyword of a jsonschema-rs error, as jsonschema names it (ValidationError.validator)."""
    chemin = list(erreur.schema_path)
    return str(chemin[-1]) if chemin else "?"


def _nom_js(erreur: t.Any) -> str:
    return str(erreur.validator)


# ------------------------------------------------------------------ invalid bodies


def variantes_invalides(contrat: dict) -> dict[str, dict]:
    """Invalid variants of the contract: one per kind of error the norm reports, and one with
    many at once."""

    def avec(modifier: Callable[[dict], None]) -> dict:
        corps = copy.deepcopy(contrat)
        modifier(corps)
        return corps

    cerfa = "cerfa"
    variantes = {
        "champ requis absent": avec(lambda c: c[cerfa].pop("apprenti")),
        "type": avec(lambda c: c[cerfa]["apprenti"].__setitem__("nom", 12)),
        "null": avec(lambda c: c[cerfa]["apprenti"].__setitem__("nom", None)),
        "enum": avec(lambda c: c[cerfa]["apprenti"].__setitem__("sexe", "X")),
        "pattern": avec(lambda c: c[cerfa]["employeur"].__setitem__("siret", "123")),
        "pattern et saut de ligne": avec(
            lambda c: c[cerfa]["employeur"].__setitem__("siret", "12345678901234\n")
        ),
        "date hors calendrier": avec(
            lambda c: c[cerfa]["contrat"].__setitem__("dateDebutContrat", "2026-02-30")
        ),
        "date-heure": avec(
            lambda c: c[cerfa]["contrat"].__setitem__("dateDebutContrat", "2026-09-01T10:00:00Z")
        ),
        "corps pas un objet": [],  # type: ignore[dict-item]
    }

    def beaucoup(c: dict) -> None:
        c[cerfa]["apprenti"]["nom"] = 12
        c[cerfa]["apprenti"]["sexe"] = "X"
        c[cerfa]["employeur"]["siret"] = "123"
        c[cerfa]["contrat"]["dateDebutContrat"] = "2026-02-30"
        c[cerfa]["contrat"].pop("dateFinContrat", None)
        c[cerfa]["formation"] = "texte"
        c[cerfa].pop("maitre1", None)

    variantes["plusieurs erreurs"] = avec(beaucoup)
    return variantes


def comparer_erreurs(schema: dict, contrat: dict) -> list[str]:
    """Where jsonschema-rs does not report what jsonschema reports (path, keyword)."""
    js = NormValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    rs = validateur_rs(schema)
    ecarts = []
    for nom, corps in variantes_invalides(contrat).items():
        attendu = sorted(
            (tuple(map(str, e.absolute_path)), _nom_js(e)) for e in js.iter_errors(corps)
        )
        obtenu = sorted(
            (tuple(map(str, e.instance_path)), _nom_rs(e)) for e in rs.iter_errors(corps)
        )
        if attendu != obtenu:
            ecarts.append(f"{nom} : jsonschema {attendu} ; jsonschema-rs {obtenu}")
    return ecarts


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=2000, help="appels par série")
    parser.add_argument("--series", type=int, default=7)
    args = parser.parse_args()
    schema = schema_post_dossiers()
    contrat = contrat_exemple()
    invalide = variantes_invalides(contrat)["plusieurs erreurs"]
    fc = Draft4Validator.FORMAT_CHECKER
    une_fois = NormValidator(schema, format_checker=fc)
    rs = validateur_rs(schema)
    sandbox = compiled(schema)

    def cas_pour(corps: object) -> list[tuple[str, Callable[[], object]]]:
        return [
            (
                "(a) jsonschema, construit par requête",
                lambda: error_items(NormValidator(schema, format_checker=fc).iter_errors(corps)),
            ),
            (
                "(b) jsonschema, construit une fois",
                lambda: error_items(une_fois.iter_errors(corps)),
            ),
            ("(c) jsonschema-rs, compilé une fois", lambda: list(rs.iter_errors(corps))),
            ("(e) sandbox : compiled()", lambda: error_items(sandbox.errors(corps))),
        ]

    cas = cas_pour(contrat)
    try:
        import fastjsonschema

        rapide = fastjsonschema.compile(schema_rs(schema), formats={})
        cas.insert(
            3, ("(d) fastjsonschema, compilé une fois (1re erreur)", lambda: rapide(contrat))
        )
    except ImportError:
        print("(d) fastjsonschema non installé : pip install fastjsonschema", file=sys.stderr)
    cas.append(
        ("tolérance des dialectes (avant validation)", lambda: tolerance.tolerer(contrat, schema))
    )
    cas += [(f"{nom}, corps invalide", f) for nom, f in cas_pour(invalide)]

    print(
        f"POST /v1/dossiers, contrat de démonstration ({len(json.dumps(contrat))} octets), "
        f"{args.series} séries de {args.repetitions} validations ; corps invalide : "
        f"{len(error_items(une_fois.iter_errors(invalide)))} erreurs\n"
    )
    print("| Validation | µs CPU (meilleure série) | µs CPU (médiane) |")
    print("|---|---|---|")
    for libelle, fonction in cas:
        meilleur, median = chronometrer(fonction, args.repetitions, args.series)
        print(f"| {libelle} | {meilleur:.1f} | {median:.1f} |")
    ecarts = comparer_erreurs(schema, contrat)
    print(
        "\nErreurs de jsonschema-rs (c) comparées à jsonschema (b), chemin et mot-clé : "
        + ("identiques." if not ecarts else f"{len(ecarts)} écart(s)")
    )
    for ecart in ecarts:
        print(f"  - {ecart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
