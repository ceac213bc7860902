"""What the console shows a French reader: the norm's codes with their labels, amounts, dates
and durations written the French way. Pure functions (no Flask), registered as Jinja filters
by the console (FILTRES).

The code lists are the x-enum-descriptions of spec/openapi.yaml (tests/unit/test_libelles.py
checks them against it); the échéance natures and statuses come from rules/echeancier.py.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rules.calculs import euros, niveau_diplome
from rules.cycle_de_vie import Etat
from rules.echeancier import StatutEcheance

ETATS_DOSSIER = {
    Etat.TRANSMIS: "Transmis",
    Etat.EN_COURS_INSTRUCTION: "En cours d'instruction",
    Etat.ENGAGE: "Engagé",
    Etat.REFUSE: "Refusé",
    Etat.ANNULE: "Annulé",
    Etat.RUPTURE: "Rupture",
    Etat.SOLDE: "Soldé",
}
ETATS_FACTURE = {
    "RECUE": "Reçue",
    "EN_COURS_INSTRUCTION": "En cours d'instruction",
    "REGLE": "Réglée",
    "REJETEE": "Rejetée",
}
TYPES_FACTURE = {"FACTURE": "Facture", "AVOIR": "Avoir"}
NATURES_ECHEANCE = {"AVANCE": "Avance", "M7": "7e mois", "M10": "10e mois", "SOLDE": "Solde"}
STATUTS_ECHEANCE = {
    StatutEcheance.A_VENIR: "à venir",
    StatutEcheance.OUVERTE: "ouverte",
    StatutEcheance.REGLEE: "réglée",
    StatutEcheance.ANNULEE: "annulée",
    StatutEcheance.TROP_PERCU: "trop-perçu",
}
# Who changed a dossier (EvenementDossier.acteur).
ACTEURS = {
    "client": "CFA (API de la norme)",
    "simulateur": "Back-office de l'OPCO (simulé)",
    "pilotage": "API de pilotage",
    "console": "Console",
}
# The simulated back office's next step (Dossier.prochaine_action).
ACTIONS_OPCO = {
    "instruire": "Prise en instruction",
    "decider": "Décision de financement",
    "refus_implicite": "Refus implicite (sans réponse de l'OPCO)",
}

TYPES_CONTRAT = {
    11: "Premier contrat d'apprentissage de l'apprenti",
    21: "Nouveau contrat avec un apprenti qui a terminé son précédent contrat auprès d'un "
    "même employeur",
    22: "Nouveau contrat avec un apprenti qui a terminé son précédent contrat auprès d'un "
    "autre employeur",
    23: "Nouveau contrat avec un apprenti dont le précédent contrat auprès d'un autre employeur "
    "a été rompu",
    31: "Avenant : modification de la situation juridique de l'employeur",
    32: "Avenant : changement d'employeur dans le cadre d'un contrat saisonnier",
    33: "Avenant : prolongation du contrat suite à un échec à l'examen de l'apprenti",
    34: "Avenant : prolongation du contrat suite à la reconnaissance de l'apprenti comme "
    "travailleur handicapé",
    35: "Avenant : modification du diplôme préparé par l'apprenti",
    36: "Avenant : autres changements (maître d'apprentissage, durée de travail hebdomadaire, "
    "réduction de durée, etc.)",
    37: "Avenant : modification du lieu d'exécution du contrat",
    38: "Avenant : modification du lieu principal de réalisation de la formation théorique",
}
DEROGATIONS = {
    11: "Âge de l'apprenti inférieur à 16 ans",
    12: "Âge supérieur à 29 ans : cas spécifiques prévus dans le code du travail",
    21: "Réduction de la durée du contrat ou de la période d'apprentissage",
    22: "Allongement de la durée du contrat ou de la période d'apprentissage",
    50: "Cumul de dérogations",
    60: "Autre dérogation",
}
MODES_CONTRACTUELS = {
    1: "À durée limitée",
    2: "Dans le cadre d'un CDI",
    3: "Entreprise de travail temporaire",
    4: "Activités saisonnières à deux employeurs",
}
TYPES_EMPLOYEUR = {
    11: "Entreprise inscrite au répertoire des métiers ou au registre des entreprises "
    "d'Alsace-Moselle",
    12: "Entreprise inscrite uniquement au registre du commerce et des sociétés",
    13: "Entreprise dont les salariés relèvent de la mutualité sociale agricole",
    14: "Profession libérale",
    15: "Association",
    16: "Autre employeur privé",
    21: "Service de l'État",
    22: "Commune",
    23: "Département",
    24: "Région",
    25: "Établissement public hospitalier",
    26: "Établissement public local d'enseignement",
    27: "Établissement public administratif de l'État",
    28: "Établissement public administratif local (y compris EPCI)",
    29: "Autre employeur public",
    30: "Établissement public industriel et commercial",
}
SITUATIONS = {
    1: "Scolaire",
    2: "Prépa apprentissage",
    3: "Étudiant",
    4: "Contrat d'apprentissage",
    5: "Contrat de professionnalisation",
    6: "Contrat aidé",
    7: "En formation au CFA sous statut de stagiaire de la formation professionnelle, avant la "
    "signature d'un contrat d'apprentissage (L6222-12-1)",
    8: "En formation au CFA sans contrat, suite à la rupture du contrat précédent (5° de L6231-2)",
    9: "Autres situations sous statut de stagiaire de la formation professionnelle",
    10: "Salarié",
    11: "Personne à la recherche d'un emploi",
    12: "Inactif",
}
# apprenti.diplome, apprenti.diplomePrepare and formation.typeDiplome (rules.md §4.3).
DIPLOMES = {
    13: "Aucun diplôme ni titre professionnel",
    25: "Diplôme national du brevet",
    26: "Certificat de formation générale",
    33: "CAP",
    34: "BEP",
    35: "Mention complémentaire",
    38: "Autre diplôme ou titre de niveau CAP/BEP",
    41: "Baccalauréat professionnel",
    42: "Baccalauréat général",
    43: "Baccalauréat technologique",
    49: "Autre diplôme ou titre de niveau bac",
    54: "BTS",
    55: "DUT",
    58: "Autre diplôme ou titre de niveau bac+2",
    61: "Master 1re année",
    62: "Licence professionnelle",
    63: "Licence générale",
    69: "Autre diplôme ou titre de niveau bac+3 ou 4",
    71: "Master professionnel / DESS",
    72: "Master recherche / DEA",
    73: "Master indifférencié",
    74: "Diplôme d'ingénieur, diplôme d'école de commerce",
    79: "Autre diplôme ou titre de niveau bac+5 ou plus",
    80: "Doctorat",
}
# Levels of the national framework (maitre1.niveauDiplomeObtenu; a diploma code's first digit).
NIVEAUX = {
    0: "Aucun diplôme",
    3: "CAP, BEP",
    4: "Baccalauréat",
    5: "DEUG, BTS, DUT, DEUST",
    6: "Licence, licence professionnelle, BUT, maîtrise",
    7: "Master, DEA, DESS, diplôme d'ingénieur",
    8: "Doctorat, habilitation à diriger des recherches",
}
# Cerfa path -> its code list.
CODES = {
    "contrat.typeContratApp": TYPES_CONTRAT,
    "contrat.typeDerogation": DEROGATIONS,
    "contrat.modeContractuel": MODES_CONTRACTUELS,
    "employeur.typeEmployeur": TYPES_EMPLOYEUR,
    "apprenti.situationAvantContrat": SITUATIONS,
    "apprenti.diplome": DIPLOMES,
    "apprenti.diplomePrepare": DIPLOMES,
    "formation.typeDiplome": DIPLOMES,
    "maitre1.niveauDiplomeObtenu": NIVEAUX,
}
DIPLOMES_VISES = {"apprenti.diplomePrepare", "formation.typeDiplome"}  # shown with their level
MONTANTS = {"contrat.salaireEmbauche", "contrat.smc"}
UNITES = (
    ("jour", "jours", 86_400),
    ("heure", "heures", 3_600),
    ("minute", "minutes", 60),
    ("seconde", "secondes", 1),
)


# --- formats ---------------------------------------------------------------------------------


def montant(valeur: Decimal | float | int | str | None) -> str:
    """« 3 160,00 € » (no-break spaces), « — » when there is none."""
    if valeur is None or isinstance(valeur, bool) or valeur == "":
        return "—"
    try:
        return euros(Decimal(str(valeur)))
    except InvalidOperation:
        return str(valeur)


def trop_percu(valeur: Decimal | float | None) -> str:
    return f"Trop-perçu de {montant(valeur)}"


def nombre(valeur: int) -> str:
    """« 12 345 »: the thousands apart by a narrow no-break space."""
    return f"{valeur:,}".replace(",", "\u202f")


def date_fr(valeur: date | datetime | str | None) -> str:
    """« 20/08/2026 »; a string that is not an ISO date is shown as it is."""
    if valeur in (None, ""):
        return "—"
    if isinstance(valeur, str):
        try:
            valeur = date.fromisoformat(valeur[:10])
        except ValueError:
            return valeur
    return f"{valeur:%d/%m/%Y}"


def instant(valeur: datetime | str | None) -> str:
    """« 23/11/2026 09:00:00 UTC » (to the second: no microseconds). The console's instants
    are on the sandbox clock unless a label says « heure réelle »."""
    if valeur in (None, ""):
        return "—"
    if isinstance(valeur, str):
        try:
            valeur = datetime.fromisoformat(valeur)
        except ValueError:
            return valeur
    if valeur.tzinfo is None:
        valeur = valeur.replace(tzinfo=UTC)
    return f"{valeur.astimezone(UTC):%d/%m/%Y %H:%M:%S} UTC"


def duree(secondes: float) -> str:
    """« 4 jours et 3 heures »: the two largest units from the first that is not zero, the
    second rounded (1 jour 2 h 59 min 59 s reads « 1 jour et 3 heures »)."""
    reste = abs(secondes)
    premiere = next((i for i, (*_, n) in enumerate(UNITES) if reste >= n), len(UNITES) - 1)
    pas = UNITES[min(premiere + 1, len(UNITES) - 1)][2]
    total = round(reste / pas) * pas
    premiere = next((i for i, (*_, n) in enumerate(UNITES) if total >= n), len(UNITES) - 1)
    parties = []
    for singulier, pluriel, n in UNITES[premiere : premiere + 2]:
        quantite, total = divmod(total, n)
        if quantite or not parties:
            parties.append(f"{nombre(int(quantite))} {singulier if quantite < 2 else pluriel}")
    return " et ".join(parties)


def decalage(secondes: float) -> str:
    """The free clock's offset: « décalée de 4 jours et 3 heures, en avance sur l'heure
    réelle »."""
    sens = "en avance sur" if secondes > 0 else "en retard sur"
    return f"décalée de {duree(secondes)}, {sens} l'heure réelle"


def en_json(valeur: object) -> str:
    return json.dumps(valeur, ensure_ascii=False, indent=2, sort_keys=True, default=str)


# --- codes -----------------------------------------------------------------------------------


def etat_dossier(code: str | None) -> str:
    return ETATS_DOSSIER.get(code or "", code or "—")


def etat_facture(code: str | None, est_avoir: bool = False) -> str:
    """An avoir is never paid: it is imputed on the dossier's overpayment."""
    if est_avoir and code == "REGLE":
        return "Imputé"
    return ETATS_FACTURE.get(code or "", code or "—")


def type_facture(code: str | None) -> str:
    return TYPES_FACTURE.get(code or "", code or "—")


def nature_echeance(code: str | None) -> str:
    return NATURES_ECHEANCE.get(code or "", code or "—")


def statut_echeance(statut: str | None) -> str:
    return STATUTS_ECHEANCE.get(statut, statut or "—")  # type: ignore[call-overload]


def acteur(code: str | None) -> str:
    return ACTEURS.get(code or "", code or "—")


def action_opco(code: str | None) -> str:
    return ACTIONS_OPCO.get(code or "", code or "—")


def code(valeur: object, chemin: str) -> str:
    """The code at a Cerfa path with its label: « 11 — Premier contrat d'apprentissage de
    l'apprenti »; a diploma aimed at with its level (« 54 — BTS (niveau 5) »); an unknown
    code as it is."""
    entier = valeur if isinstance(valeur, int) and not isinstance(valeur, bool) else None
    libelle = CODES.get(chemin, {}).get(entier) if entier is not None else None
    if entier is None or libelle is None:
        return "—" if valeur in (None, "") else str(valeur)
    if chemin in DIPLOMES_VISES and (niveau := niveau_diplome(entier)) in NIVEAUX:
        libelle = f"{libelle} (niveau {niveau})"
    return f"{entier} — {libelle}"


def valeur_cerfa(chemin: str, valeur: object) -> object:
    """A Cerfa value the French way: codes with their label, amounts in euros, ISO dates as
    dates; anything else as received."""
    if chemin in CODES:
        return code(valeur, chemin)
    if chemin in MONTANTS and isinstance(valeur, int | float | str) and valeur != "":
        return montant(valeur)  # type: ignore[arg-type]
    if isinstance(valeur, str) and len(valeur) == 10 and valeur[4] == "-" and valeur[7] == "-":
        return date_fr(valeur)
    return valeur


# The console's Jinja filters (name -> function), registered on its blueprint.
FILTRES: dict[str, Any] = {
    "console_date": date_fr,
    "console_instant": instant,
    "console_montant": montant,
    "console_trop_percu": trop_percu,
    "console_nombre": nombre,
    "console_duree": duree,
    "console_decalage": decalage,
    "console_json": en_json,
    "console_etat": etat_dossier,
    "console_etat_facture": etat_facture,
    "console_type_facture": type_facture,
    "console_nature_echeance": nature_echeance,
    "console_statut_echeance": statut_echeance,
    "console_acteur": acteur,
    "console_action_opco": action_opco,
    "console_code": code,
}
