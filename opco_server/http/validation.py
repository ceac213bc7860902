"""Request validation that reports every problem at once, in the norm's error format.

Connexion's default validators stop at the first error and answer problem+json; these
subclasses collect all of them and raise one BadRequest listing each with a stable code,
the field path (`champ`) and a French description (opco_server.http.traduction). Each
schema is compiled once (opco_server.http.compilation).
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl

import flask
from connexion.datastructures import MediaTypeDict
from connexion.validators import VALIDATOR_MAP as CONNEXION_VALIDATORS
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
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
from opco_server.http.compilation import compiled
from opco_server.http.context import SCOPE_ECARTS, SCOPE_OPCO, SCOPE_PARTIES, SCOPE_SANDBOX
from opco_server.http.traduction import error_items
from opco_server.wire import JsonRefuse, charger_json


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
        if not raw and not self._required:
            return _SANS_CORPS  # an optional body left out
        if not text.strip():
            if not self._required:
                # Blanks are not a JSON text, nor an absent body (which has no byte at all).
                raise BadRequest.one(
                    "JSON_INVALID",
                    "Le corps n'est pas un JSON valide : il ne contient que des blancs.",
                )
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
