"""Each request schema compiled once: jsonschema-rs says whether a value is valid, jsonschema
explains only an invalid one.

Connexion 3.3 builds its validators at every request (RequestValidationOperation.__call__,
and a jsonschema validator per access of `_validator`); here each schema is compiled once
(`compiled`): jsonschema-rs gives the verdict, about 20 times faster than jsonschema on the
demo Cerfa (bench/validation.py), and only an invalid value goes through jsonschema, whose
errors are translated as they always were (opco_server.http.traduction). Whatever the sandbox
checks by Python's rules (patterns with `re`, formats, `x-norme-date`) jsonschema-rs checks by
calling the same Python code, so both say valid or invalid alike
(tests/unit/test_validation_compilee.py).
"""

from __future__ import annotations

import re
import threading
import typing as t
from collections import OrderedDict

import jsonschema_rs
from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator, ValidationError, validators

from opco_server.wire import parse_date


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
