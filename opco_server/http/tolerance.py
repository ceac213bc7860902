"""What the OPCOs' back ends tolerate: values coerced to the norm's types, each one reported.

Production CFA software sends numbers as text (`"12"`, `"783.91"`), booleans as text
(`"true"`), `""` for an absent optional value, `0` for an unknown contract number, date-times
where the norm has a date. The OPCOs accept these; under the `dialectes` profile the sandbox
does too, but converts them to the norm's types before validation and records each as a
deviation (code, field path). Pure: fed a resolved JSON schema, no web framework here.
"""

from __future__ import annotations

import re
import typing as t

from jsonschema import Draft4Validator

from opco_server.wire import DATE_PATTERN, field_path, parse_date

NUMBER_AS_STRING = "NORM_NUMBER_AS_STRING"
BOOLEAN_AS_STRING = "NORM_BOOLEAN_AS_STRING"
EMPTY_STRING = "NORM_EMPTY_STRING"
ZERO_FOR_ABSENT = "NORM_ZERO_FOR_ABSENT"
DATETIME_AS_DATE = "NORM_DATETIME_AS_DATE"
PARAM_UNKNOWN = "NORM_PARAM_UNKNOWN"
OLD_NOMENCLATURE = "NORM_CODE_OLD_NOMENCLATURE"
DPOP_JWK_ABSENT = "NORM_DPOP_JWK_ABSENT"

# Every deviation code, with the conformance report's French text (singular, plural).
LIBELLES: dict[str, tuple[str, str]] = {
    NUMBER_AS_STRING: (
        "champ envoyé en texte au lieu d'un nombre : accepté par les OPCO, contraire à la norme",
        "champs envoyés en texte au lieu de nombres : acceptés par les OPCO, contraires à la norme",
    ),
    BOOLEAN_AS_STRING: (
        "champ envoyé en texte au lieu d'un booléen (true/false) : accepté par les OPCO, "
        "contraire à la norme",
        "champs envoyés en texte au lieu de booléens (true/false) : acceptés par les OPCO, "
        "contraires à la norme",
    ),
    EMPTY_STRING: (
        'champ facultatif envoyé vide ("") au lieu d\'être omis : accepté par les OPCO, '
        "contraire à la norme",
        'champs facultatifs envoyés vides ("") au lieu d\'être omis : acceptés par les OPCO, '
        "contraires à la norme",
    ),
    ZERO_FOR_ABSENT: (
        "numéro envoyé à 0 au lieu d'être omis : accepté par les OPCO, contraire à la norme",
        "numéros envoyés à 0 au lieu d'être omis : acceptés par les OPCO, contraires à la norme",
    ),
    DATETIME_AS_DATE: (
        "date envoyée en date-heure au lieu d'une date (AAAA-MM-JJ) : acceptée par les OPCO, "
        "contraire à la norme",
        "dates envoyées en date-heure au lieu de dates (AAAA-MM-JJ) : acceptées par les OPCO, "
        "contraires à la norme",
    ),
    OLD_NOMENCLATURE: (
        "code d'une ancienne nomenclature au lieu de celle de la norme : accepté par les OPCO, "
        "contraire à la norme",
        "codes d'une ancienne nomenclature au lieu de celle de la norme : acceptés par les OPCO, "
        "contraires à la norme",
    ),
    PARAM_UNKNOWN: (
        "paramètre de requête inconnu de la norme : ignoré par les OPCO, refusé par la norme",
        "paramètres de requête inconnus de la norme : ignorés par les OPCO, refusés par la norme",
    ),
    DPOP_JWK_ABSENT: (
        "preuve DPoP sans clé publique « jwk » dans son en-tête : acceptée par l'OPCO sans "
        "vérification de signature, contraire à la norme (RFC 9449)",
        "preuves DPoP sans clé publique « jwk » dans leur en-tête : acceptées par l'OPCO sans "
        "vérification de signature, contraires à la norme (RFC 9449)",
    ),
}

# Identifiers the norm leaves untyped on the wire, whose `0` means "not known yet".
ZERO_POUR_ABSENT = frozenset({"noContrat", "noAvenant"})

# A number as text: digits, an optional decimal part (a comma only with 1 or 2 decimals, so
# that "1,350" — a thousands separator? — stays ambiguous, hence refused). Bounded length.
_ENTIER = re.compile(r"[+-]?\d{1,18}")
_DECIMAL = re.compile(r"[+-]?\d{1,18}(?:\.\d{1,18}|,\d{1,2})?")
_VRAI_FAUX = {"true": True, "false": False}

Ecart = tuple[str, str]  # (code, field path)


def tolerer(valeur: t.Any, schema: dict, chemin: tuple = ()) -> tuple[t.Any, list[Ecart]]:
    """The value coerced to the schema's types where the OPCOs tolerate another form, and the
    deviations found, in document order. A value that cannot be coerced is left as it is
    (schema validation then refuses it)."""
    ecarts: list[Ecart] = []
    return _marcher(valeur, schema, chemin, ecarts), ecarts


def _marcher(valeur: t.Any, schema: t.Any, chemin: tuple, ecarts: list[Ecart]) -> t.Any:
    if not isinstance(schema, dict):
        return valeur
    if isinstance(valeur, dict):
        return _objet(valeur, schema, chemin, ecarts)
    if isinstance(valeur, list):
        items = schema.get("items")
        if not isinstance(items, dict):
            return valeur
        return [_marcher(v, items, (*chemin, i), ecarts) for i, v in enumerate(valeur)]
    if isinstance(valeur, str):
        valeur = _texte(valeur, schema, chemin, ecarts)
    return _correspondance(valeur, schema, chemin, ecarts)


def _correspondance(valeur: t.Any, schema: dict, chemin: tuple, ecarts: list[Ecart]) -> t.Any:
    """A code of an older nomenclature that the norm's enumeration does not have, read as the
    norm's code (`x-correspondance-codes` in the spec: old code → norm code). A code both
    nomenclatures have is the norm's: nothing tells them apart."""
    table = schema.get("x-correspondance-codes")
    if not isinstance(table, dict) or isinstance(valeur, bool) or not isinstance(valeur, int):
        return valeur
    if valeur in (schema.get("enum") or ()):
        return valeur
    cible = table.get(str(valeur))
    if cible is None:
        return valeur
    ecarts.append((OLD_NOMENCLATURE, field_path(chemin)))
    return cible


def _objet(valeur: dict, schema: dict, chemin: tuple, ecarts: list[Ecart]) -> dict:
    proprietes = schema.get("properties")
    proprietes = proprietes if isinstance(proprietes, dict) else {}
    autres = schema.get("additionalProperties")
    requis = set(schema.get("required") or ())
    sortie: dict = {}
    for cle, v in valeur.items():
        sous = proprietes.get(cle, autres if isinstance(autres, dict) else None)
        if not isinstance(sous, dict):
            sortie[cle] = v
            continue
        if cle not in requis:
            if v == "" and not _accepte_vide(sous):
                ecarts.append((EMPTY_STRING, field_path((*chemin, cle))))
                continue
            if cle in ZERO_POUR_ABSENT and v == 0 and not isinstance(v, bool):
                ecarts.append((ZERO_FOR_ABSENT, field_path((*chemin, cle))))
                continue
        sortie[cle] = _marcher(v, sous, (*chemin, cle), ecarts)
    return sortie


def _accepte_vide(schema: dict) -> bool:
    """Whether the norm accepts "" here (a plain text field): then "" is no deviation."""
    try:
        return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).is_valid("")
    except Exception:  # a schema jsonschema cannot use: treat "" as a value, never drop it
        return True


def _types(schema: dict) -> set[str]:
    types = schema.get("type")
    if isinstance(types, str):
        return {types}
    return {x for x in types if isinstance(x, str)} if isinstance(types, list) else set()


def _texte(valeur: str, schema: dict, chemin: tuple, ecarts: list[Ecart]) -> t.Any:
    types = _types(schema)
    if "string" in types:
        if schema.get("x-norme-date") is True and _date_heure(valeur):
            ecarts.append((DATETIME_AS_DATE, field_path(chemin)))
            return valeur[:10]
        return valeur
    nombre = (
        nombre_texte(valeur, entier="number" not in types)
        if types
        & {
            "integer",
            "number",
        }
        else None
    )
    if nombre is not None:
        ecarts.append((NUMBER_AS_STRING, field_path(chemin)))
        return nombre
    if "boolean" in types and valeur.strip().lower() in _VRAI_FAUX:
        ecarts.append((BOOLEAN_AS_STRING, field_path(chemin)))
        return _VRAI_FAUX[valeur.strip().lower()]
    return valeur


def _date_heure(valeur: str) -> bool:
    """A real date-time (a time part after the date) whose calendar date is kept as written."""
    match = DATE_PATTERN.match(valeur)
    return bool(match and match[4]) and parse_date(valeur) is not None


def nombre_texte(texte: str, *, entier: bool) -> int | float | None:
    """The number a text holds ("12", " 783.91 ", "783,91"), None if it holds none; with
    `entier`, only an integral value (\"35.0\" is 35, \"35.5\" is None)."""
    brut = texte.strip()
    if _ENTIER.fullmatch(brut):
        return int(brut)
    if not _DECIMAL.fullmatch(brut):
        return None
    valeur = float(brut.replace(",", "."))
    if entier:
        return int(valeur) if valeur.is_integer() else None
    return int(valeur) if valeur.is_integer() else valeur


def entete(ecarts: t.Iterable[Ecart], limite: int = 4000) -> str:
    """`CODE=champ,champ; CODE=champ`: every deviation, ASCII, at most `limite` characters
    (beyond, the fields left out are counted: `(+12)`)."""
    par_code: dict[str, list[str]] = {}
    for code, champ in ecarts:
        champs = par_code.setdefault(code, [])
        propre = _ascii(champ)
        if propre not in champs:
            champs.append(propre)
    sortie, omis = "", 0
    for code, champs in par_code.items():
        morceau = ("; " if sortie else "") + code + "="
        for i, champ in enumerate(champs):
            ajout = ("," if i else "") + champ
            if len(sortie) + len(morceau) + len(ajout) > limite - 10:
                omis += len(champs) - i
                break
            morceau += ajout
        else:
            sortie += morceau
            continue
        if not morceau.endswith("="):
            sortie += morceau
    return sortie + (f" (+{omis})" if omis else "")


def _ascii(champ: str) -> str:
    """A field path as a header may carry it: a name sent by the client is cut and cleaned."""
    return re.sub(r"[^A-Za-z0-9_.\[\]-]", "?", champ[:100]) or "?"
