"""DPoP proofs (RFC 9449) required by AFDAS on the token endpoint: opco_server/http/dpop.py."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from opco_server.http.dpop import DESCRIPTIONS, DPoPError, PreuveDPoP, thumbprint, verifier_preuve

URL = "https://api-cfa-recette.afdas.com/oauth2/token"
MAINTENANT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
IAT = int(MAINTENANT.timestamp())


@pytest.fixture(scope="module")
def cle() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def autre_cle() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_public(cle: rsa.RSAPrivateKey) -> dict:
    return RSAAlgorithm.to_jwk(cle.public_key(), as_dict=True)


def claims(**changes: object) -> dict:
    base = {"jti": "6f1c3a0e-1b7d-4e44-9d0b-2a1f7c0c9e11", "htm": "POST", "htu": URL, "iat": IAT}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def preuve(
    cle: rsa.RSAPrivateKey,
    *,
    jwk: dict | None = None,
    typ: str | None = "dpop+jwt",
    sans_jwk: bool = False,
    **changes: object,
) -> str:
    headers: dict = {"jwk": jwk if jwk is not None else jwk_public(cle)}
    if typ is not None:
        headers["typ"] = typ
    if sans_jwk:
        del headers["jwk"]
    return jwt.encode(claims(**changes), cle, algorithm="RS256", headers=headers)


def verifier(proof: str | None, *, url: str = URL, maintenant: datetime = MAINTENANT, **kw):
    kw.setdefault("deja_vus", lambda jti: False)
    return verifier_preuve(proof, methode="POST", url=url, maintenant=maintenant, **kw)


def code(proof: str | None, **kw) -> str:
    with pytest.raises(DPoPError) as exc:
        verifier(proof, **kw)
    assert exc.value.description == str(exc.value).split(": ", 1)[1]
    return exc.value.code


def b64(obj: object) -> str:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- valid proofs ---------------------------------------------------------------------------


def test_valid_proof_returns_jti_thumbprint_and_iat(cle):
    vus = []
    resultat = verifier(preuve(cle), deja_vus=lambda jti: vus.append(jti) or False)
    assert resultat == PreuveDPoP(
        jti="6f1c3a0e-1b7d-4e44-9d0b-2a1f7c0c9e11", thumbprint=thumbprint(jwk_public(cle)), iat=IAT
    )
    assert vus == ["6f1c3a0e-1b7d-4e44-9d0b-2a1f7c0c9e11"]


def test_surrounding_whitespace_and_extra_claims_are_tolerated(cle):
    assert verifier("  " + preuve(cle, nonce="abc", exp=IAT + 60) + "\n").iat == IAT


def test_jwk_extra_public_members_are_accepted_and_not_hashed(cle):
    jwk = {**jwk_public(cle), "alg": "RS256", "kid": "k1", "use": "sig"}
    assert verifier(preuve(cle, jwk=jwk)).thumbprint == thumbprint(jwk_public(cle))


def test_typ_is_compared_case_insensitively(cle):
    assert verifier(preuve(cle, typ="DPoP+JWT")).jti


# --- missing / malformed --------------------------------------------------------------------


@pytest.mark.parametrize("proof", [None, "", "   "])
def test_missing(proof):
    assert code(proof) == "DPOP_MISSING"


@pytest.mark.parametrize(
    "proof",
    [
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.###",
        b64({"typ": "dpop+jwt", "alg": "RS256"}) + "." + b64(b"not json") + ".c2ln",
        b64({"typ": "dpop+jwt", "alg": "RS256"}) + "." + b64([1, 2]) + ".c2ln",
        b64(b"[1]") + "." + b64({"jti": "x"}) + ".c2ln",
        "a" * 9000 + ".b.c",
    ],
)
def test_malformed(proof):
    assert code(proof) == "DPOP_MALFORMED"


# --- header: typ, alg, jwk ------------------------------------------------------------------


@pytest.mark.parametrize("typ", [None, "JWT", "at+jwt", "dpop"])
def test_wrong_typ(cle, typ):
    assert code(preuve(cle, typ=typ)) == "DPOP_TYP"


def test_hs256_refused(cle):
    headers = {"typ": "dpop+jwt", "jwk": jwk_public(cle)}
    proof = jwt.encode(claims(), "s" * 64, algorithm="HS256", headers=headers)
    assert code(proof) == "DPOP_ALG"


def test_alg_none_refused(cle):
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": jwk_public(cle)}
    assert code(b64(header) + "." + b64(claims()) + ".") == "DPOP_ALG"


def test_other_asymmetric_alg_refused():
    cle_ec = ec.generate_private_key(ec.SECP256R1())
    headers = {"typ": "dpop+jwt", "jwk": ECAlgorithm.to_jwk(cle_ec.public_key(), as_dict=True)}
    assert code(jwt.encode(claims(), cle_ec, algorithm="ES256", headers=headers)) == "DPOP_ALG"


def test_missing_jwk(cle):
    assert code(preuve(cle, sans_jwk=True)) == "DPOP_JWK"


def test_missing_jwk_tolerated_skips_the_signature_but_checks_the_claims(cle, autre_cle):
    """`dialectes`: production clients sign without `jwk`; nothing to verify the signature with
    (any key signs), the claims are still checked."""
    resultat = verifier(preuve(autre_cle, sans_jwk=True), jwk_facultatif=True)
    assert resultat.jwk_absent and resultat.thumbprint == "" and resultat.iat == IAT
    assert code(preuve(cle, sans_jwk=True, htm="GET"), jwk_facultatif=True) == "DPOP_HTM"
    assert code(preuve(cle, sans_jwk=True, jti=None), jwk_facultatif=True) == "DPOP_JTI_MISSING"
    vu = preuve(cle, sans_jwk=True)
    assert code(vu, jwk_facultatif=True, deja_vus=lambda jti: True) == "DPOP_REPLAY"


def test_an_unusable_jwk_stays_refused_even_when_tolerated(cle):
    assert code(preuve(cle, jwk={"kty": "RSA"}), jwk_facultatif=True) == "DPOP_JWK"
    assert not verifier(preuve(cle), jwk_facultatif=True).jwk_absent


def test_private_key_in_header_refused(cle):
    jwk_prive = RSAAlgorithm.to_jwk(cle, as_dict=True)
    assert "d" in jwk_prive
    assert code(preuve(cle, jwk=jwk_prive)) == "DPOP_JWK"


@pytest.mark.parametrize("membre", ["d", "p", "q", "dp", "dq", "qi", "oth"])
def test_any_private_member_refused(cle, membre):
    assert code(preuve(cle, jwk={**jwk_public(cle), membre: "AQAB"})) == "DPOP_JWK"


def test_non_rsa_or_incomplete_jwk_refused(cle):
    cle_ec = ec.generate_private_key(ec.SECP256R1())
    jwk_ec = ECAlgorithm.to_jwk(cle_ec.public_key(), as_dict=True)
    public = jwk_public(cle)
    for jwk in (
        jwk_ec,
        {"kty": "RSA", "n": public["n"]},
        {"kty": "RSA", "n": public["n"], "e": 65537},
        {"kty": "oct", "k": "c2VjcmV0"},
        {"kty": "RSA", "n": "@@@", "e": "AQAB"},
    ):
        assert code(preuve(cle, jwk=jwk)) == "DPOP_JWK", jwk
    header = {"typ": "dpop+jwt", "alg": "RS256", "jwk": "not an object"}
    assert code(b64(header) + "." + b64(claims()) + ".c2ln") == "DPOP_JWK"


def test_rsa_key_below_2048_bits_refused(cle):
    petite = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert code(preuve(cle, jwk=jwk_public(petite))) == "DPOP_JWK"


# --- signature ------------------------------------------------------------------------------


def test_tampered_signature(cle):
    entete, charge, signature = preuve(cle).split(".")
    milieu = len(signature) // 2
    altere = (
        signature[:milieu] + ("A" if signature[milieu] != "A" else "B") + signature[milieu + 1 :]
    )
    assert code(f"{entete}.{charge}.{altere}") == "DPOP_SIGNATURE"


def test_tampered_claims(cle):
    entete, _, signature = preuve(cle).split(".")
    assert code(f"{entete}.{b64(claims(jti='autre'))}.{signature}") == "DPOP_SIGNATURE"


def test_signed_by_another_key_than_the_jwk(cle, autre_cle):
    assert code(preuve(autre_cle, jwk=jwk_public(cle))) == "DPOP_SIGNATURE"


def test_empty_signature(cle):
    entete, charge, _ = preuve(cle).split(".")
    assert code(f"{entete}.{charge}.") == "DPOP_SIGNATURE"


# --- htm / htu ------------------------------------------------------------------------------


@pytest.mark.parametrize("htm", ["GET", "post", "", 1, None])
def test_wrong_htm(cle, htm):
    with pytest.raises(DPoPError) as exc:
        verifier(preuve(cle, htm=htm))
    assert exc.value.code == "DPOP_HTM"
    assert "POST" in exc.value.description


@pytest.mark.parametrize(
    "htu",
    [
        URL + "?grant_type=client_credentials",
        URL + "#fragment",
        "HTTPS://API-CFA-RECETTE.AFDAS.COM/oauth2/token",
        "https://api-cfa-recette.afdas.com:443/oauth2/token",
    ],
)
def test_htu_ignores_query_fragment_case_and_default_port(cle, htu):
    assert verifier(preuve(cle, htu=htu)).jti


def test_htu_compared_to_url_without_its_query(cle):
    assert verifier(preuve(cle), url=URL + "?a=1").jti


@pytest.mark.parametrize(
    "htu",
    [
        "http://api-cfa-recette.afdas.com/oauth2/token",
        "https://api-cfa.afdas.com/oauth2/token",
        "https://api-cfa-recette.afdas.com/oauth2/token/",
        "https://api-cfa-recette.afdas.com/OAuth2/token",
        "https://api-cfa-recette.afdas.com:8443/oauth2/token",
        "https://api-cfa-recette.afdas.com:notaport/oauth2/token",
        "/oauth2/token",
        "",
        42,
        None,
    ],
)
def test_wrong_htu(cle, htu):
    with pytest.raises(DPoPError) as exc:
        verifier(preuve(cle, htu=htu))
    assert exc.value.code == "DPOP_HTU"
    assert URL in exc.value.description


# --- iat ------------------------------------------------------------------------------------


@pytest.mark.parametrize("decalage", [-300, 300, 0, 0.5, -299.9])
def test_iat_within_the_window_accepted_bounds_included(cle, decalage):
    assert verifier(preuve(cle, iat=IAT + decalage)).iat == math.floor(IAT + decalage)


@pytest.mark.parametrize("decalage", [-301, 301, -300.5, 300.5, -86400, 86400])
def test_iat_outside_the_window_refused(cle, decalage):
    assert code(preuve(cle, iat=IAT + decalage)) == "DPOP_IAT"


@pytest.mark.parametrize("iat", [None, str(IAT), True, 10**400, [IAT]])
def test_iat_missing_or_not_a_number(cle, iat):
    assert code(preuve(cle, iat=iat)) == "DPOP_IAT"


def test_iat_nan_refused(cle):
    # json.dumps writes NaN, which Python's json.loads accepts back.
    assert code(preuve(cle, iat=float("nan"))) == "DPOP_IAT"


def test_iat_uses_the_given_clock_not_the_real_one(cle):
    futur = MAINTENANT + timedelta(days=400)
    assert verifier(preuve(cle, iat=int(futur.timestamp())), maintenant=futur).jti
    assert code(preuve(cle), maintenant=futur) == "DPOP_IAT"


def test_naive_now_is_taken_as_utc(cle):
    assert verifier(preuve(cle), maintenant=MAINTENANT.replace(tzinfo=None)).jti


# --- jti / replay ---------------------------------------------------------------------------


@pytest.mark.parametrize("jti", [None, "", "   ", 123])
def test_missing_jti(cle, jti):
    assert code(preuve(cle, jti=jti)) == "DPOP_JTI_MISSING"


def test_replay_refused(cle):
    deja = {"6f1c3a0e-1b7d-4e44-9d0b-2a1f7c0c9e11"}
    assert code(preuve(cle), deja_vus=deja.__contains__) == "DPOP_REPLAY"
    assert verifier(preuve(cle, jti="nouveau"), deja_vus=deja.__contains__).jti == "nouveau"


def test_deja_vus_not_consulted_when_an_earlier_check_fails(cle):
    appels = []
    code(preuve(cle, htu="https://ailleurs.example/token"), deja_vus=appels.append)
    assert appels == []


# --- order and descriptions ------------------------------------------------------------------


def test_first_problem_in_documented_order_wins(cle, autre_cle):
    tout_faux = {"htm": "GET", "htu": "https://x.example/", "iat": 0, "jti": None}
    vu = {"deja_vus": lambda jti: True}
    assert code(preuve(cle, typ="JWT", **tout_faux), **vu) == "DPOP_TYP"
    assert code(preuve(autre_cle, jwk=jwk_public(cle), **tout_faux), **vu) == "DPOP_SIGNATURE"
    assert code(preuve(cle, **tout_faux), **vu) == "DPOP_HTM"
    assert code(preuve(cle, **{**tout_faux, "htm": "POST"}), **vu) == "DPOP_HTU"
    assert code(preuve(cle, **{**tout_faux, "htm": "POST", "htu": URL}), **vu) == "DPOP_IAT"
    assert code(preuve(cle, htm="POST", htu=URL, jti=None), **vu) == "DPOP_JTI_MISSING"
    assert code(preuve(cle), **vu) == "DPOP_REPLAY"


def test_every_code_has_a_french_description():
    assert set(DESCRIPTIONS) == {
        "DPOP_MISSING",
        "DPOP_MALFORMED",
        "DPOP_TYP",
        "DPOP_ALG",
        "DPOP_JWK",
        "DPOP_SIGNATURE",
        "DPOP_HTM",
        "DPOP_HTU",
        "DPOP_IAT",
        "DPOP_JTI_MISSING",
        "DPOP_REPLAY",
    }
    for code_, description in DESCRIPTIONS.items():
        assert "Preuve DPoP" in description, code_
        assert DPoPError(code_).code == code_


# --- RFC 7638 thumbprint ---------------------------------------------------------------------

RFC7638_JWK = {
    "kty": "RSA",
    "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY36"
    "8QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
    "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_thumbprint_matches_rfc_7638_example():
    assert thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_ignores_member_order_and_optional_members():
    reordonne = {"e": RFC7638_JWK["e"], "n": RFC7638_JWK["n"], "kty": "RSA"}
    assert thumbprint(reordonne) == thumbprint(RFC7638_JWK)


def test_thumbprint_rejects_unknown_or_incomplete_keys():
    with pytest.raises(ValueError):
        thumbprint({"kty": "XYZ"})
    with pytest.raises(ValueError):
        thumbprint({"kty": "RSA", "n": "abc"})
