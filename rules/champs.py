"""Reading the Cerfa wire dict: dotted paths, dates, integers, names. Pure helpers, no rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def valeur(cerfa: dict, chemin: str) -> object:
    """`valeur(cerfa, "apprenti.nom")`; None when any step is missing or null."""
    node: object = cerfa
    for part in chemin.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def texte(cerfa: dict, chemin: str) -> str | None:
    v = valeur(cerfa, chemin)
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def date_(cerfa: dict, chemin: str) -> date | None:
    v = valeur(cerfa, chemin)
    if not isinstance(v, str):
        return None
    m = _DATE.match(v)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def entier(cerfa: dict, chemin: str) -> int | None:
    v = valeur(cerfa, chemin)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def booleen(cerfa: dict, chemin: str) -> bool:
    return valeur(cerfa, chemin) is True


def renseigne(cerfa: dict, chemin: str) -> bool:
    """A field counts as filled unless missing, null, blank or an empty list."""
    v = valeur(cerfa, chemin)
    return not (v is None or (isinstance(v, str) and not v.strip()) or v == [])


def normaliser_nom(value: str) -> str:
    """Upper-case, accents removed, spaces collapsed: « Léa  Marie » → « LEA MARIE »."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().replace("-", " ").split())
