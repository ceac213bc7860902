"""Control API: profile, reset, scenarios, journal, conformance, faults, editors and keys."""

from __future__ import annotations

from opco_server.api._responses import ok
from opco_server.http import context
from opco_server.services import (
    cles,
    conformite,
    editeurs,
    identites,
    journal,
    pannes,
    reglages,
    scenarios,
)


def consulter_profil():
    return ok({"profil": context.sandbox().etat.profil})


def changer_profil(body: dict):
    reglages.changer_profil(context.sandbox(), body["profil"])
    return consulter_profil()


def reinitialiser(body: dict | None = None):
    opco = (body or {}).get("opco")
    duree = reglages.reinitialiser(context.sandbox(), opco)
    return ok({"reinitialise": opco or "tout", "dureeMs": duree})


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
    sandbox, session = context.sandbox(), context.session()
    entrees = journal.consulter(
        sandbox,
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
    return ok(journal.page_json(sandbox, session, entrees))


def conformite_rapport(opco: str | None = None, format_: str = "json"):
    rapports = reglages.rapport_conformite(context.sandbox(), context.session(), opco)
    if format_ == "html":
        return conformite.rapport_html(rapports), 200, {"Content-Type": "text/html"}
    return ok(rapports)


def lire_pannes(opco: str):
    opco_id = reglages.opco(context.sandbox(), opco).id
    return ok(pannes.en_json(opco_id, pannes.lire(context.sandbox(), opco_id)))


def regler_pannes(opco: str, body: dict):
    opco_id, session = reglages.opco(context.sandbox(), opco).id, context.session()
    panne = pannes.regler(session, opco_id, pannes.depuis_json(body))
    session.commit()
    return ok(pannes.en_json(opco_id, panne))


def supprimer_pannes(opco: str):
    opco_id, session = reglages.opco(context.sandbox(), opco).id, context.session()
    pannes.supprimer(session, opco_id)
    session.commit()
    return ok(pannes.en_json(opco_id, None))


def creer_editeur(body: dict):
    session = context.session()
    editeur, secret = editeurs.creer(
        session, context.sandbox().horloge, body["nom"], body.get("clientId")
    )
    session.commit()
    return ok({"clientId": editeur.client_id, "clientSecret": secret})


def revoquer_editeur(client_id: str):
    session = context.session()
    editeurs.revoquer(session, context.sandbox().horloge, client_id)
    session.commit()
    return ok({"clientId": client_id, "revoque": True})


def expirer_jetons(body: dict | None = None):
    """Expire the current access tokens now (all, one OPCO's, one editor's): 401 then renew."""
    body, session = body or {}, context.session()
    opco_id = reglages.opco(context.sandbox(), body["opco"]).id if body.get("opco") else None
    avant = editeurs.expirer_jetons(session, opco_id, body.get("clientId"))
    session.commit()
    return ok({"expiresAvant": avant.isoformat(timespec="microseconds")})


def generer_cle(opco: str, body: dict):
    session, sandbox = context.session(), context.sandbox()
    cle, valeur = identites.generer_cle(
        session, sandbox.horloge, reglages.opco(sandbox, opco), body["siren"], body.get("jours")
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


def revoquer_cle(opco: str, siren: str):
    sandbox = context.sandbox()
    cle = cles.revoquer(context.session(), sandbox.horloge, reglages.opco(sandbox, opco).id, siren)
    context.session().commit()
    return ok({"opco": cle.opco_id, "siren": siren, "revoquee": True})


def expirer_cle(opco: str, siren: str):
    sandbox = context.sandbox()
    cle = cles.expirer(context.session(), sandbox.horloge, reglages.opco(sandbox, opco).id, siren)
    context.session().commit()
    fin = cle.date_fin_validite.isoformat()
    return ok({"opco": cle.opco_id, "siren": siren, "dateFinValidite": fin})
