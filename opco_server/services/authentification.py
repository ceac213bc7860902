"""The token endpoint (norm.md §1.2): client credentials, DPoP proof, scopes, the signed
access token; and the check of that token on every editor request. No HTTP here: the handler
hands over a `DemandeJeton`."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opco_server.donnees.opcos import Opco
from opco_server.errors import OAuthError, Unauthorized
from opco_server.http import dpop, tolerance
from opco_server.models import JtiDPoP
from opco_server.services import partage
from opco_server.services.identites import digest

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class TokenInfo:
    editeur_id: int
    client_id: str
    scope: str


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class DemandeJeton:
    """A token request as received: its form fields (body and form merged), the headers that
    matter and the endpoint's URL (a DPoP proof names it)."""

    champs: Mapping[str, str]
    autorisation: str | None  # Authorization header (client_secret_basic)
    preuve_dpop: str | None  # DPoP header
    methode: str
    url: str
    # The request's tolerated norm deviations under `dialectes`, None under the strict norm.
    ecarts: list | None


def obtenir_jeton(
    session: Session, sandbox: Sandbox, opco: Opco, demande: DemandeJeton
) -> IssuedToken:
    """POST /{opco}/connect/token: a token for valid client credentials (client_secret_basic
    or client_secret_post, not both), after the DPoP proof and the scopes the OPCO requires."""
    champs = demande.champs
    client_id, client_secret = identifiants_client(
        demande.autorisation, champs.get("client_id"), champs.get("client_secret")
    )
    dialecte = sandbox.dialecte(opco.id)
    if dialecte.dpop or (opco.dialecte.dpop and demande.preuve_dpop):
        # Under the strict norm no proof is required, but one that is sent to an OPCO that
        # uses DPoP is checked by RFC 9449 as written (its `jwk` included).
        # The proof's jti is stored and kept even if the request fails next: the only
        # database write of a token request.
        _verifier_dpop(session, sandbox, demande)
        session.commit()
    if dialecte.scopes is not None:
        verifier_scopes(champs.get("scope"), dialecte.scopes)
    return emettre_jeton(
        sandbox.etat.courant(),
        opco,
        champs.get("grant_type"),
        client_id,
        client_secret,
        champs.get("scope"),
    )


def _verifier_dpop(session: Session, sandbox: Sandbox, demande: DemandeJeton) -> None:
    """RFC 9449 proof on the token request; each jti is accepted once (unique key)."""
    # Under `dialectes`, a proof without `jwk` (as production clients send it) is accepted and
    # recorded as a norm deviation; under `norme-stricte` it stays DPOP_JWK.
    ecarts = demande.ecarts
    try:
        preuve = dpop.verifier_preuve(
            demande.preuve_dpop,
            methode=demande.methode,
            url=demande.url,
            # The proof's iat is the client's real clock, not the sandbox's business time.
            maintenant=datetime.now(UTC),
            deja_vus=lambda jti: session.get(JtiDPoP, jti) is not None,
            jwk_facultatif=ecarts is not None,
        )
        if preuve.jwk_absent and ecarts is not None:
            ecarts.append((tolerance.DPOP_JWK_ABSENT, "DPoP.jwk"))
        session.add(JtiDPoP(jti=preuve.jti, vu_le=sandbox.horloge.maintenant()))
        session.flush()
    except dpop.DPoPError as exc:
        raise OAuthError(400, "invalid_dpop_proof", exc.code, exc.description) from exc
    except IntegrityError as exc:
        session.rollback()
        err = dpop.DPoPError("DPOP_REPLAY")
        raise OAuthError(400, "invalid_dpop_proof", err.code, err.description) from exc


def identifiants_basic(entete: str | None) -> tuple[str, str] | None:
    """The (client_id, client_secret) of an `Authorization: Basic` header (RFC 6749 §2.3.1).

    None without a Basic header (other schemes are not client authentication). Each part is
    form-urlencoded, then joined by a colon and base64-encoded; anything else is refused with
    OAUTH_BASIC_MALFORMED (400 invalid_request), never a server error.
    """
    schema, _, valeur = (entete or "").strip().partition(" ")
    if schema.lower() != "basic":
        return None
    try:
        texte = base64.b64decode(valeur.strip(), validate=True).decode("utf-8")
        client_id, deux_points, client_secret = texte.partition(":")
        if not deux_points:
            raise ValueError("no colon")
        return (
            unquote_plus(client_id, errors="strict"),
            unquote_plus(client_secret, errors="strict"),
        )
    except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise OAuthError(
            400,
            "invalid_request",
            "OAUTH_BASIC_MALFORMED",
            "En-tête « Authorization: Basic » illisible : attendu base64(client_id:client_secret), "
            "chaque partie encodée en application/x-www-form-urlencoded, en UTF-8.",
        ) from exc


def identifiants_client(
    entete: str | None, client_id: str | None, client_secret: str | None
) -> tuple[str | None, str | None]:
    """The client's credentials, from the Basic header (client_secret_basic) or the form
    (client_secret_post). Both may be sent only if they agree (RFC 6749 §2.3: one method)."""
    basic = identifiants_basic(entete)
    if basic is None:
        return client_id, client_secret
    if (client_id and client_id != basic[0]) or (client_secret and client_secret != basic[1]):
        raise OAuthError(
            400,
            "invalid_request",
            "OAUTH_CLIENT_AUTH_CONFLICT",
            "Identifiants client différents dans l'en-tête Authorization (Basic) et dans le "
            "formulaire : utilisez une seule méthode d'authentification du client.",
        )
    return basic


def emettre_jeton(
    commun: partage.Instantane,
    opco: Opco,
    grant_type: str | None,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
) -> IssuedToken:
    """A signed, self-contained access token (JWT, HS256, audience: the OPCO): issuing and
    checking it need no database access; revocation goes through the shared state."""
    if not grant_type or not client_id or not client_secret:
        raise OAuthError(
            400,
            "invalid_request",
            "OAUTH_INVALID_REQUEST",
            "Paramètres obligatoires : grant_type, client_id, client_secret (client_id et "
            "client_secret dans le formulaire ou dans l'en-tête « Authorization: Basic »).",
        )
    if grant_type != "client_credentials":
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "OAUTH_UNSUPPORTED_GRANT",
            "Seul grant_type=client_credentials est accepté.",
        )
    editeur = commun.editeurs_par_client.get(client_id or "")
    # Hash even when the client is unknown, so timing does not reveal which client ids exist.
    presented = digest(client_secret or "")
    if editeur is None or editeur.revoque or not _same(presented, editeur.secret_hash):
        raise OAuthError(
            401,
            "invalid_client",
            "OAUTH_INVALID_CLIENT",
            "Identifiants client (client_id / client_secret) inconnus ou révoqués.",
        )
    import jwt

    # Tokens live on real time, not on the sandbox clock: a test advancing the sandbox by ten
    # days to see an invoice paid keeps its token (business dates follow the sandbox clock).
    maintenant = time.time()
    granted = " ".join((scope or "").split())
    claims = {
        "iss": f"{EMETTEUR_JETONS}/{opco.id}",
        "aud": opco.id,
        "sub": editeur.client_id,
        "eid": editeur.id,
        "scope": granted,
        "iat": maintenant,
        "exp": maintenant + opco.duree_jeton_secondes,
        "jti": secrets.token_hex(8),
    }
    token = jwt.encode(claims, commun.cle_jetons, algorithm="HS256")
    return IssuedToken(token, opco.duree_jeton_secondes, granted)


EMETTEUR_JETONS = "https://opco-sandbox.local"


def verifier_scopes(demande: str | None, connus: tuple[str, ...]) -> None:
    """The OPCO's identity server refuses scopes it does not know (RFC 6749 invalid_scope)."""
    inconnus = [s for s in (demande or "").split() if s not in connus]
    if inconnus:
        attendus = ", ".join(connus) or "aucun"
        raise OAuthError(
            400,
            "invalid_scope",
            "OAUTH_INVALID_SCOPE",
            f"Scope inconnu de cet OPCO : {' '.join(inconnus)} (scopes connus : {attendus}).",
        )


def verifier_jeton(commun: partage.Instantane, opco_id: str, token: str) -> TokenInfo:
    """The editor behind a token of this OPCO: signature, audience, expiry (real time),
    revocations and the editor's own state, all from the shared state this worker holds."""
    claims = commun.jetons_verifies.get((opco_id, token))
    if claims is None:
        claims = _decoder(commun, opco_id, token)
        if len(commun.jetons_verifies) >= JETONS_EN_MEMOIRE:
            commun.jetons_verifies.clear()
        commun.jetons_verifies[(opco_id, token)] = claims
    editeur = commun.editeurs.get(claims["eid"])
    emis, expire = claims["iat"], claims["exp"]
    if editeur is None or editeur.client_id != claims.get("sub"):
        raise _jeton_inconnu()
    revocation = next((r for r in commun.revocations if r.couvre(opco_id, editeur.id, emis)), None)
    if revocation is not None and revocation.motif == partage.REINITIALISATION:
        raise _jeton_inconnu()
    if expire <= time.time() or revocation is not None:
        raise Unauthorized.one(
            "AUTH_TOKEN_EXPIRED", "Jeton d'accès expiré : demandez-en un nouveau."
        )
    if editeur.revoque:
        raise Unauthorized.one("AUTH_TOKEN_INVALID", "Les identifiants de l'éditeur sont révoqués.")
    return TokenInfo(editeur.id, editeur.client_id, claims["scope"])


# Signatures already checked, per shared state (a client sends the same token many times):
# decoding and checking a JWT costs more than the rest of the authentication. Revocations,
# expiry and the editor are still checked at every request.
JETONS_EN_MEMOIRE = 10_000


def _decoder(commun: partage.Instantane, opco_id: str, token: str) -> dict:
    import jwt

    try:
        claims = jwt.decode(
            token,
            commun.cle_jetons,
            algorithms=["HS256"],
            audience=opco_id,
            # Expiry is checked by the caller to the microsecond (PyJWT truncates to seconds).
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "iat", "eid"]},
        )
        return {
            "eid": claims["eid"],
            "sub": claims.get("sub"),
            "scope": str(claims.get("scope", "")),
            "iat": float(claims["iat"]),
            "exp": float(claims["exp"]),
        }
    except (jwt.PyJWTError, TypeError, ValueError, KeyError) as exc:
        raise _jeton_inconnu() from exc


def _jeton_inconnu() -> Unauthorized:
    return Unauthorized.one(
        "AUTH_TOKEN_INVALID",
        "Jeton d'accès inconnu pour cet OPCO : demandez-en un sur /connect/token.",
    )
