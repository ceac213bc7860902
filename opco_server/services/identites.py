"""Editors and CFA keys: create, replace, revoke, verify a key. Secrets are stored hashed.

The token endpoint builds on it (services/authentification), so do cfakeyinfo
(services/systeme), the control API and the console."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.donnees.opcos import Opco
from opco_server.errors import BadRequest, Forbidden
from opco_server.horloge import Horloge
from opco_server.models import CfaEnregistre, CleCfa, Editeur
from opco_server.services import cles, partage


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, keys, client secrets are all random)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


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


def expirer_jetons(
    session: Session, opco_id: str | None = None, editeur_id: int | None = None
) -> datetime:
    """Expire now (real time) the tokens issued so far, of one OPCO and/or one editor if given:
    their next call answers 401 AUTH_TOKEN_EXPIRED. Returns the instant of the cut."""
    return partage.revoquer_jetons(session, opco_id, editeur_id, partage.EXPIRATION)


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


def cle_connue(commun: partage.Instantane, opco_id: str, key: str) -> partage.CleConnue | None:
    """The key of this OPCO with this value, among the keys this worker holds (revoked or not)."""
    found = commun.cles.get(digest(key))
    return found if found is not None and found.opco_id == opco_id else None


def etat_cle(found: partage.CleConnue, horloge: Horloge) -> str:
    """The state of a key this worker holds, on the sandbox clock (services.cles decides)."""
    return cles.etat(found.revoquee, found.date_fin_validite, horloge.aujourdhui())


def verifier_cle(commun: partage.Instantane, horloge: Horloge, opco_id: str, key: str) -> str:
    """The SIREN behind a valid key of this OPCO (from the keys this worker holds)."""
    found = cle_connue(commun, opco_id, key)
    etat = cles.REVOQUEE if found is None else etat_cle(found, horloge)
    if etat == cles.REVOQUEE:
        raise Forbidden.one(
            "AUTH_KEY_INVALID",
            "Clé API CFA inconnue pour cet OPCO : générez-la sur l'espace en ligne de l'OPCO.",
        )
    if etat == cles.EXPIREE:
        raise Forbidden.one(
            "AUTH_KEY_EXPIRED",
            f"Clé API CFA expirée depuis le {found.date_fin_validite:%d/%m/%Y} : "
            "générez-en une nouvelle.",
        )
    return found.siren
