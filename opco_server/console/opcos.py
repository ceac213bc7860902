"""An OPCO's space: its dialect, its CFAs and their keys (generate, revoke), the editors
(create, expire their tokens here), its simulated faults; through the control API's services.

A new key or client_secret is shown once: the form's POST hands it to the page its redirect
leads to (pages.confier), which shows it and forgets it; a reload shows it no more.
"""

from __future__ import annotations

from opco_server.console import pages
from opco_server.console.pages import INFO
from opco_server.http import context
from opco_server.services import cles, editeurs, identites, pannes, reglages

# A key's state on the OPCO's page: label, style.
ETATS_CLES = {
    cles.AUCUNE: ("Aucune clé", "neutre"),
    cles.ACTIVE: ("Active", "succes"),
    cles.REVOQUEE: ("Révoquée", "erreur"),
    cles.EXPIREE: ("Expirée", "erreur"),
}


def espace_opco(opco_id: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    return pages.page(
        "console_opco.html",
        opco=opco,
        cfas=cles.par_cfa(session, opco.id, sandbox.horloge.aujourdhui()),
        etats_cles=ETATS_CLES,
        editeurs=editeurs.lister(session),
        non_proposees=reglages.non_proposees(sandbox, opco),
        dialecte_applique=reglages.dialecte_applique(sandbox),
        panne=pannes.lire(sandbox, opco.id),
    )


# --- CFA keys ------------------------------------------------------------------------------


def generer_cle(opco_id: str, siren: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    cles.cfa(session, siren)  # a registered CFA, or the 404 page
    cle, valeur = identites.generer_cle(session, sandbox.horloge, opco, siren)
    session.commit()
    fin = cle.date_fin_validite.isoformat()
    pages.confier("cle", opco=opco.id, siren=siren, cle=valeur, fin=fin)
    return pages.retour("console.nouvelle_cle", opco_id=opco.id, siren=siren)


def nouvelle_cle(opco_id: str, siren: str):  # type: ignore[no-untyped-def]
    """The key just generated, once; after that, back to the OPCO's space."""
    opco = reglages.opco(context.sandbox(), opco_id)
    cfa = cles.cfa(context.session(), siren)
    secret = pages.reprendre("cle", opco=opco.id, siren=siren)
    if secret is None:
        pages.flash(
            INFO,
            "La clé n'est affichée qu'une fois, juste après sa génération : si vous ne l'avez "
            "pas copiée, générez-en une nouvelle.",
        )
        return pages.retour("console.espace_opco", opco_id=opco.id)
    return pages.page("console_cle.html", opco=opco, cfa=cfa, cle=secret["cle"], fin=secret["fin"])


def revoquer_cle(opco_id: str, siren: str):  # type: ignore[no-untyped-def]
    sandbox = context.sandbox()
    opco = reglages.opco(sandbox, opco_id)

    def action() -> str:
        cles.revoquer(context.session(), sandbox.horloge, opco.id, siren)
        return (
            f"Clé du SIREN {siren} révoquée chez {opco.nom} : ses appels répondent désormais "
            "403 AUTH_KEY_INVALID."
        )

    return pages.agir(action, "console.espace_opco", opco_id=opco.id)


# --- editors and their tokens --------------------------------------------------------------


def creer_editeur(opco_id: str):  # type: ignore[no-untyped-def]
    sandbox, session = context.sandbox(), context.session()
    opco = reglages.opco(sandbox, opco_id)
    nom, client_id = pages.form("nom"), pages.form("client_id") or None

    cree = pages.tenter(lambda: editeurs.creer(session, sandbox.horloge, nom, client_id))
    if cree is None:
        return pages.retour("console.espace_opco", opco_id=opco.id)
    editeur, secret = cree
    pages.confier(
        "editeur", opco=opco.id, nom=editeur.nom, client_id=editeur.client_id, secret=secret
    )
    return pages.retour("console.nouvel_editeur", opco_id=opco.id)


def nouvel_editeur(opco_id: str):  # type: ignore[no-untyped-def]
    """The editor just created and its client_secret, once."""
    opco = reglages.opco(context.sandbox(), opco_id)
    secret = pages.reprendre("editeur", opco=opco.id)
    if secret is None:
        pages.flash(INFO, "Le secret d'un éditeur n'est affiché qu'une fois, à sa création.")
        return pages.retour("console.espace_opco", opco_id=opco.id)
    return pages.page("console_editeur.html", opco=opco, editeur=secret, secret=secret["secret"])


def expirer_jetons(opco_id: str):  # type: ignore[no-untyped-def]
    """This OPCO's access tokens expire now: the next call of each client answers 401."""
    opco = reglages.opco(context.sandbox(), opco_id)

    def action() -> str:
        editeurs.expirer_jetons(context.session(), opco.id)
        return (
            f"Les jetons d'accès émis jusqu'ici chez {opco.nom} sont expirés : le prochain appel "
            "de chaque client répondra 401."
        )

    return pages.agir(action, "console.espace_opco", opco_id=opco.id)


def expirer_jetons_editeur(opco_id: str, client_id: str):  # type: ignore[no-untyped-def]
    """One editor's access tokens at this OPCO expire now (its other OPCOs' are kept)."""
    opco = reglages.opco(context.sandbox(), opco_id)

    def action() -> str:
        editeurs.expirer_jetons(context.session(), opco.id, client_id)
        return (
            f"Les jetons d'accès de l'éditeur « {client_id} » chez {opco.nom} sont expirés : son "
            "prochain appel répondra 401 AUTH_TOKEN_EXPIRED."
        )

    return pages.agir(action, "console.espace_opco", opco_id=opco.id)


ROUTES = (
    ("/opco/<opco_id>/", "espace_opco", espace_opco, ("GET",)),
    ("/opco/<opco_id>/cfas/<siren>/cle", "generer_cle", generer_cle, ("POST",)),
    ("/opco/<opco_id>/cfas/<siren>/cle", "nouvelle_cle", nouvelle_cle, ("GET",)),
    ("/opco/<opco_id>/cfas/<siren>/cle/revocation", "revoquer_cle", revoquer_cle, ("POST",)),
    ("/opco/<opco_id>/editeurs", "creer_editeur", creer_editeur, ("POST",)),
    ("/opco/<opco_id>/editeurs/nouveau", "nouvel_editeur", nouvel_editeur, ("GET",)),
    ("/opco/<opco_id>/jetons/expirer", "expirer_jetons", expirer_jetons, ("POST",)),
    (
        "/opco/<opco_id>/editeurs/<client_id>/jetons/expirer",
        "expirer_jetons_editeur",
        expirer_jetons_editeur,
        ("POST",),
    ),
)
