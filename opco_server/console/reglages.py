"""The tester's settings: the profile (the OPCOs' dialects or the strict norm), back to the
demo data (everything or one OPCO), the shipped scenarios, each OPCO's simulated faults;
through the control API's services. Destructive actions ask for a ticked confirmation."""

from __future__ import annotations

from opco_server.console import libelles, pages
from opco_server.console.pages import ERREUR
from opco_server.http import context
from opco_server.services import pannes, reglages, scenarios
from opco_server.services.partage import PROFIL_STRICT

PROFILS = {
    "dialectes": "Dialectes des OPCO",
    "norme-stricte": "Norme stricte partout",
}
# The faults form: wire name -> (label, reader of the field; empty: None).
CHAMPS_PANNES = {
    "latenceMs": ("Latence (ms)", int),
    "tauxErreur": ("Taux d'erreur (0 à 1)", lambda texte: float(texte.replace(",", "."))),
    "quotaParMinute": ("Quota par minute", int),
    "retryAfter": ("Retry-After (s)", int),
    "maintenanceDebut": ("Début de maintenance", str),
    "maintenanceFin": ("Fin de maintenance", str),
}
# Left unchanged when empty (the others are cleared: no quota, no maintenance window).
CONSERVES_SI_VIDES = ("latenceMs", "tauxErreur", "retryAfter")
CONFIRMER = "confirmer"


def reglages_page():  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    return pages.page(
        "console_reglages.html",
        profil=sandbox.etat.profil,
        profils=PROFILS,
        opcos=list(sandbox.opcos),
        scenarios=scenarios.lister(sandbox),
        pannes=pannes.toutes(sandbox),
    )


def changer_profil():  # type: ignore[no-untyped-def]
    profil = pages.form("profil")

    def action() -> str:
        reglages.changer_profil(context.sandbox(), profil)
        if profil == PROFIL_STRICT:
            return "Profil « norme stricte » : les onze OPCO appliquent la norme seule, sans leur dialecte."
        return "Profil « dialectes » : chaque OPCO répond de nouveau avec ses particularités."

    return pages.agir(action, "console.reglages_page")


def reinitialiser():  # type: ignore[no-untyped-def]
    sandbox, opco_id = context.sandbox(), pages.form("opco") or None
    if pages.form(CONFIRMER) != "oui":
        pages.flash(
            ERREUR,
            "Cochez la case de confirmation : la réinitialisation efface les dossiers, factures, "
            "pièces, clés et pannes, puis recharge les données de démonstration.",
        )
        return pages.retour("console.reglages_page")

    def action() -> str:
        duree = reglages.reinitialiser(sandbox, opco_id)
        if opco_id is None:
            return f"Sandbox réinitialisée (données de démonstration) en {duree:.0f} ms."
        nom = reglages.opco(sandbox, opco_id).nom
        return f"{nom} : données réinitialisées (démonstration) en {duree:.0f} ms."

    return pages.agir(action, "console.reglages_page")


def charger_scenario(nom: str):  # type: ignore[no-untyped-def]
    if pages.form(CONFIRMER) != "oui":
        pages.flash(
            ERREUR,
            "Un scénario repart toujours des données de démonstration : cochez « Réinitialiser "
            "d'abord toute la sandbox » pour confirmer l'effacement des données actuelles.",
        )
        return pages.retour("console.reglages_page")

    def action() -> str:
        dossiers = scenarios.charger(context.sandbox(), nom)
        liste = ", ".join(
            f"{ref} n° {d['numeroInterne']} ({libelles.etat_dossier(d['etat'])})"
            for ref, d in dossiers.items()
        )
        return f"Scénario « {nom} » chargé : {len(dossiers)} dossier(s){' : ' if liste else ''}{liste}."

    return pages.agir(action, "console.reglages_page")


# --- faults, per OPCO (the form is on the OPCO's page) ------------------------------------


def _valeurs_pannes() -> dict[str, object] | str:
    """The form as the control API's body, or the error to show."""
    corps: dict[str, object] = {}
    for nom, (libelle, lire) in CHAMPS_PANNES.items():
        texte = pages.form(nom)
        if not texte:
            if nom not in CONSERVES_SI_VIDES:
                corps[nom] = None
            continue
        try:
            corps[nom] = lire(texte)
        except ValueError:
            return f"« {libelle} » : valeur invalide ({texte[:40]})."
    return corps


def regler_pannes(opco_id: str):  # type: ignore[no-untyped-def]
    opco = reglages.opco(context.sandbox(), opco_id)
    corps = _valeurs_pannes()
    if isinstance(corps, str):
        pages.flash(ERREUR, corps)
        return pages.retour("console.espace_opco", opco_id=opco.id)

    def action() -> str:
        panne = pannes.regler(context.session(), opco.id, pannes.depuis_json(corps))
        resume = pannes.en_json(opco.id, panne)
        return (
            f"Pannes simulées chez {opco.nom} : latence {resume['latenceMs']} ms, taux d'erreur "
            f"{resume['tauxErreur']}, quota {resume['quotaParMinute'] or 'aucun'}, maintenance "
            f"{resume['maintenanceDebut'] or '—'} → {resume['maintenanceFin'] or '—'}."
        )

    return pages.agir(action, "console.espace_opco", opco_id=opco.id)


def supprimer_pannes(opco_id: str):  # type: ignore[no-untyped-def]
    opco = reglages.opco(context.sandbox(), opco_id)

    def action() -> str:
        pannes.supprimer(context.session(), opco.id)
        return f"Plus aucune panne simulée chez {opco.nom}."

    return pages.agir(action, "console.espace_opco", opco_id=opco.id)


ROUTES = (
    ("/reglages", "reglages_page", reglages_page, ("GET",)),
    ("/reglages/profil", "changer_profil", changer_profil, ("POST",)),
    ("/reglages/reinitialisation", "reinitialiser", reinitialiser, ("POST",)),
    ("/reglages/scenarios/<nom>", "charger_scenario", charger_scenario, ("POST",)),
    ("/opco/<opco_id>/pannes", "regler_pannes", regler_pannes, ("POST",)),
    ("/opco/<opco_id>/pannes/suppression", "supprimer_pannes", supprimer_pannes, ("POST",)),
)
