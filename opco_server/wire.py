"""Wire-format helpers: the norm's dates and field paths."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime

# Plain dates or ISO-8601 date-times with an optional offset (norm.md §1.3).
DATE_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
)


def parse_date(value: object) -> date | None:
    """The calendar date of a wire date, or None when absent, empty or not a real date."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if not isinstance(value, str) or not value:
        return None
    match = DATE_PATTERN.match(value)
    if not match:
        return None
    try:
        if match[4]:  # a date-time: its time and offset must be real too (no T25:61)
            datetime.fromisoformat(value)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def format_date(value: date | None) -> str | None:
    """Dates go out in one form: YYYY-MM-DD (clients parse it, norm.md §1.3)."""
    return value.isoformat() if value else None


def field_path(parts: Iterable[object]) -> str:
    """`cerfa.contrat.remunerationsAnnuelles[0].taux` from a jsonschema path."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_instant(value: str | None) -> datetime | None:
    """An ISO 8601 date-time (`Z` accepted); ValueError when it is not one."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


class JsonRefuse(ValueError):
    """A body that is JSON only to a lenient parser (NaN, lone surrogates, NUL, absurd depth,
    numbers beyond a double's range). `code` and `champ` name the problem and its field."""

    def __init__(self, message: str, code: str = "JSON_INVALID", champ: str | None = None):
        super().__init__(message)
        self.code, self.champ = code, champ


def _refuser_constante(nom: str) -> object:
    raise JsonRefuse(f"valeur non numérique « {nom} » interdite")


def charger_json(texte: str) -> object:
    """Strict JSON: no NaN/Infinity, no lone surrogate, no NUL, bounded depth and integers;
    every refusal is a JsonRefuse (a 400 for the caller), never a server error."""
    try:
        valeur = json.loads(texte, parse_constant=_refuser_constante)
    except JsonRefuse:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefuse(f"{exc.msg} (ligne {exc.lineno}, colonne {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:
        raise JsonRefuse("nombre ou imbrication hors limites") from exc
    _verifier(valeur, 0, ())
    return valeur


def _verifier(valeur: object, profondeur: int, chemin: tuple) -> None:
    if profondeur > 64:
        raise JsonRefuse("imbrication trop profonde (64 niveaux au plus)")
    if isinstance(valeur, float) and not math.isfinite(valeur):
        # 1e400 parses as infinity: never stored (SQLite would give back `Infinity`, which
        # is not JSON; PostgreSQL refuses it).
        champ = field_path(chemin) or "corps"
        raise JsonRefuse(
            f"le nombre du champ « {champ} » dépasse les limites d'un nombre (±1,8e308)",
            "NUMBER_OUT_OF_RANGE",
            champ,
        )
    if isinstance(valeur, str):
        if "\x00" in valeur:
            raise JsonRefuse("caractère nul interdit dans une chaîne")
        try:
            valeur.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JsonRefuse("chaîne avec un caractère Unicode invalide") from exc
    elif isinstance(valeur, dict):
        for cle, item in valeur.items():
            _verifier(cle, profondeur + 1, chemin)
            _verifier(item, profondeur + 1, (*chemin, cle))
    elif isinstance(valeur, list):
        for i, item in enumerate(valeur):
            _verifier(item, profondeur + 1, (*chemin, i))
