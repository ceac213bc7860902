"""The web console under /console/: the OPCO portal side of the sandbox, in French.

Server-rendered pages (Jinja2, autoescaped) to see the OPCOs, generate CFA keys, create
editors, follow and force dossiers, pay or reject invoices, move the clock, read the request
journal and the conformance report. Handlers stay short: the work is done by the services.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import flask
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from opco_server.console import graphiques, libelles
from opco_server.errors import NormError
from opco_server.http import admin, context
from opco_server.models import (
    Certificat,
    CfaEnregistre,
    CleCfa,
    DocumentLie,
    Dossier,
    Editeur,
    EntreeJournal,
    Facture,
    Fichier,
    LigneFacture,
)
from opco_server.services import (
    acces,
    engagements,
    factures,
    horloge,
    identites,
    pilotage,
    simulateur,
)
from opco_server.services import dossiers as dossiers_service
from opco_server.services import journal as journal_service
from rules.cycle_de_vie import Etat, evenements_possibles, prochain_etat

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco

console = flask.Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
for _nom, _filtre in libelles.FILTRES.items():  # French formats and labels (console/libelles.py)
    console.add_app_template_filter(_filtre, _nom)

PAGE_SIZE = 50
JOURNAL_LIMIT = 200
# The console's session cookie (for /console only: the control API takes the token itself).
LOGIN_COOKIE = "opco_console_session"
FLASH_COOKIE = "opco_console_flash"
CSRF_COOKIE = "opco_console_csrf"
CSRF_FIELD = "csrf"
ACTEUR = "console"
SANS_SESSION = ("console.connexion", "console.favicon")  # what the login page itself shows

ETATS = [e.value for e in Etat]
# Forced transitions offered on a dossier page: target state -> button label.
ACTIONS = {
    "ENGAGE": "Engager",
    "REFUSE": "Refuser",
    "ANNULE": "Annuler",
    "RUPTURE": "Rupture",
    "SOLDE": "Solder",
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


def register_console(flask_app: flask.Flask) -> None:
    """Mount the console on the Flask app of create_app (once)."""
    if "console" in flask_app.blueprints:
        return
    flask_app.register_blueprint(console)


# --- access control, anti-CSRF token, flash messages, rendering --------------------------


def _admin_token() -> str | None:
    return context.sandbox().settings.admin_token


def _logged_in(token: str) -> bool:
    valeur = flask.request.cookies.get(LOGIN_COOKIE, "")
    return acces.session_valide(context.sandbox(), token, valeur)


def _secret() -> bytes:
    """Signs the anti-CSRF tokens and flash messages (shared by the server's workers)."""
    return context.sandbox().secret_console.encode()


def _csrf_cookie() -> str:
    """This browser's random anti-CSRF value, created (and set by _cookies) when absent."""
    if "console_csrf" not in flask.g:
        valeur = flask.request.cookies.get(CSRF_COOKIE, "")
        if not (20 <= len(valeur) <= 100):
            valeur = secrets.token_urlsafe(32)
            flask.g.console_csrf_neuf = True
        flask.g.console_csrf = valeur
    return flask.g.console_csrf


def csrf_token() -> str:
    """The token every console form carries: HMAC of this browser's cookie value. A page of
    another site can neither read the cookie nor compute the HMAC (signed double submit)."""
    mac = hmac.new(_secret(), _csrf_cookie().encode(), hashlib.sha256)
    return mac.hexdigest()


@console.app_template_global("csrf_champ")
def _csrf_champ() -> Markup:
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">')


def _refuser_csrf(raison: str):  # type: ignore[no-untyped-def]
    details = [
        f"Formulaire refusé ({raison}) : rechargez la page de la console et recommencez.",
    ]
    return _page("console_erreur.html", 403, titre="Accès refusé", details=details)


@console.before_request
def _guard():
    request = flask.request
    # A NUL in the path or the query never gets here (RoutingMiddleware: 400); in a form field
    # it would reach the database (PostgreSQL refuses it).
    if any("\x00" in v for v in request.form.values()):
        flask.abort(400)
    if request.method not in admin.SAFE_METHODS:
        # Cross-site form posts (CSRF): a foreign Origin or Sec-Fetch-Site, or no valid
        # token of this browser's cookie, whatever the mode (open sandbox or admin token).
        raison = admin.foreign_origin(request.headers)
        if raison is not None:
            return _refuser_csrf(f"requête d'un autre site : {raison}")
        offert = request.form.get(CSRF_FIELD, "")
        if CSRF_COOKIE not in request.cookies or not hmac.compare_digest(
            offert.encode(), csrf_token().encode()
        ):
            return _refuser_csrf("jeton anti-CSRF absent ou invalide")
    token = _admin_token()
    if token is None or request.endpoint in SANS_SESSION or _logged_in(token):
        return None
    return flask.redirect(flask.url_for("console.connexion", suite=request.path), 303)


def _flash_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_secret(), salt="opco-console-flash")


def _flash(kind: str, text: str) -> None:
    flask.g.setdefault("console_flash_out", []).append([kind, text[:1500]])


def _messages() -> list[list[str]]:
    raw = flask.request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    flask.g.console_flash_read = True
    try:
        return list(_flash_serializer().loads(raw))
    except BadSignature:
        return []


@console.after_request
def _cookies(response: flask.Response) -> flask.Response:
    secure = flask.request.is_secure
    if flask.g.get("console_csrf_neuf"):
        response.set_cookie(
            CSRF_COOKIE,
            flask.g.console_csrf,
            httponly=True,
            samesite="Strict",
            path=admin.CONSOLE_PREFIX,
            secure=secure,
        )
    out = flask.g.get("console_flash_out")
    if out:
        response.set_cookie(
            FLASH_COOKIE,
            _flash_serializer().dumps(out),
            httponly=True,
            samesite="Lax",
            path=admin.CONSOLE_PREFIX,
            secure=secure,
        )
    elif flask.g.get("console_flash_read"):
        response.delete_cookie(FLASH_COOKIE, path=admin.CONSOLE_PREFIX)
    return response


def _page(template: str, status: int = 200, **values: Any):
    html = flask.render_template(
        template, messages=_messages(), auth=_admin_token() is not None, **values
    )
    return html, status, {"Cache-Control": "no-store"}


def _retour(endpoint: str, **values: Any):
    return flask.redirect(flask.url_for(endpoint, **values), 303)


def _erreurs(exc: NormError) -> str:
    return " ".join(item.description for item in exc.items) or "Action impossible."


@console.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    textes = {
        403: "Accès refusé.",
        404: "Page introuvable.",
        405: "Méthode non autorisée sur cette page.",
    }
    texte = textes.get(exc.code or 500, "Erreur.")
    return _page("console_erreur.html", exc.code or 500, titre=texte, details=[])


@console.errorhandler(NormError)
def _norm_error(exc: NormError):
    details = [item.description for item in exc.items]
    return _page("console_erreur.html", exc.status_code, titre="Action impossible", details=details)


# --- small readers ---------------------------------------------------------------------------


def _opco(opco_id: str) -> Opco:
    opco = context.sandbox().opcos.get(opco_id)
    if opco is None:
        flask.abort(404)
    return opco


def _form(name: str) -> str:
    return (flask.request.form.get(name) or "").strip()


def _entier(value: str | None, defaut: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return defaut


def _instant_saisi(value: str) -> datetime | None:
    """A datetime-local field, read as UTC; None when empty, ValueError when malformed."""
    if not value:
        return None
    instant = datetime.fromisoformat(value)
    if not 2000 <= instant.year <= 2100:
        raise ValueError("instant hors de la plage 2000-2100")
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _chemin(data: dict[str, Any], path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)  # type: ignore[assignment]
    return data


# --- home: OPCOs and clock ------------------------------------------------------------------


@console.get("/")
def accueil():
    sandbox = context.sandbox()
    comptes = dossiers_service.etats_par_opco(context.session())
    return _page(
        "console_accueil.html",
        opcos=list(sandbox.opcos),
        comptes=comptes,
        etats=ETATS,
        horloge=horloge.decrire(sandbox.clock),
        graphique=graphiques.etats_par_opco(list(sandbox.opcos), comptes, ETATS, _lien_dossiers),
    )


def _lien_dossiers(opco_id: str, etat: str) -> str:
    return flask.url_for("console.dossiers", opco_id=opco_id, etat=etat)


def _rattraper() -> int:
    """Run what became due on the clock (like the control API), commit; number of changes."""
    sandbox, session = context.sandbox(), context.session()
    transitions = simulateur.traiter(session, sandbox, sandbox.clock.now())
    session.commit()
    return len(transitions)


@console.post("/horloge/avancer")
def horloge_avancer():
    jours, heures = _entier(_form("jours"), 0), _entier(_form("heures"), 0)
    if not (0 <= jours <= 3650 and 0 <= heures <= 87600) or (jours, heures) == (0, 0):
        _flash("erreur", "Indiquez un nombre de jours (3 650 au plus) ou d'heures positif.")
        return _retour("console.accueil")
    context.sandbox().clock.advance(timedelta(days=jours, hours=heures))
    n = _rattraper()
    _flash(
        "succes",
        f"Horloge avancée de {jours} jour(s) et {heures} heure(s) : {n} action(s) du back-office OPCO exécutée(s).",
    )
    return _retour("console.accueil")


@console.post("/horloge/regler")
def horloge_regler():
    return _changer_horloge(lambda clock, instant: clock.set(instant), obligatoire=True)


@console.post("/horloge/figer")
def horloge_figer():
    return _changer_horloge(lambda clock, instant: clock.freeze(instant), obligatoire=False)


def _changer_horloge(action, obligatoire: bool):  # type: ignore[no-untyped-def]
    try:
        instant = _instant_saisi(_form("instant"))
    except ValueError:
        instant, obligatoire = None, True
    if instant is None and obligatoire:
        _flash("erreur", "Indiquez une date et une heure valides (UTC).")
        return _retour("console.accueil")
    action(context.sandbox().clock, instant)
    n = _rattraper()
    _flash("succes", f"Horloge modifiée : {n} action(s) du back-office OPCO exécutée(s).")
    return _retour("console.accueil")


@console.post("/horloge/liberer")
def horloge_liberer():
    context.sandbox().clock.unfreeze()
    _flash("succes", "Horloge libérée : elle avance de nouveau en temps réel.")
    return _retour("console.accueil")


@console.post("/horloge/reinitialiser")
def horloge_reinitialiser():
    context.sandbox().clock.reset()
    n = _rattraper()
    _flash("succes", f"Horloge revenue à l'heure réelle : {n} action(s) exécutée(s).")
    return _retour("console.accueil")


# --- an OPCO: CFAs and their keys, editors ---------------------------------------------------


@dataclass(frozen=True)
class StatutCle:
    libelle: str
    classe: str
    date_fin_validite: date | None
    cree_le: datetime | None


def _statut_cle(cle: CleCfa | None, today: date) -> StatutCle:
    if cle is None:
        return StatutCle("Aucune clé", "neutre", None, None)
    if cle.revoquee_le is not None:
        return StatutCle("Révoquée", "erreur", cle.date_fin_validite, cle.cree_le)
    if cle.date_fin_validite < today:
        return StatutCle("Expirée", "erreur", cle.date_fin_validite, cle.cree_le)
    return StatutCle("Active", "succes", cle.date_fin_validite, cle.cree_le)


def _cfas(opco: Opco) -> list[tuple[CfaEnregistre, StatutCle]]:
    session, today = context.session(), context.sandbox().clock.today()
    cles = {c.siren: c for c in session.scalars(select(CleCfa).where(CleCfa.opco_id == opco.id))}
    cfas = session.scalars(select(CfaEnregistre).order_by(CfaEnregistre.siren)).all()
    return [(cfa, _statut_cle(cles.get(cfa.siren), today)) for cfa in cfas]


@console.get("/opco/<opco_id>/")
def espace_opco(opco_id: str):
    opco = _opco(opco_id)
    editeurs = context.session().scalars(select(Editeur).order_by(Editeur.id)).all()
    return _page("console_opco.html", opco=opco, cfas=_cfas(opco), editeurs=editeurs)


@console.post("/opco/<opco_id>/cfas/<siren>/cle")
def generer_cle(opco_id: str, siren: str):
    """Shown once, never stored in clear: the page is rendered here, not after a redirect."""
    opco, session = _opco(opco_id), context.session()
    cfa = session.scalar(select(CfaEnregistre).where(CfaEnregistre.siren == siren))
    if cfa is None:
        flask.abort(404)
    cle_cfa, cle = identites.generer_cle(session, context.sandbox().clock, opco, siren)
    session.commit()
    return _page("console_cle.html", opco=opco, cfa=cfa, cle=cle, fin=cle_cfa.date_fin_validite)


@console.post("/opco/<opco_id>/editeurs")
def creer_editeur(opco_id: str):
    opco, session = _opco(opco_id), context.session()
    nom, client_id = _form("nom"), _form("client_id") or None
    if not nom:
        _flash("erreur", "Le nom de l'éditeur est obligatoire.")
        return _retour("console.espace_opco", opco_id=opco.id)
    try:
        editeur, secret = identites.creer_editeur(session, context.sandbox().clock, nom, client_id)
        session.commit()
    except IntegrityError:
        session.rollback()
        _flash("erreur", f"L'identifiant client « {client_id} » existe déjà.")
        return _retour("console.espace_opco", opco_id=opco.id)
    return _page("console_editeur.html", opco=opco, editeur=editeur, secret=secret)


@console.post("/opco/<opco_id>/jetons/expirer")
def expirer_jetons(opco_id: str):
    """This OPCO's access tokens expire now: the next call of each client answers 401."""
    opco, session = _opco(opco_id), context.session()
    identites.expirer_jetons(session, opco.id)
    session.commit()
    _flash(
        "succes",
        f"Les jetons d'accès émis jusqu'ici chez {opco.nom} sont expirés : le prochain appel "
        "de chaque client répondra 401.",
    )
    return _retour("console.espace_opco", opco_id=opco.id)


# --- dossiers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageDossiers:
    dossiers: list[Dossier]
    total: int
    page: int
    pages: int


def _page_dossiers(opco: Opco, etat: str, siren: str, page: int) -> PageDossiers:
    query = select(Dossier).where(Dossier.opco_id == opco.id)
    if etat:
        query = query.where(Dossier.etat == etat)
    if siren:
        query = query.where(Dossier.cfa_siren == siren)
    session = context.session()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    dossiers = session.scalars(
        query.order_by(Dossier.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return PageDossiers(list(dossiers), total, page, pages)


@console.get("/opco/<opco_id>/dossiers")
def dossiers(opco_id: str):
    opco = _opco(opco_id)
    args = flask.request.args
    etat, siren = args.get("etat", "").strip(), args.get("cfa", "").strip()
    resultat = _page_dossiers(opco, etat, siren, _entier(args.get("page"), 1))
    return _page(
        "console_dossiers.html", opco=opco, resultat=resultat, etat=etat, cfa=siren, etats=ETATS
    )


@dataclass(frozen=True)
class Document:
    libelle: str
    numero: str
    nom: str
    taille: int
    recu_le: datetime


def _factures_du_dossier(dossier: Dossier) -> list[Facture]:
    ids = select(LigneFacture.facture_id).where(LigneFacture.dossier_id == dossier.id)
    return list(
        context.session().scalars(select(Facture).where(Facture.id.in_(ids)).order_by(Facture.id))
    )


def _documents(dossier: Dossier, factures_dossier: list[Facture]) -> list[Document]:
    session = context.session()
    pieces: list[tuple[str, int]] = [("Convention", c.fichier_id) for c in dossier.conventions]
    pieces += [
        (f"Document ({type_fichier})", fichier_id)
        for type_fichier, fichier_id in session.execute(
            select(DocumentLie.type_fichier, DocumentLie.fichier_id).where(
                DocumentLie.opco_id == dossier.opco_id,
                DocumentLie.type_objet == "DOSSIER_APPRENTISSAGE",
                DocumentLie.id_objet == dossier.numero_interne,
            )
        )
    ]
    pieces += [
        (f"Certificat de réalisation ({type_certificat})", fichier_id)
        for type_certificat, fichier_id in session.execute(
            select(Certificat.type_certificat, Certificat.fichier_id).where(
                Certificat.dossier_id == dossier.id
            )
        )
    ]
    pieces += [(f"Facture {f.numero}", f.fichier_id) for f in factures_dossier]
    fichiers = {
        f.id: f
        for f in session.scalars(select(Fichier).where(Fichier.id.in_([i for _, i in pieces])))
    }
    return [
        Document(libelle, f.numero, f.nom, f.taille, f.recu_le)
        for libelle, fichier_id in pieces
        if (f := fichiers.get(fichier_id)) is not None
    ]


def _actions_possibles(dossier: Dossier) -> list[tuple[str, str]]:
    cibles = {prochain_etat(dossier.etat, ev).value for ev in evenements_possibles(dossier.etat)}
    return [(cible, libelle) for cible, libelle in ACTIONS.items() if cible in cibles]


def _resume(cerfa: dict[str, Any]) -> dict[str, list[tuple[str, object]]]:
    return {
        section: [
            (label, libelles.valeur_cerfa(path, _chemin(cerfa, path))) for label, path in champs
        ]
        for section, champs in RESUME_CERFA.items()
    }


@console.get("/opco/<opco_id>/dossiers/<numero>")
def dossier(opco_id: str, numero: str):
    opco = _opco(opco_id)
    d = pilotage.trouver(context.session(), opco.id, numero)
    factures_dossier = _factures_du_dossier(d)
    return _page(
        "console_dossier.html",
        opco=opco,
        dossier=d,
        resume=_resume(d.cerfa),
        factures=factures_dossier,
        documents=_documents(d, factures_dossier),
        actions=_actions_possibles(d),
        instruire=d.etat in (Etat.TRANSMIS, Etat.EN_COURS_INSTRUCTION),
        aujourdhui=context.sandbox().clock.today(),
        en_cours=factures.EN_COURS,
        **_echeancier(d),
    )


def _echeancier(d: Dossier) -> dict[str, Any]:
    """The échéancier with each instalment's status today, and its timeline."""
    echeancier = engagements.echeancier(d, context.sandbox().clock.today())
    return {"echeancier": echeancier, "frise": graphiques.echeancier(echeancier)}


@console.post("/opco/<opco_id>/dossiers/<numero>/instruction")
def instruire(opco_id: str, numero: str):
    opco, session = _opco(opco_id), context.session()
    d = pilotage.trouver(session, opco.id, numero)
    try:
        pilotage.instruire_maintenant(session, context.sandbox(), d)
        session.commit()
        _flash(
            "succes",
            f"Instruction effectuée : le dossier est à l'état {libelles.etat_dossier(d.etat)}.",
        )
    except NormError as exc:
        session.rollback()
        _flash("erreur", _erreurs(exc))
    return _retour("console.dossier", opco_id=opco.id, numero=numero)


@console.post("/opco/<opco_id>/dossiers/<numero>/transition")
def forcer(opco_id: str, numero: str):
    opco, session = _opco(opco_id), context.session()
    d = pilotage.trouver(session, opco.id, numero)
    cible, motif = _form("etat"), _form("motif") or None
    try:
        date_rupture = date.fromisoformat(_form("date_rupture")) if _form("date_rupture") else None
    except ValueError:
        _flash("erreur", "La date de rupture n'est pas une date valide (AAAA-MM-JJ).")
        return _retour("console.dossier", opco_id=opco.id, numero=numero)
    try:
        pilotage.forcer(session, context.sandbox(), d, cible, motif, date_rupture)
        session.commit()
        _flash("succes", f"Le dossier est passé à l'état {libelles.etat_dossier(d.etat)}.")
    except NormError as exc:
        session.rollback()
        _flash("erreur", _erreurs(exc))
    return _retour("console.dossier", opco_id=opco.id, numero=numero)


# --- invoices --------------------------------------------------------------------------------


def _apres_facture(opco: Opco):
    numero = _form("dossier")
    if numero:
        return _retour("console.dossier", opco_id=opco.id, numero=numero)
    return _retour("console.dossiers", opco_id=opco.id)


@console.post("/opco/<opco_id>/factures/<numero>/reglement")
def regler_facture(opco_id: str, numero: str):
    opco, session, sandbox = _opco(opco_id), context.session(), context.sandbox()
    facture = factures.trouver(session, opco.id, numero)
    try:
        factures.regler(session, sandbox, facture, sandbox.clock.now(), acteur="pilotage")
        session.commit()
        if facture.est_avoir:
            _flash("succes", f"Avoir {facture.numero} imputé sur le trop-perçu (sans virement).")
        else:
            _flash(
                "succes",
                f"Facture {facture.numero} réglée (virement {facture.reference_virement}).",
            )
    except NormError as exc:
        session.rollback()
        _flash("erreur", _erreurs(exc))
    return _apres_facture(opco)


@console.post("/opco/<opco_id>/factures/<numero>/rejet")
def rejeter_facture(opco_id: str, numero: str):
    opco, session, sandbox = _opco(opco_id), context.session(), context.sandbox()
    facture = factures.trouver(session, opco.id, numero)
    motif = _form("motif")
    if not motif:
        _flash("erreur", "Indiquez le motif du rejet : il est communiqué au CFA.")
        return _apres_facture(opco)
    try:
        factures.rejeter(session, facture, sandbox.clock.now(), motif)
        session.commit()
        _flash("succes", f"Facture {facture.numero} rejetée.")
    except NormError as exc:
        session.rollback()
        _flash("erreur", _erreurs(exc))
    return _apres_facture(opco)


# --- journal and conformance -----------------------------------------------------------------


def _filtre_statut(query, statut: str):  # type: ignore[no-untyped-def]
    """ "404" exactly, or a class such as "4xx"; anything else is ignored."""
    if statut.isascii() and statut.isdigit() and len(statut) == 3:
        return query.where(EntreeJournal.statut == int(statut))
    if len(statut) == 3 and statut[0].isdigit() and statut[1:].lower() == "xx":
        low = int(statut[0]) * 100
        return query.where(EntreeJournal.statut >= low, EntreeJournal.statut < low + 100)
    return query


@console.get("/journal")
def journal():
    args = flask.request.args
    opco, statut, cfa = (args.get(k, "").strip() for k in ("opco", "statut", "cfa"))
    context.sandbox().journal.vider()
    query = select(EntreeJournal)
    if opco:
        query = query.where(EntreeJournal.opco_id == opco)
    if cfa:
        query = query.where(EntreeJournal.cfa_siren == cfa)
    query = _filtre_statut(query, statut)
    entrees = (
        context.session()
        .scalars(query.order_by(EntreeJournal.id.desc()).limit(JOURNAL_LIMIT))
        .all()
    )
    tranches = journal_service.statuts_par_tranche(context.session(), opco=opco, cfa=cfa)
    return _page(
        "console_journal.html",
        graphique=graphiques.statuts_journal(tranches),
        entrees=entrees,
        opco=opco,
        statut=statut,
        cfa=cfa,
        opcos=list(context.sandbox().opcos),
        limite=JOURNAL_LIMIT,
    )


@console.get("/journal/<int:entree_id>")
def entree_journal(entree_id: int):
    context.sandbox().journal.vider()
    entree = context.session().get(EntreeJournal, entree_id)
    if entree is None:
        flask.abort(404)
    return _page("console_entree.html", entree=entree)


def _rapport_conformite() -> str | None:
    """The report's self-contained HTML page, or None while the module is not installed."""
    try:
        from opco_server.services import conformite
    except ModuleNotFoundError as exc:
        if exc.name != "opco_server.services.conformite":
            raise
        return None
    context.sandbox().journal.vider()
    entrees = context.session().scalars(select(EntreeJournal).order_by(EntreeJournal.id)).all()
    absentes = conformite.non_proposees_par_opco(context.sandbox())
    return conformite.rapport_html(conformite.rapport(entrees, absentes))


@console.get("/conformite")
def conformite_page():
    disponible = importlib.util.find_spec("opco_server.services.conformite") is not None
    return _page("console_conformite.html", disponible=disponible, graphique=_verdicts())


def _verdicts() -> Markup:
    context.sandbox().journal.vider()
    verdicts = journal_service.verdicts_par_operation(context.session(), context.sandbox())
    return graphiques.verdicts_operations(verdicts)


@console.get("/conformite/rapport")
def conformite_rapport():
    """The printable report, framed by /conformite (a full HTML document of its own)."""
    rapport = _rapport_conformite()
    if rapport is None:
        return _page("console_conformite.html", disponible=False)
    # The report escapes the journal data it shows; no script runs in it.
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "script-src 'none'"}
    return rapport, 200, headers


@console.get("/favicon.svg")
def favicon():
    """The console's icon (<link rel="icon"> of every page, the login page's too)."""
    headers = {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}
    return graphiques.favicon(), 200, headers


# --- login (only when settings.admin_token is set) ------------------------------------------


def _suite_sure(suite: str | None) -> str:
    """Only back into the console: never an open redirect."""
    if suite and suite.startswith("/console/") and not suite.startswith("//"):
        return suite
    return flask.url_for("console.accueil")


@console.route("/connexion", methods=["GET", "POST"])
def connexion():
    token = _admin_token()
    suite = _suite_sure(flask.request.values.get("suite"))
    if token is None:
        return flask.redirect(suite, 303)
    if flask.request.method == "GET":
        return _page("console_connexion.html", suite=suite, erreur=None)
    sandbox, adresse = context.sandbox(), flask.request.remote_addr or "?"
    attente = acces.attente(sandbox, adresse)
    if attente is None and not admin.token_matches(token, flask.request.form.get("jeton", "")):
        acces.echouer(sandbox, adresse)
        return _page("console_connexion.html", 401, suite=suite, erreur="Jeton incorrect.")
    if attente is not None:
        erreur = f"Trop de tentatives échouées depuis cette adresse : réessayez dans {attente} s."
        html, status, headers = _page("console_connexion.html", 429, suite=suite, erreur=erreur)
        return html, status, {**headers, "Retry-After": str(attente)}
    response = flask.redirect(suite, 303)
    response.set_cookie(
        LOGIN_COOKIE,
        acces.ouvrir_session(sandbox, token),
        max_age=int(acces.DUREE_SESSION.total_seconds()),
        httponly=True,
        samesite="Lax",
        path=admin.CONSOLE_PREFIX,
        secure=flask.request.is_secure,
    )
    return response


@console.post("/deconnexion")
def deconnexion():
    """The session ends on the server too: a copy of the cookie is worthless afterwards."""
    acces.fermer_session(context.sandbox(), flask.request.cookies.get(LOGIN_COOKIE, ""))
    response = flask.redirect(flask.url_for("console.connexion"), 303)
    response.delete_cookie(LOGIN_COOKIE, path=admin.CONSOLE_PREFIX)
    return response
