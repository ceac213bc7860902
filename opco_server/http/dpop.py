"""DPoP proofs (RFC 9449) on the token endpoint, as AFDAS requires them (norm.md §1.2).

A proof is an RS256 JWT sent in the `DPoP` request header; its JOSE header carries
`typ: dpop+jwt`, `alg: RS256` and `jwk` (the client's public RSA key, which verifies the
signature); its claims are `htm`, `htu`, `iat` and `jti`.

This module is pure: the caller passes the sandbox clock's "now" and a `deja_vus(jti)` callable
backed by its database, and records the jti itself once the token request succeeds.
Checks run in a fixed order and the first failure raises `DPoPError`, whose `code` never
changes once published and whose French `description` tells the client what to fix.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

ALGORITHME = "RS256"
TYP = "dpop+jwt"
FENETRE_IAT_SECONDES = 300
TAILLE_MIN_CLE_RSA = 2048
# A proof with a 4096-bit key is ~1.5 KB; anything far larger is refused before parsing.
TAILLE_MAX_PREUVE = 8192

# RFC 7518 §6.3.2: members that only a private RSA key has.
_PARAMETRES_PRIVES_RSA = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
# RFC 7638 §3.2: required members hashed by the thumbprint, per key type.
_MEMBRES_THUMBPRINT = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}
_PORTS_PAR_DEFAUT = {"http": 80, "https": 443}

DESCRIPTIONS = {
    "DPOP_MISSING": "Preuve DPoP absente : envoyez un JWT signé dans l'en-tête « DPoP » de la "
    "requête de jeton (RFC 9449).",
    "DPOP_MALFORMED": "Preuve DPoP illisible : l'en-tête « DPoP » doit contenir un unique JWT "
    "compact (trois segments base64url : en-tête et charge utile JSON, signature).",
    "DPOP_TYP": "Preuve DPoP refusée : l'en-tête JOSE doit porter « typ »: « dpop+jwt ».",
    "DPOP_ALG": "Preuve DPoP refusée : seul l'algorithme « RS256 » est accepté (en-tête JOSE "
    "« alg »).",
    "DPOP_JWK": "Preuve DPoP refusée : l'en-tête JOSE doit porter « jwk », la clé publique RSA "
    "du client (kty « RSA », n, e, 2048 bits au moins) et aucun paramètre de clé privée "
    "(d, p, q, dp, dq, qi, oth).",
    "DPOP_SIGNATURE": "Preuve DPoP refusée : la signature ne correspond pas à la clé publique "
    "« jwk » de l'en-tête ; signez la preuve avec la clé privée associée.",
    "DPOP_HTM": "Preuve DPoP refusée : la revendication « htm » doit être la méthode HTTP de la "
    "requête ({methode}).",
    "DPOP_HTU": "Preuve DPoP refusée : la revendication « htu » doit être l'URL du point de "
    "terminaison de jeton ({url}), sans paramètres de requête ni fragment.",
    "DPOP_IAT": "Preuve DPoP refusée : la revendication « iat » doit être la date d'émission de la "
    "preuve (secondes depuis l'époque Unix), à plus ou moins {fenetre} secondes de l'heure du "
    "serveur ; générez une nouvelle preuve pour chaque requête.",
    "DPOP_JTI_MISSING": "Preuve DPoP refusée : la revendication « jti » (identifiant unique de la "
    "preuve, chaîne non vide) est obligatoire.",
    "DPOP_REPLAY": "Preuve DPoP refusée : cet identifiant « jti » a déjà été utilisé ; générez une "
    "nouvelle preuve, avec un nouveau « jti », pour chaque requête.",
}


class DPoPError(Exception):
    """A refused DPoP proof: `code` is stable, `description` is French and says what to fix."""

    def __init__(self, code: str, description: str | None = None) -> None:
        self.code = code
        self.description = description if description is not None else DESCRIPTIONS[code]
        super().__init__(f"{code}: {self.description}")


@dataclass(frozen=True)
class PreuveDPoP:
    jti: str
    thumbprint: str  # RFC 7638 SHA-256 thumbprint of the header's jwk, base64url without padding
    iat: int
    jwk_absent: bool = False  # accepted without a jwk (signature unchecked, thumbprint "")


def thumbprint(jwk: dict) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of a public key."""
    kty = jwk.get("kty")
    membres = _MEMBRES_THUMBPRINT.get(kty) if isinstance(kty, str) else None
    if membres is None:
        raise ValueError(f"unsupported JWK key type: {kty!r}")
    manquants = [m for m in membres if not isinstance(jwk.get(m), str)]
    if manquants:
        raise ValueError(f"JWK lacks required members: {manquants}")
    canonique = json.dumps(
        {m: jwk[m] for m in membres}, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    )
    digest = hashlib.sha256(canonique.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_preuve(
    proof: str | None,
    *,
    methode: str,
    url: str,
    maintenant: datetime,
    deja_vus: Callable[[str], bool],
    jwk_facultatif: bool = False,
) -> PreuveDPoP:
    """Check a DPoP proof for a request `methode url` at `maintenant`; raise DPoPError if refused.

    `deja_vus(jti)` must return True when the jti was already accepted; it is only called once
    every other check passed. The caller records the returned jti after the request succeeds.
    A naive `maintenant` is taken as UTC.

    `jwk_facultatif` (the `dialectes` profile): a header without `jwk`, as production clients
    send, is accepted; with no key to check it against, the signature is NOT verified (the
    claims still are) and the result says `jwk_absent`, for the caller to record the deviation.
    A `jwk` that is present but unusable is still DPOP_JWK.
    """
    import jwt  # here: PyJWT and cryptography cost every cold start ~50 ms, DPoP is Afdas-only

    if proof is None or not proof.strip():
        raise DPoPError("DPOP_MISSING")
    proof = proof.strip()
    if len(proof) > TAILLE_MAX_PREUVE or proof.count(".") != 2:
        raise DPoPError("DPOP_MALFORMED")
    try:
        brut = jwt.decode_complete(proof, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError):
        raise DPoPError("DPOP_MALFORMED") from None
    entete: dict[str, Any] = brut["header"]
    claims: dict[str, Any] = brut["payload"]

    typ = entete.get("typ")
    if not isinstance(typ, str) or typ.lower() != TYP:
        raise DPoPError("DPOP_TYP")
    if entete.get("alg") != ALGORITHME:
        raise DPoPError("DPOP_ALG")

    jwk_absent = "jwk" not in entete and jwk_facultatif
    if not jwk_absent:
        cle_publique = _cle_publique(entete.get("jwk"))
        try:
            jwt.PyJWS().decode_complete(proof, key=cle_publique, algorithms=[ALGORITHME])
        except jwt.InvalidSignatureError:
            raise DPoPError("DPOP_SIGNATURE") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise DPoPError("DPOP_MALFORMED") from None

    if claims.get("htm") != methode:
        raise DPoPError("DPOP_HTM", DESCRIPTIONS["DPOP_HTM"].format(methode=methode))

    htu = claims.get("htu")
    if not isinstance(htu, str) or _normaliser_url(htu) != _normaliser_url(url):
        attendu = urlsplit(url)._replace(query="", fragment="").geturl()
        raise DPoPError("DPOP_HTU", DESCRIPTIONS["DPOP_HTU"].format(url=attendu))

    iat = claims.get("iat")
    if maintenant.tzinfo is None:
        maintenant = maintenant.replace(tzinfo=UTC)
    if not _iat_dans_la_fenetre(iat, maintenant):
        raise DPoPError("DPOP_IAT", DESCRIPTIONS["DPOP_IAT"].format(fenetre=FENETRE_IAT_SECONDES))

    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti.strip():
        raise DPoPError("DPOP_JTI_MISSING")
    if deja_vus(jti):
        raise DPoPError("DPOP_REPLAY")

    empreinte = "" if jwk_absent else thumbprint(entete["jwk"])
    return PreuveDPoP(jti=jti, thumbprint=empreinte, iat=math.floor(iat), jwk_absent=jwk_absent)


def _iat_dans_la_fenetre(iat: object, maintenant: datetime) -> bool:
    """A JSON number (not a boolean) within ±FENETRE_IAT_SECONDES of `maintenant`, bounds included."""
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return False
    try:
        ecart = abs(float(iat) - maintenant.timestamp())
    except OverflowError:  # an integer too large for a float
        return False
    return math.isfinite(ecart) and ecart <= FENETRE_IAT_SECONDES


def _cle_publique(jwk: object) -> Any:
    """The RSA public key of the header's `jwk`, or DPOP_JWK (absent, not RSA, private, weak)."""
    if (
        not isinstance(jwk, dict)
        or jwk.get("kty") != "RSA"
        or not isinstance(jwk.get("n"), str)
        or not isinstance(jwk.get("e"), str)
        or _PARAMETRES_PRIVES_RSA & jwk.keys()
    ):
        raise DPoPError("DPOP_JWK")
    import jwt
    from jwt.algorithms import RSAAlgorithm

    try:
        cle = RSAAlgorithm.from_jwk({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]})
    except (jwt.PyJWTError, ValueError, TypeError):
        raise DPoPError("DPOP_JWK") from None
    if cle.key_size < TAILLE_MIN_CLE_RSA:
        raise DPoPError("DPOP_JWK")
    return cle


def _normaliser_url(url: str) -> tuple[str, str, int | None, str] | None:
    """Scheme, host, port and path (RFC 3986 §6.2.2–6.2.3 light); None if unparseable."""
    try:
        parties = urlsplit(url.strip())
        schema = parties.scheme.lower()
        hote = (parties.hostname or "").lower()
        port = parties.port
    except ValueError:
        return None
    if not schema or not hote:
        return None
    if port is None or port == _PORTS_PAR_DEFAUT.get(schema):
        port = None
    return schema, hote, port, parties.path or "/"
