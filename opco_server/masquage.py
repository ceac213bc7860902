"""Masking of secrets and personal data: by field name and by the shape of the value.

Used by the request journal (everything it stores) and by the error body writer (every
description). A NIR, an IBAN, a CFA key, a client secret or a token never leaves the sandbox in
clear, whatever the field is called and wherever the value appears. No Flask here.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rules.identifiants import iban_masque

# A field whose normalised name contains one of these carries a secret.
_SECRETS = ("secret", "token", "password", "motdepasse", "passwd", "apikey", "authorization")
_SECRETS += ("cookie", "dpop", "jeton", "credential")
_CLES = ("cle", "apikey", "xapikey")  # a CFA key: its first 4 characters stay, to tell keys apart
_PUBLICS = ("tokentype", "wwwauthenticate")  # named like secrets, carry none
_NIRS = ("nir", "numerosecuritesociale", "numerosecu", "securitesociale")

# NIR: sex/kind (1-4, 7, 8), year, month, département (digits or 2A/2B), commune, order, key.
_NIR = re.compile(
    r"(?<![0-9A-Za-z])[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3}(?: ?\d{2})?"
    r"(?![0-9A-Za-z])"
)
# IBAN: country, check digits, 11-30 alphanumerics, in one piece or grouped by 4.
_IBAN = re.compile(
    r"(?<![0-9A-Za-z])(?:[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}"
    r"|[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)(?![0-9A-Za-z])"
)
# The sandbox's own secrets: JWT keys (OPCO EP), hex keys (40 hex digits), urlsafe tokens and
# client secrets (secrets.token_urlsafe(32): 43 characters).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_HEX = re.compile(r"(?<![0-9A-Za-z_-])[0-9a-fA-F]{40}(?![0-9A-Za-z_-])")
_URLSAFE = re.compile(r"(?<![0-9A-Za-z_-])(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{43}(?![0-9A-Za-z_-])")


def cle_normalisee(nom: object) -> str:
    """`Client-Secret `, `CLIENT_SECRET`, `clientSecret` -> `clientsecret`."""
    return re.sub(r"[\s_\-.]", "", str(nom)).lower()


def nature(nom: object) -> str | None:
    """What a field of this name carries: "cle", "secret", "iban", "nir" or None."""
    norme = cle_normalisee(nom)
    if not norme:
        return None
    if norme in _PUBLICS:
        return None
    if norme in _CLES or norme.endswith("apikey"):
        return "cle"
    if any(marque in norme for marque in _SECRETS):
        return "secret"
    if "iban" in norme:
        return "iban"
    if norme in _NIRS or norme.endswith("nir"):
        return "nir"
    return None


def masquer_nir(valeur: str) -> str:
    """First character kept: `2**************`."""
    compact = re.sub(r"\s", "", valeur)
    return compact[:1] + "*" * max(0, len(compact) - 1)


def masquer_donnees(texte: str) -> str:
    """NIR- and IBAN-shaped substrings masked (the error body writer's safety net)."""
    texte = _IBAN.sub(lambda m: iban_masque(m[0]), texte)
    return _NIR.sub(lambda m: masquer_nir(m[0]), texte)


# Every shape above needs 13 characters at least (a NIR without its key; the shortest IBAN is
# 14, a JWT 13, a hex key 40, a token 43), and a digit, "eyJ" or a run of 40 hex digits: a
# text without any of them is returned as it is, without running the five patterns.
_LONGUEUR_MIN = 13
_CANDIDAT = re.compile(r"\d|eyJ|[0-9a-fA-F]{40}")


def masquer_texte(texte: str) -> str:
    """NIRs, IBANs, keys, tokens and secrets recognised by their shape, masked; NULs dropped."""
    texte = nettoyer(texte)
    if len(texte) < _LONGUEUR_MIN or _CANDIDAT.search(texte) is None:
        return texte
    texte = _JWT.sub(lambda m: m[0][:4] + "…", texte)
    texte = _HEX.sub(lambda m: m[0][:4] + "…", texte)
    texte = _URLSAFE.sub("***", texte)
    return masquer_donnees(texte)


def nettoyer(texte: str) -> str:
    """What any database accepts: no NUL, no lone surrogate."""
    if "\x00" in texte:
        texte = texte.replace("\x00", "")
    try:
        texte.encode("utf-8")
    except UnicodeEncodeError:
        texte = texte.encode("utf-8", "replace").decode("utf-8")
    return texte


def masquer_valeur(valeur: str, nom: object) -> str:
    """A value shown for a field of this name: masked by the name, else by its shape."""
    genre = nature(nom)
    if genre == "cle":
        return nettoyer(valeur[:4]) + "…" if len(valeur) > 8 else "***"
    if genre == "secret":
        return _secret(valeur, cle_normalisee(nom))
    if genre == "iban":
        return iban_masque(valeur)
    if genre == "nir":
        return masquer_nir(valeur)
    return masquer_texte(valeur)


def _secret(valeur: str, norme: str) -> str:
    # An Authorization header keeps its scheme (Bearer, Basic, DPoP…) to help debugging.
    if norme.endswith("authorization"):
        schema, espace, _ = valeur.strip().partition(" ")
        if espace and schema.isalpha() and len(schema) <= 20:
            return f"{schema} ***"
    return "***"


def masquer(valeur: Any, nom: object = "") -> Any:
    """A JSON-like value with every secret and personal datum masked, by name and by shape.

    Keys are masked too (a NIR may be a key); non-finite numbers become strings (PostgreSQL's
    JSON refuses NaN) and a NIR-shaped integer is masked like a string. Within one value, each
    distinct key is classified once (a page of 50 états repeats the same keys 50 times).
    """
    return _Masqueur().masquer(valeur, nom)


class _Masqueur:
    def __init__(self) -> None:
        self.natures: dict[object, str | None] = {}
        self.cles: dict[object, str] = {}

    def cle(self, nom: object) -> str:
        if nom not in self.cles:
            self.cles[nom] = masquer_texte(str(nom))
        return self.cles[nom]

    def nature(self, nom: object) -> str | None:
        if nom not in self.natures:
            self.natures[nom] = nature(nom)
        return self.natures[nom]

    def masquer(self, valeur: Any, nom: object) -> Any:
        if isinstance(valeur, dict):
            return {self.cle(k): self.masquer(v, k) for k, v in valeur.items()}
        if isinstance(valeur, list | tuple):
            return [self.masquer(v, nom) for v in valeur]
        if isinstance(valeur, bool) or valeur is None:
            return valeur
        if isinstance(valeur, float):
            return valeur if math.isfinite(valeur) else str(valeur)
        if isinstance(valeur, int):
            if self.nature(nom) is None and _NIR.fullmatch(str(valeur)) is None:
                return valeur
            return masquer_valeur(str(valeur), nom)
        if isinstance(valeur, str):
            if not valeur:
                return valeur
            return (
                masquer_texte(valeur) if self.nature(nom) is None else masquer_valeur(valeur, nom)
            )
        return masquer_texte(str(valeur))
