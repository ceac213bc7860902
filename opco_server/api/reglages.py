"""Control API: profile, reset, scenarios, journal, conformance, faults, editors and keys."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from opco_server.api._responses import instant as _instant
from opco_server.api._responses import ok
from opco_server.errors import BadRequest, NotFound
from opco_server.http import context
from opco_server.models import CleCfa, Editeur, EntreeJournal
from opco_server.services import conformite, identites, journal, pannes, reinitialisation, scenarios


def _opco(opco: str):  # type: ignore[no-untyped-def]
    found = context.sandbox().opcos.get(opco.lower())
    if found is None:
        raise NotFound.one("OPCO_NOT_FOUND", f"OPCO inconnu : « {opco} ».", "opco")
    return found


def consulter_profil():
    return ok({"profil": context.sandbox().etat.profil})


def changer_profil(body: dict):
    context.sandbox().etat.changer_profil(body["profil"])
    return consulter_profil()


def reinitialiser(body: dict | None = None):
    opco = (body or {}).get("opco")
    started = time.perf_counter()
    if opco:
        reinitialisation.reinitialiser_opco(context.sandbox(), _opco(opco).id)
    else:
        reinitialisation.reinitialiser(context.sandbox())
    return ok(
        {
            "reinitialise": opco or "tout",
            "dureeMs": round((time.perf_counter() - started) * 1000, 2),
        }
    )


def lister_scenarios():
    return ok(scenarios.lister(context.sandbox()))


def charger_scenario(nom: str):
    return ok({"scenario": nom, "dossiers": scenarios.charger(context.sandbox(), nom)})


def lire_journal(
    limite: int = 100,
    opco: str | None = None,
    statut: int | None = None,
    cfa: str | None = None,
    client: str | None = None,
    operation: str | None = None,
    code: str | None = None,
    avant: int | None = None,
):
    context.sandbox().journal.flush()
    session = context.session()
    entrees = journal.lister(
        session,
        opco=opco,
        statut=statut,
        cfa=cfa,
        client=client,
        operation=operation,
        code=code,
        limite=limite,
        avant=avant,
    )
    return ok(
        {
            "entrees": [journal.en_json(e) for e in entrees],
            "taille": journal.taille(session),
            "capacite": context.sandbox().settings.journal_max,
        }
    )


def conformite_rapport(opco: str | None = None, format_: str = "json"):
    context.sandbox().journal.flush()
    query = select(EntreeJournal).order_by(EntreeJournal.id)
    if opco:
        query = query.where(EntreeJournal.opco_id == opco.lower())
    absentes = conformite.non_proposees_par_opco(context.sandbox())
    rapports = conformite.rapport(list(context.session().scalars(query)), absentes)
    if format_ == "html":
        return conformite.rapport_html(rapports), 200, {"Content-Type": "text/html"}
    return ok(rapports)


def lire_pannes(opco: str):
    opco_id = _opco(opco).id
    return ok(pannes.en_json(opco_id, pannes.lire(context.sandbox(), opco_id)))


def regler_pannes(opco: str, body: dict):
    opco_id, session = _opco(opco).id, context.session()
    valeurs = {
        "latence_ms": body.get("latenceMs"),
        "taux_erreur": body.get("tauxErreur"),
        "quota_par_minute": body.get("quotaParMinute"),
        "retry_after": body.get("retryAfter"),
        "maintenance_debut": _instant(body.get("maintenanceDebut"), "maintenanceDebut"),
        "maintenance_fin": _instant(body.get("maintenanceFin"), "maintenanceFin"),
    }
    keys = {
        "latenceMs": "latence_ms",
        "tauxErreur": "taux_erreur",
        "quotaParMinute": "quota_par_minute",
        "retryAfter": "retry_after",
        "maintenanceDebut": "maintenance_debut",
        "maintenanceFin": "maintenance_fin",
    }
    panne = pannes.regler(session, opco_id, {keys[k]: valeurs[keys[k]] for k in body if k in keys})
    session.commit()
    return ok(pannes.en_json(opco_id, panne))


def supprimer_pannes(opco: str):
    opco_id, session = _opco(opco).id, context.session()
    pannes.supprimer(session, opco_id)
    session.commit()
    return ok(pannes.en_json(opco_id, None))


def creer_editeur(body: dict):
    session = context.session()
    if body.get("clientId") and session.scalar(
        select(Editeur.id).where(Editeur.client_id == body["clientId"])
    ):
        raise BadRequest.one("EDITOR_EXISTS", "Cet identifiant client existe déjà.", "clientId")
    editeur, secret = identites.creer_editeur(
        session, context.sandbox().horloge, body["nom"], body.get("clientId")
    )
    session.commit()
    return ok({"clientId": editeur.client_id, "clientSecret": secret})


def revoquer_editeur(client_id: str):
    session = context.session()
    editeur = session.scalar(select(Editeur).where(Editeur.client_id == client_id))
    if editeur is None:
        raise NotFound.one("EDITOR_NOT_FOUND", f"Éditeur inconnu : « {client_id} ».", "clientId")
    editeur.revoque_le = context.sandbox().horloge.maintenant()
    session.commit()
    return ok({"clientId": client_id, "revoque": True})


def expirer_jetons(body: dict | None = None):
    """Expire the current access tokens now (all, one OPCO's, one editor's): 401 then renew."""
    body = body or {}
    session = context.session()
    opco_id = _opco(body["opco"]).id if body.get("opco") else None
    editeur_id = None
    if body.get("clientId"):
        editeur_id = session.scalar(select(Editeur.id).where(Editeur.client_id == body["clientId"]))
        if editeur_id is None:
            raise NotFound.one(
                "EDITOR_NOT_FOUND", f"Éditeur inconnu : « {body['clientId']} ».", "clientId"
            )
    avant = identites.expirer_jetons(session, opco_id, editeur_id)
    session.commit()
    return ok({"expiresAvant": avant.isoformat(timespec="microseconds")})


def generer_cle(opco: str, body: dict):
    session, sandbox = context.session(), context.sandbox()
    cle, valeur = identites.generer_cle(
        session, sandbox.horloge, _opco(opco), body["siren"], body.get("jours")
    )
    session.commit()
    return ok(
        {
            "opco": cle.opco_id,
            "siren": cle.siren,
            "cle": valeur,
            "dateFinValidite": cle.date_fin_validite.isoformat(),
        }
    )


def _cle(opco: str, siren: str) -> CleCfa:
    cle = context.session().scalar(
        select(CleCfa).where(CleCfa.opco_id == _opco(opco).id, CleCfa.siren == siren)
    )
    if cle is None:
        raise NotFound.one("KEY_NOT_FOUND", f"Aucune clé pour le SIREN « {siren} ».", "siren")
    return cle


def revoquer_cle(opco: str, siren: str):
    cle = _cle(opco, siren)
    cle.revoquee_le = context.sandbox().horloge.maintenant()
    context.session().commit()
    return ok({"opco": cle.opco_id, "siren": siren, "revoquee": True})


def expirer_cle(opco: str, siren: str):
    cle = _cle(opco, siren)
    cle.date_fin_validite = context.sandbox().horloge.aujourdhui() - timedelta(days=1)
    context.session().commit()
    return ok(
        {"opco": cle.opco_id, "siren": siren, "dateFinValidite": cle.date_fin_validite.isoformat()}
    )
