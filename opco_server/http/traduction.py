"""jsonschema's errors as the norm's error items: a stable code, the field path (`champ`) and a
French description that never shows a NIR, an IBAN or a secret in clear."""

from __future__ import annotations

import json
import typing as t

from jsonschema import ValidationError

from opco_server.errors import ErrorItem
from opco_server.masquage import masquer_texte, nature
from opco_server.wire import field_path
from rules.identifiants import iban_masque, nir_masque

_TYPES_FR = {
    "string": "une chaîne de caractères",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "un booléen (true/false)",
    "object": "un objet",
    "array": "une liste",
}


def _quoted(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _apercu(champ: str, value: object) -> str:
    """The received value as an error text may show it: a NIR, an IBAN, a key or a secret
    never in clear (masked by the field's name, else by the value's shape)."""
    nom = champ.rsplit(".", 1)[-1].split("[", 1)[0]
    genre = nature(nom)
    if genre == "nir":
        return nir_masque(str(value))
    if genre == "iban":
        return iban_masque(str(value))
    if genre in {"cle", "secret"}:
        return "valeur masquée"
    return masquer_texte(_quoted(value))


def error_items(errors: t.Iterable[ValidationError], root: tuple = ()) -> list[ErrorItem]:
    """Translate jsonschema errors into norm error items, one per problem, stable order."""
    items: dict[tuple[str, str], ErrorItem] = {}
    for error in errors:
        path = [*root, *error.absolute_path]
        for item in _translate(error, path):
            items.setdefault((item.champ or "", item.code), item)
    return sorted(items.values(), key=lambda i: (i.champ or "", i.code))


def _translate(error: ValidationError, path: list) -> t.Iterator[ErrorItem]:
    kind = error.validator
    champ = field_path(path) or "corps"
    if kind == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        for name in error.validator_value:
            if name not in instance:
                missing = field_path([*path, name])
                yield ErrorItem(
                    "REQ_FIELD_MISSING", f"Le champ « {missing} » est obligatoire.", missing
                )
    elif kind == "type":
        expected = error.validator_value
        label = (
            _TYPES_FR.get(expected, expected) if isinstance(expected, str) else "d'un autre type"
        )
        if error.instance is None:
            yield ErrorItem(
                "REQ_FIELD_MISSING", f"Le champ « {champ} » ne peut pas être vide (null).", champ
            )
        else:
            yield ErrorItem("TYPE_INVALID", f"Le champ « {champ} » doit être {label}.", champ)
    elif kind == "enum":
        allowed = ", ".join(_quoted(v) for v in error.validator_value)
        yield ErrorItem(
            "ENUM_INVALID",
            f"La valeur {_apercu(champ, error.instance)} du champ « {champ} » n'est pas autorisée "
            f"(valeurs admises : {allowed}).",
            champ,
        )
    elif kind == "additionalProperties" and isinstance(error.instance, dict):
        # `additionalProperties: false` (the control API's bodies): one error per unknown field,
        # named, like an unknown query parameter or multipart part.
        # A hostile name is cut short, never echoed whole.
        known = error.schema.get("properties", {})
        for name in sorted(k for k in error.instance if k not in known):
            extra = field_path([*path, name if len(name) <= 80 else name[:80] + "…"])
            yield ErrorItem("PARAM_UNKNOWN", f"Champ inconnu : « {extra} ».", extra)
    elif kind == "x-norme-date":
        yield ErrorItem(
            "FORMAT_INVALID",
            f"Le champ « {champ} » n'est pas une date valide ({_apercu(champ, error.instance)}).",
            champ,
        )
    else:
        yield ErrorItem("FORMAT_INVALID", _format_message(kind, champ, error), champ)


def _format_message(kind: str, champ: str, error: ValidationError) -> str:
    limit = error.validator_value
    messages = {
        "pattern": f"Le champ « {champ} » n'a pas le format attendu "
        f"(valeur reçue : {_apercu(champ, error.instance)}).",
        "minLength": f"Le champ « {champ} » doit contenir au moins {limit} caractère(s).",
        "maxLength": f"Le champ « {champ} » doit contenir au plus {limit} caractère(s).",
        "minimum": f"Le champ « {champ} » doit être supérieur ou égal à {limit}.",
        "maximum": f"Le champ « {champ} » doit être inférieur ou égal à {limit}.",
        "minItems": f"La liste « {champ} » doit contenir au moins {limit} élément(s).",
        "maxItems": f"La liste « {champ} » doit contenir au plus {limit} élément(s).",
        "additionalProperties": f"L'objet « {champ} » contient un champ inconnu.",
    }
    return messages.get(kind, f"La valeur du champ « {champ} » est invalide.")
