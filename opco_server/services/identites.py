"""Editors, their tokens and CFA keys: issue, verify, replace. Secrets are stored hashed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote_plus

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.clock import Horloge
from opco_server.donnees.opcos import Opco
from opco_server.errors import BadRequest, Forbidden, OAuthError, Unauthorized
from opco_server.models import CfaEnregistre, CleCfa, Editeur
from opco_server.services import partage


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, keys, client secrets are all random)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


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


# --- editors -------------------------------------------------------------------------------


def creer_editeur(
    session: Session,
    horloge: Horloge,
    nom: str,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[Editeur, str]:
    client_id = client_id or "editeur-" + secrets.token_hex(6)
    client_secret = client_secret or secrets.token_urlsafe(32)
    editeur = Editeur(
        client_id=client_id,
        nom=nom,
        secret_hash=digest(client_secret),
        cree_le=horloge.maintenant(),
    )
    session.add(editeur)
    session.flush()
    return editeur, client_secret


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


def expirer_jetons(
    session: Session, opco_id: str | None = None, editeur_id: int | None = None
) -> datetime:
    """Expire now (real time) the tokens issued so far, of one OPCO and/or one editor if given:
    their next call answers 401 AUTH_TOKEN_EXPIRED. Returns the instant of the cut."""
    return partage.revoquer_jetons(session, opco_id, editeur_id, partage.EXPIRATION)


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


# --- CFA keys ------------------------------------------------------------------------------


def generer_cle(
    session: Session,
    horloge: Horloge,
    opco: Opco,
    siren: str,
    jours: int | None = None,
    cle: str | None = None,
) -> tuple[CleCfa, str]:
    """Generate the CFA's key at this OPCO; it replaces any previous key of that SIREN."""
    if not siren.isdigit() or len(siren) != 9:
        raise BadRequest.one("ID_SIREN_FORMAT", "Le SIREN doit comporter 9 chiffres.", "siren")
    now = horloge.maintenant()
    fin = (now + timedelta(days=jours if jours is not None else opco.duree_cle_jours)).date()
    if cle is None:
        cle = (
            _cle_jwt(session, siren, now, fin)
            if opco.dialecte.forme_cle == "jwt"
            else secrets.token_hex(20)
        )
    existing = session.scalar(
        select(CleCfa).where(CleCfa.opco_id == opco.id, CleCfa.siren == siren)
    )
    if existing is None:
        existing = CleCfa(
            opco_id=opco.id, siren=siren, cle_hash=digest(cle), cree_le=now, date_fin_validite=fin
        )
        session.add(existing)
    else:
        existing.cle_hash, existing.cree_le = digest(cle), now
        existing.date_fin_validite, existing.revoquee_le = fin, None
    session.flush()
    return existing, cle


# OPCO EP's keys are Keycloak-issued JWTs (realm interopco-cfa, client portailaa) whose
# preferred_username is the CFA's SIRET (norm.md §1.2). The sandbox only compares their
# hash, like any key; the signature uses this public demo secret.
SECRET_JWT_DEMO = "opco-sandbox-keycloak-demo-signing-secret"


def _cle_jwt(session: Session, siren: str, now: datetime, fin: date) -> str:
    import jwt

    cfa = session.scalar(select(CfaEnregistre).where(CfaEnregistre.siren == siren))
    siret = cfa.etablissements[0].siret if cfa and cfa.etablissements else f"{siren}00000"
    expire = datetime(fin.year, fin.month, fin.day, 23, 59, 59, tzinfo=UTC)
    claims = {
        "iss": "https://sandbox.opco.local/realms/interopco-cfa",
        "azp": "portailaa",
        "typ": "Bearer",
        "preferred_username": siret,
        "jti": secrets.token_hex(8),
        "iat": int(now.timestamp()),
        "exp": int(expire.timestamp()),
    }
    return jwt.encode(claims, SECRET_JWT_DEMO, algorithm="HS256")


def _cle(commun: partage.Instantane, opco_id: str, key: str) -> partage.CleConnue | None:
    """The key of this OPCO with this value, among the keys this worker holds (revoked or not)."""
    found = commun.cles.get(digest(key))
    return found if found is not None and found.opco_id == opco_id else None


def verifier_cle(commun: partage.Instantane, horloge: Horloge, opco_id: str, key: str) -> str:
    """The SIREN behind a valid key of this OPCO (from the keys this worker holds)."""
    found = _cle(commun, opco_id, key)
    if found is None or found.revoquee:
        raise Forbidden.one(
            "AUTH_KEY_INVALID",
            "Clé API CFA inconnue pour cet OPCO : générez-la sur l'espace en ligne de l'OPCO.",
        )
    if found.date_fin_validite < horloge.aujourdhui():
        raise Forbidden.one(
            "AUTH_KEY_EXPIRED",
            f"Clé API CFA expirée depuis le {found.date_fin_validite:%d/%m/%Y} : "
            "générez-en une nouvelle.",
        )
    return found.siren


@dataclass(frozen=True)
class KeyInfo:
    status: str
    date_fin_validite: date | None
    comment: str | None


def info_cle(
    commun: partage.Instantane, horloge: Horloge, opco_id: str, siren: str, key: str
) -> KeyInfo:
    """cfakeyinfo (norm.md E2): is this key the valid key of this SIREN at this OPCO?"""
    found = _cle(commun, opco_id, key)
    if found is None or found.siren != siren or found.revoquee:
        return KeyInfo("error", None, "Clé inconnue pour ce SIREN auprès de cet OPCO.")
    if found.date_fin_validite < horloge.aujourdhui():
        return KeyInfo("error", found.date_fin_validite, "Clé expirée.")
    return KeyInfo("success", found.date_fin_validite, None)
