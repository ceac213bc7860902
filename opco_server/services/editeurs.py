"""Editors (OAuth2 clients) as the control API and the console manage them: list, create with a
unique client_id, revoke, expire their access tokens. Their secrets are stored hashed
(services.identites issues and checks them)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opco_server.errors import BadRequest, NotFound
from opco_server.horloge import Horloge
from opco_server.models import Editeur
from opco_server.services import identites

# The control API's pattern (spec/sandbox.yaml, clientId).
CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{3,100}")


def lister(session: Session) -> list[Editeur]:
    return list(session.scalars(select(Editeur).order_by(Editeur.id)))


def trouver(session: Session, client_id: str) -> Editeur:
    editeur = session.scalar(select(Editeur).where(Editeur.client_id == client_id))
    if editeur is None:
        raise NotFound.one("EDITOR_NOT_FOUND", f"Éditeur inconnu : « {client_id} ».", "clientId")
    return editeur


def creer(
    session: Session, horloge: Horloge, nom: str, client_id: str | None = None
) -> tuple[Editeur, str]:
    """A new editor and its secret (returned once, stored hashed); client_id drawn if absent."""
    nom = nom.strip()
    if not nom:
        raise BadRequest.one("EDITOR_NAME_REQUIRED", "Le nom de l'éditeur est obligatoire.", "nom")
    if client_id is not None and not CLIENT_ID.fullmatch(client_id):
        raise BadRequest.one(
            "EDITOR_CLIENT_ID_FORMAT",
            "L'identifiant client compte de 3 à 100 caractères : lettres sans accent, chiffres, "
            "point, tiret, tiret bas.",
            "clientId",
        )
    if client_id and session.scalar(select(Editeur.id).where(Editeur.client_id == client_id)):
        raise BadRequest.one(
            "EDITOR_EXISTS", f"L'identifiant client « {client_id} » existe déjà.", "clientId"
        )
    return identites.creer_editeur(session, horloge, nom, client_id)


def revoquer(session: Session, horloge: Horloge, client_id: str) -> Editeur:
    """The editor's credentials stop working now: no new token, its tokens refused."""
    editeur = trouver(session, client_id)
    editeur.revoque_le = horloge.maintenant()
    session.flush()
    return editeur


def expirer_jetons(
    session: Session, opco_id: str | None = None, client_id: str | None = None
) -> datetime:
    """Expire now the access tokens issued so far (all, one OPCO's and/or one editor's): their
    next call answers 401 AUTH_TOKEN_EXPIRED. Returns the instant of the cut (real time)."""
    editeur_id = trouver(session, client_id).id if client_id else None
    return identites.expirer_jetons(session, opco_id, editeur_id)
