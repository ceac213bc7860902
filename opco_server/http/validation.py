"""Request validation that reports every problem at once, in the norm's error format.

Connexion's default validators stop at the first error and answer problem+json; these
subclasses collect all of them and raise one BadRequest listing each with a stable code,
the field path (`champ`) and a French description.

Connexion 3.3 builds its validators at every request (RequestValidationOperation.__call__,
and a jsonschema validator per access of `_validator`); here each schema is compiled once
(`compiled`): jsonschema-rs gives the verdict, about 20 times faster than jsonschema on the
demo Cerfa (bench/validation.py), and only an invalid value goes through jsonschema, whose
errors are translated as they always were. Whatever the sandbox checks by Python's rules
(patterns with `re`, formats, `x-norme-date`) jsonschema-rs checks by calling the same
Python code, so both say valid or invalid alike (tests/unit/test_validation_compilee.py).
"""

from __future__ import annotations

import json
import re
import threading
import typing as t
from collections import OrderedDict
from urllib.parse import parse_qsl

import flask
import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError, validators
from python_multipart.exceptions import MultipartParseError
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from opco_server.errors import (
    BadRequest,
    ErrorItem,
    OAuthError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from opco_server.http import tolerance
from opco_server.http.context import SCOPE_ECARTS, SCOPE_OPCO, SCOPE_PARTIES, SCOPE_SANDBOX
from opco_server.masquage import masquer_texte, nature
from opco_server.wire import JsonRefuse, charger_json, field_path, parse_date
from rules.identifiants import iban_masque, nir_masque

_TYPES_FR = {
    "string": "une chaîne de caractères",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "un booléen (true/false)",
    "object": "un objet",
    "array": "une liste",
}


def _check_norm_date(validator, enabled, instance, schema):  # type: ignore[no-untyped-def]
    """`x-norme-date: true`: the value, when a non-empty string, is a real calendar date."""
    if enabled and isinstance(instance, str) and instance and parse_date(instance) is None:
        yield ValidationError("not a calendar date", validator="x-norme-date")


# Connexion's request validator (OpenAPI `nullable`) plus the calendar check of dates.
NormValidator = validators.extend(Draft4RequestValidator, {"x-norme-date": _check_norm_date})


class CompiledSchema:
    """One schema's validators, built once: jsonschema-rs says whether a value is valid, and
    only an invalid one is walked again by NormValidator, whose errors the norm's items
    translate. `formats`: whether `format` is checked (Draft 4's checker), as connexion does
    for JSON bodies and parameters but not for forms."""

    __slots__ = ("_explain", "_verdict", "schema")

    def __init__(self, schema: dict, formats: bool = True) -> None:
        self.schema = schema  # kept: the cache is keyed by its id
        checker = Draft4Validator.FORMAT_CHECKER if formats else None
        self._explain = NormValidator(schema, format_checker=checker)
        self._verdict = _rust_validator(schema, formats)

    def errors(self, instance: t.Any) -> t.Iterable[ValidationError]:
        if self._verdict is not None:
            try:
                if self._verdict.is_valid(instance):
                    return ()
            except (ValueError, TypeError, OverflowError, RecursionError):
                pass  # a value jsonschema-rs cannot take (a lone surrogate…): jsonschema alone
        return self._explain.iter_errors(instance)


_COMPILED: OrderedDict[tuple[int, bool], CompiledSchema] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
# Every schema of both specs (bodies, parameters) fits; more only when many apps are built in
# one process (the tests), and then the least recently used go.
COMPILED_MAX = 2048


def compiled(schema: dict, formats: bool = True) -> CompiledSchema:
    """The schema's validators, compiled at its first use. Connexion hands the same resolved
    dict to every request of an operation, so its id is the key (the entry keeps the dict
    alive: the id cannot be reused while the entry is there)."""
    key = (id(schema), formats)
    with _COMPILED_LOCK:
        found = _COMPILED.get(key)
        if found is not None and found.schema is schema:
            _COMPILED.move_to_end(key)
            return found
    built = CompiledSchema(schema, formats)
    with _COMPILED_LOCK:
        _COMPILED[key] = built
        _COMPILED.move_to_end(key)
        while len(_COMPILED) > COMPILED_MAX:
            _COMPILED.popitem(last=False)
    return built


class _PythonPattern:
    """`pattern` for jsonschema-rs, matched by Python's `re` as jsonschema does (`$` before a
    final newline, Python's `\\s`…): Rust's regular expressions differ at the edges."""

    def __init__(self, parent: dict, value: t.Any, schema_path: list) -> None:
        self._search = re.compile(value).search

    def validate(self, instance: t.Any) -> None:
        if isinstance(instance, str) and not self._search(instance):
            raise ValueError("pattern")


class _PythonFormat:
    """`format` for jsonschema-rs, checked by jsonschema's own Draft 4 format checker."""

    def __init__(self, parent: dict, value: t.Any, schema_path: list) -> None:
        self._format = value

    def validate(self, instance: t.Any) -> None:
        if not Draft4Validator.FORMAT_CHECKER.conforms(instance, self._format):
            raise ValueError("format")


class _NormDate:
    """`x-norme-date` for jsonschema-rs: _check_norm_date's test."""

    def __init__(self, parent: dict, value: t.Any, schema_path: list) -> None:
        self._enabled = bool(value)

    def validate(self, instance: t.Any) -> None:
        if (
            self._enabled
            and isinstance(instance, str)
            and instance
            and parse_date(instance) is None
        ):
            raise ValueError("x-norme-date")


_PATTERN, _FORMAT = "x-python-pattern", "x-python-format"
_RUST_KEYWORDS = {_PATTERN: _PythonPattern, _FORMAT: _PythonFormat, "x-norme-date": _NormDate}


class _NotForRust(Exception):
    """A schema whose meaning jsonschema-rs would not keep (patternProperties)."""


def _rust_validator(schema: dict, formats: bool) -> t.Any:
    """jsonschema-rs's Draft 4 validator of the same schema, or None if it cannot have one."""
    try:
        rust = _for_rust(schema, formats)
        return jsonschema_rs.Draft4Validator(rust, validate_formats=False, keywords=_RUST_KEYWORDS)
    except Exception:  # a schema jsonschema-rs refuses: jsonschema alone, as before
        return None


_SCHEMA_MAPS = frozenset({"properties", "definitions"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_ONE = frozenset({"not", "items", "additionalProperties", "additionalItems"})


def _for_rust(schema: t.Any, formats: bool) -> t.Any:
    """The schema as jsonschema-rs validates it like NormValidator: OpenAPI's `nullable` as a
    `null` type (and enumeration value), `pattern` and `format` by Python."""
    if isinstance(schema, list):
        return [_for_rust(s, formats) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _for_rust(sub, formats) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS or key in _SCHEMA_ONE:
            out[key] = _for_rust(value, formats)
        elif key == "dependencies" and isinstance(value, dict):
            out[key] = {
                k: v if isinstance(v, list) else _for_rust(v, formats) for k, v in value.items()
            }
        elif key == "patternProperties":
            raise _NotForRust(key)
        elif key == "pattern":
            out[_PATTERN] = value
        elif key == "format":
            if formats:
                out[_FORMAT] = value
        else:
            out[key] = value
    # connexion's allow_nullable: a null passes `type` and `enum` where the schema is nullable.
    if schema.get("x-nullable") is True or schema.get("nullable"):
        types = out.get("type")
        if isinstance(types, str):
            out["type"] = [types, "null"]
        elif isinstance(types, list) and "null" not in types:
            out["type"] = [*types, "null"]
        enum = out.get("enum")
        if isinstance(enum, list) and None not in enum:
            out["enum"] = [*enum, None]
    return out


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


def ecarts_toleres(scope: t.Mapping) -> list | None:
    """The request's list of norm deviations when the sandbox tolerates them (the norm's API
    under the `dialectes` profile), else None: the norm applies as written."""
    from opco_server.services.partage import PROFIL_DIALECTES

    ecarts = scope.get(SCOPE_ECARTS)
    sandbox = scope.get(SCOPE_SANDBOX)
    if ecarts is None or sandbox is None or SCOPE_OPCO not in scope:
        return None
    return ecarts if sandbox.etat.profil == PROFIL_DIALECTES else None


# What _parse returns for an empty optional body, so that it is not confused with a `null` one
# (a JSON value that the schema, an object, refuses).
_SANS_CORPS = object()


class NormJSONBodyValidator(JSONRequestBodyValidator):
    """JSON bodies: all schema violations at once, dates checked on the calendar.

    Under the `dialectes` profile, what the OPCOs tolerate is first coerced to the norm's types
    (opco_server.http.tolerance), each deviation recorded in the scope; the handler then reads the
    coerced body, not the one sent."""

    _tolere: t.Any = None  # the coerced body, when coercion changed something

    async def _parse(self, stream, scope):  # type: ignore[no-untyped-def]
        raw = b"".join([message async for message in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadRequest.one("JSON_INVALID", "Le corps n'est pas encodé en UTF-8.") from exc
        if not text.strip():
            if not self._required:
                return _SANS_CORPS
            raise BadRequest.one("REQ_FIELD_MISSING", "Le corps de la requête est vide.", "corps")
        try:
            body = charger_json(text)
        except JsonRefuse as exc:
            raise BadRequest.one(
                exc.code, f"Le corps n'est pas un JSON valide : {exc}.", exc.champ
            ) from exc
        ecarts = ecarts_toleres(scope)
        if ecarts is not None:
            body, trouves = tolerance.tolerer(body, self._schema)
            if trouves:
                ecarts.extend(trouves)
                self._tolere = body
        return body

    async def wrap_receive(self, receive, *, scope):  # type: ignore[no-untyped-def]
        replay, new_scope = await super().wrap_receive(receive, scope=scope)
        if self._tolere is None:
            return replay, new_scope
        # The body sent was read from `receive`: the handler reads the coerced one instead.
        return self._insert_body(receive, body=self._tolere, scope=new_scope)

    def _validate(self, body: t.Any) -> None:
        if body is _SANS_CORPS:
            return  # an optional body left out; an explicit `null` is validated like any value
        items = error_items(compiled(self._schema).errors(body))
        if items:
            raise BadRequest(*items)


# A text part (the JSON of a multipart body) is at most this long: the size Flask accepts
# when the handler reads the form again (beyond, werkzeug would answer its own 413).
TAILLE_MAX_PARTIE: int = flask.Flask.default_config["MAX_FORM_MEMORY_SIZE"]

# Starlette's parser speaks English; the norm's descriptions are French.
_MULTIPART_FR = (
    ("Missing boundary", "paramètre « boundary » absent de l'en-tête Content-Type"),
    ("The Content-Disposition header", "partie sans nom (Content-Disposition sans « name »)"),
    ("Too many files", "trop de fichiers"),
    ("Too many fields", "trop de parties"),
)


class _PartiesStrictes(MultiPartParser):
    """Starlette's multipart parser, as strict as Flask's that the handler uses next: part
    headers and text parts in UTF-8 (no silent Latin-1 fallback that would store mangled
    text, no form that Flask then reads as empty) and text parts of TAILLE_MAX_PARTIE bytes
    at most."""

    def on_header_end(self) -> None:
        try:
            bytes(self._current_partial_header_value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest.one(
                "REQUEST_INVALID",
                "Formulaire multipart mal formé : en-tête de partie non encodé en UTF-8.",
            ) from exc
        super().on_header_end()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None and len(part.data) + end - start > TAILLE_MAX_PARTIE:
            raise PayloadTooLarge.one(
                "PAYLOAD_TOO_LARGE",
                f"La partie « {part.field_name} » dépasse {TAILLE_MAX_PARTIE} octets.",
                part.field_name,
            )
        super().on_part_data(data, start, end)

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            try:
                bytes(part.data).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise BadRequest.one(
                    "JSON_INVALID",
                    f"La partie « {part.field_name} » n'est pas encodée en UTF-8.",
                    part.field_name,
                ) from exc
        super().on_part_end()


def _multipart_fr(exc: Exception) -> str:
    message = str(getattr(exc, "message", exc))
    for prefix, french in _MULTIPART_FR:
        if message.startswith(prefix):
            return french
    return "données multipart invalides"


class NormMultiPartValidator(MultiPartFormDataValidator):
    """Multipart bodies (JSON part + file): every schema error reported at once.

    The JSON parts are decoded here as JSON (already typed): connexion's form coercion
    assumes every property has a `type`, which the norm's loose fields do not. Uploaded
    files are closed once seen; the handler reads Flask's own copy of the body.
    """

    async def _parse(self, stream, scope):  # type: ignore[no-untyped-def]
        headers = Headers(scope=scope)
        if "content-type" not in headers:
            # connexion assumes the operation's media type; without a boundary, no parsing.
            raise UnsupportedMediaType.one(
                "MEDIA_TYPE_UNSUPPORTED",
                "En-tête Content-Type absent : envoyez multipart/form-data.",
            )
        try:
            form = await _PartiesStrictes(headers, stream).parse()
        except (MultiPartException, MultipartParseError) as exc:
            raise BadRequest.one(
                "REQUEST_INVALID", f"Formulaire multipart mal formé : {_multipart_fr(exc)}."
            ) from exc
        await form.close()
        properties = self._schema.get("properties", {})
        data: dict[str, t.Any] = {}
        for key in form:
            values = form.getlist(key)
            if any(isinstance(v, UploadFile) for v in values):
                data[key] = "" if len(values) == 1 else [""] * len(values)
            else:
                data[key] = _decode_part(key, values, properties.get(key, {}))
        ecarts = ecarts_toleres(scope)
        if ecarts is not None:
            # The JSON parts, coerced like a JSON body; the handler reads them from the scope
            # (opco_server.api._multipart), not from Flask's copy of the form.
            parties = {}
            for key, value in data.items():
                if isinstance(value, dict | list) and isinstance(properties.get(key), dict):
                    data[key], trouves = tolerance.tolerer(value, properties[key], (key,))
                    if trouves:
                        ecarts.extend(trouves)
                        parties[key] = data[key]
            scope[SCOPE_PARTIES] = parties
        return data

    def _validate(self, body: t.Any) -> None:
        if not isinstance(body, dict):
            raise BadRequest.one("REQUEST_INVALID", "Formulaire multipart attendu.")
        items: list[ErrorItem] = []
        if self._strict_validation:
            extra = sorted(set(body) - set(self._schema.get("properties", {})))
            items += [ErrorItem("PARAM_UNKNOWN", f"Partie inconnue : « {k} ».", k) for k in extra]
        items += error_items(compiled(self._schema, formats=False).errors(body))
        if items:
            raise BadRequest(*items)


def _decode_part(key: str, values: list, schema: dict) -> t.Any:
    value = values[0] if len(values) == 1 else values
    if schema.get("type") not in ("object", "array") or not isinstance(value, str):
        return value
    try:
        return charger_json(value)
    except JsonRefuse as exc:
        champ = f"{key}.{exc.champ}" if exc.champ and exc.champ != "corps" else key
        raise BadRequest.one(
            exc.code, f"La partie « {key} » n'est pas un JSON valide : {exc}.", champ
        ) from exc


class NormFormValidator(FormDataValidator):
    """URL-encoded forms (the token endpoint): UTF-8 only, every problem reported at once,
    as an OAuth `invalid_request` (RFC 6749 §5.2) that carries the norm's errors too."""

    async def _parse(self, stream, scope):  # type: ignore[no-untyped-def]
        raw = b"".join([chunk async for chunk in stream])
        try:
            parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise OAuthError.requete_invalide(
                [ErrorItem("REQUEST_INVALID", "Le formulaire n'est pas encodé en UTF-8.")]
            ) from exc

        async def again() -> t.AsyncGenerator[bytes, None]:
            yield raw

        try:
            form = await super()._parse(again(), scope)
        except (MultiPartException, MultipartParseError) as exc:  # more than 1,000 fields
            raise OAuthError.requete_invalide(
                [ErrorItem("REQUEST_INVALID", "Formulaire invalide : 1 000 champs au plus.")]
            ) from exc
        nuls = sorted(k for k, v in _valeurs_formulaire(form) if "\x00" in k or "\x00" in v)
        if nuls:
            raise OAuthError.requete_invalide(
                [
                    ErrorItem("FORMAT_INVALID", "Caractère nul interdit dans un champ.", k[:100])
                    for k in nuls
                ]
            )
        return form

    def _validate(self, body: t.Any) -> None:
        if not isinstance(body, dict):
            raise OAuthError.requete_invalide([ErrorItem("REQUEST_INVALID", "Formulaire attendu.")])
        items: list[ErrorItem] = []
        if self._strict_validation:
            extra = sorted(set(body) - set(self._schema.get("properties", {})))
            items += [ErrorItem("PARAM_UNKNOWN", f"Paramètre inconnu : « {k} ».", k) for k in extra]
        items += error_items(compiled(self._schema, formats=False).errors(body))
        if items:
            raise OAuthError.requete_invalide(items)


def _valeurs_formulaire(form: t.Any) -> t.Iterator[tuple[str, str]]:
    """(name, value) of every text field of a parsed form (lists flattened)."""
    if not isinstance(form, dict):
        return
    for key, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                yield str(key), item


class NormParameterValidator(ParameterValidator):
    """Headers, query and path parameters: every missing or invalid one reported."""

    def validate_request(self, request) -> None:  # type: ignore[no-untyped-def]
        items: list[ErrorItem] = []
        if self.strict_validation:
            ecarts = ecarts_toleres(request.scope)
            for name in sorted(
                self.validate_query_parameter_list(request, self.security_query_params)
            ):
                if ecarts is not None:  # ignored, as the OPCOs' servers do
                    ecarts.append((tolerance.PARAM_UNKNOWN, name[:100]))
                    continue
                items.append(
                    ErrorItem("PARAM_UNKNOWN", f"Paramètre de requête inconnu : « {name} ».", name)
                )
        for location in ("header", "query", "path"):
            for param in self.parameters.get(location, []):
                items.extend(self._check(location, param, request))
        if items:
            raise BadRequest(*items)

    def _check(self, location: str, param: dict, request) -> list[ErrorItem]:  # type: ignore[no-untyped-def]
        name = param["name"]
        if location == "header":
            value = request.headers.get(name)
        elif location == "query":
            value = request.query_params.get(name)
        else:
            value = request.path_params.get(name.replace("-", "_"))
        if value is None:
            if not param.get("required"):
                return []
            if location == "header":
                return [ErrorItem("HEADER_MISSING", f"L'en-tête « {name} » est obligatoire.", name)]
            return [
                ErrorItem("REQ_FIELD_MISSING", f"Le paramètre « {name} » est obligatoire.", name)
            ]
        if isinstance(value, str) and "\x00" in value:
            return [
                ErrorItem(
                    "FORMAT_INVALID", f"Le paramètre « {name} » contient un caractère nul.", name
                )
            ]
        schema = param.get("schema", param)
        items = error_items(compiled(schema).errors(value), root=(name,))
        if location == "header":
            items = [
                ErrorItem("HEADER_MISSING", f"L'en-tête « {name} » ne peut pas être vide.", name)
                if i.code == "FORMAT_INVALID" and not value
                else i
                for i in items
            ]
        return items


VALIDATOR_MAP = {
    "parameter": NormParameterValidator,
    "body": MediaTypeDict(
        {
            "*/*json": NormJSONBodyValidator,
            "application/x-www-form-urlencoded": NormFormValidator,
            "multipart/form-data": NormMultiPartValidator,
        }
    ),
    "response": CONNEXION_VALIDATORS["response"],
}
