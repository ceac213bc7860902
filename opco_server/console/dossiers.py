"""An OPCO's dossiers: the filtered list, a dossier's page (Cerfa summary, history,
échéancier, invoices, files), and the back office's actions on it: instruct now, force a
legal transition (with a reason, and a date for a rupture); through the control API's services.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import flask

from opco_server.console import filtres, graphiques, libelles, pages
from opco_server.console.pages import ERREUR, INFO, SUCCES
from opco_server.http import context
from opco_server.services import engagements, factures, pilotage, reglages, suivi
from rules.cycle_de_vie import Etat

# Forced transitions offered on a dossier page: target state -> button label (the instruction
# has its own button).
ACTIONS = {
    Etat.ENGAGE: "Engager",
    Etat.REFUSE: "Refuser",
    Etat.ANNULE: "Annuler",
    Etat.RUPTURE: "Rupture",
    Etat.SOLDE: "Solder",
}
# Cerfa summary: section -> (label, path in the Cerfa JSON).
RESUME_CERFA = {
    "Apprenti": [
        ("Nom", "apprenti.nom"),
        ("Prénom", "apprenti.prenom"),
        ("Date de naissance", "apprenti.dateNaissance"),
        ("Diplôme préparé", "apprenti.intituleDiplomePrepare"),
        ("Dernier diplôme obtenu", "apprenti.diplome"),
        ("Situation avant le contrat", "apprenti.situationAvantContrat"),
        ("Courriel", "apprenti.courriel"),
    ],
    "Employeur": [
        ("Dénomination", "employeur.denomination"),
        ("Type d'employeur", "employeur.typeEmployeur"),
        ("SIRET", "employeur.siret"),
        ("Code NAF", "employeur.naf"),
        ("IDCC", "employeur.codeIdcc"),
        ("Salariés", "employeur.nombreDeSalaries"),
    ],
    "Contrat": [
        ("Type de contrat", "contrat.typeContratApp"),
        ("Mode contractuel", "contrat.modeContractuel"),
        ("Dérogation", "contrat.typeDerogation"),
        ("Date de conclusion", "contrat.dateConclusion"),
        ("Début", "contrat.dateDebutContrat"),
        ("Fin", "contrat.dateFinContrat"),
        ("Salaire à l'embauche", "contrat.salaireEmbauche"),
    ],
    "Formation": [
        ("Intitulé", "formation.intituleQualification"),
        ("Diplôme visé", "formation.typeDiplome"),
        ("RNCP", "formation.rncp"),
        ("Code diplôme", "formation.codeDiplome"),
        ("Début", "formation.dateDebutFormation"),
        ("Fin", "formation.dateFinFormation"),
        ("Durée (heures)", "formation.dureeFormation"),
        ("Organisme (SIRET)", "organismeFormation.siret"),
        ("UAI", "organismeFormation.uaiCfa"),
    ],
}


def dossiers(opco_id: str):  # type: ignore[no-untyped-def]
    opco = reglages.opco(context.sandbox(), opco_id)
    args = flask.request.args
    etat, siren = args.get("etat", "").strip(), args.get("cfa", "").strip()
    page = pages.entier(args.get("page"), 1)
    resultat = suivi.page_dossiers(context.session(), opco.id, etat, siren, page)
    return pages.page(
        "console_dossiers.html",
        opco=opco,
        resultat=resultat,
        etat=etat,
        cfa=siren,
        etats=filtres.ETATS,
    )


def _chemin(data: dict[str, Any], path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


def _resume(cerfa: dict[str, Any]) -> dict[str, list[tuple[str, object]]]:
    return {
        section: [
            (label, libelles.valeur_cerfa(path, _chemin(cerfa, path))) for label, path in champs
        ]
        for section, champs in RESUME_CERFA.items()
    }


def dossier(opco_id: str, numero: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    d = pilotage.trouver(session, opco.id, numero)
    factures_dossier = suivi.factures_du_dossier(session, d)
    cibles = pilotage.cibles_possibles(d)
    return pages.page(
        "console_dossier.html",
        opco=opco,
        dossier=d,
        resume=_resume(d.cerfa),
        factures=factures_dossier,
        documents=suivi.pieces_du_dossier(session, d, factures_dossier),
        actions=[(cible, libelle) for cible, libelle in ACTIONS.items() if cible in cibles],
        instruire=pilotage.instruction_possible(d),
        aujourdhui=sandbox.horloge.aujourdhui(),
        en_cours=factures.EN_COURS,
        **_echeancier(d, sandbox.horloge.aujourdhui()),
    )


def _echeancier(d, aujourdhui: date) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The échéancier with each instalment's status today, and its timeline."""
    echeancier = engagements.echeancier(d, aujourdhui)
    return {"echeancier": echeancier, "frise": graphiques.echeancier(echeancier)}


def instruire(opco_id: str, numero: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    d = pilotage.trouver(session, opco.id, numero)

    def action() -> tuple[str, str]:
        instruction = pilotage.instruire_maintenant(session, sandbox, d)
        etat = libelles.etat_dossier(d.etat)
        if instruction.decide:
            return SUCCES, f"Instruction effectuée : le dossier est à l'état {etat}."
        raison = instruction.attente or "l'OPCO attend encore une pièce ou un délai."
        return INFO, f"Instruction effectuée sans décision : le dossier reste {etat}. {raison}"

    return pages.agir(action, "console.dossier", opco_id=opco.id, numero=numero)


def forcer(opco_id: str, numero: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    d = pilotage.trouver(session, opco.id, numero)
    cible, motif = pages.form("etat"), pages.form("motif") or None
    texte = pages.form("date_rupture")
    try:
        date_rupture = date.fromisoformat(texte) if texte else None
    except ValueError:
        pages.flash(ERREUR, "La date de rupture n'est pas une date valide (AAAA-MM-JJ).")
        return pages.retour("console.dossier", opco_id=opco.id, numero=numero)

    def action() -> str:
        pilotage.forcer(session, sandbox, d, cible, motif, date_rupture)
        return f"Le dossier est passé à l'état {libelles.etat_dossier(d.etat)}."

    return pages.agir(action, "console.dossier", opco_id=opco.id, numero=numero)


ROUTES = (
    ("/opco/<opco_id>/dossiers", "dossiers", dossiers, ("GET",)),
    ("/opco/<opco_id>/dossiers/<numero>", "dossier", dossier, ("GET",)),
    ("/opco/<opco_id>/dossiers/<numero>/instruction", "instruire", instruire, ("POST",)),
    ("/opco/<opco_id>/dossiers/<numero>/transition", "forcer", forcer, ("POST",)),
)
