"""Dossier use cases: transmit a Cerfa, read it back, list the états. No HTTP, no JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opco_server.donnees.opcos import Opco
from opco_server.errors import BadRequest, ErrorItem, Forbidden, NotFound
from opco_server.models import Dossier, EvenementDossier
from opco_server.services import compteurs, controles, ruptures, simulateur
from rules.cerfa import CerfaVue
from rules.cycle_de_vie import Etat
from rules.doublon import cle_doublon
from rules.formats import libelle_idcc
from rules.registry import Violation

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

# Keys the OPCO owns: whatever the client sends in them is ignored.
CHAMPS_OPCO = ("numeroInterne", "numeroExterne", "numeroDeca", "etat", "commentaireEtat")


@dataclass(frozen=True)
class Emetteur:
    """Who transmits: the CFA (from its key), the editor (from its token), the software."""

    siren: str
    editeur_id: int | None
    logiciel: str | None
    version_logiciel: str | None


def transmettre(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    emetteur: Emetteur,
    cerfa: dict[str, Any],
    version: str,
) -> Dossier:
    """POST /dossiers (norm.md E3): a new dossier TRANSMIS, a rupture notified by re-sending
    the engaged contract with contrat.dateRupture, or one 400 listing every refusal."""
    vue = CerfaVue.de(cerfa)
    _verifier_perimetre(vue, emetteur)
    violations = _controler(session, sandbox, opco, vue)
    bloquants = controles.bloquants(violations)
    cle = cle_doublon(vue)
    existant = _existant(session, opco, cle)
    if existant is not None and _rupture_renvoyee(vue, existant, emetteur, bloquants):
        return _rompre(session, sandbox, existant, vue)
    if bloquants or existant is not None:
        raise controles.refus(bloquants, [_DOUBLON] if existant is not None else [])
    dossier = _nouveau_dossier(session, sandbox, opco, emetteur, vue, violations, version)
    simulateur.planifier_reception(dossier, sandbox)
    return _enregistrer(session, dossier)


def _verifier_perimetre(vue: CerfaVue, emetteur: Emetteur) -> None:
    """The training organisation is an establishment of the CFA whose key is used."""
    siret_cfa = vue.siret_organisme or ""
    if siret_cfa[:9] != emetteur.siren:
        raise Forbidden.one(
            "AUTH_SIRET_OUT_OF_SCOPE",
            f"Le SIRET du CFA ({siret_cfa}) n'appartient pas au SIREN de la clé API "
            f"({emetteur.siren}).",
            "cerfa.organismeFormation.siret",
        )


def _controler(session: Session, sandbox: Sandbox, opco: Opco, vue: CerfaVue) -> list[Violation]:
    """Every transmission control, blocking or not, as of the sandbox's day."""
    ctx = controles.contexte(
        sandbox.referentiel,
        opco,
        sandbox.horloge.aujourdhui(),
        meme_nir=controles.meme_nir(session, opco.id, vue),
    )
    return controles.controler_transmission(vue, ctx)


def _rupture_renvoyee(
    vue: CerfaVue, existant: Dossier, emetteur: Emetteur, bloquants: list[Violation]
) -> bool:
    """The CFA re-sends its engaged contract with contrat.dateRupture: a rupture, not a
    duplicate (never on another CFA's dossier, never a Cerfa with a blocking violation)."""
    return (
        vue.date_rupture is not None
        and not bloquants
        and existant.etat == Etat.ENGAGE
        and existant.cfa_siren == emetteur.siren
    )


def _rompre(session: Session, sandbox: Sandbox, existant: Dossier, vue: CerfaVue) -> Dossier:
    champ = "cerfa.contrat.dateRupture"
    return ruptures.rompre(session, sandbox, existant, vue.date_rupture, None, "client", champ)


def _nouveau_dossier(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    emetteur: Emetteur,
    vue: CerfaVue,
    violations: list[Violation],
    version: str,
) -> Dossier:
    """The dossier TRANSMIS: its numbers, what the contract is, who sent it, its history."""
    now = sandbox.horloge.maintenant()
    seq = compteurs.prochaine_sequence(session, opco.id, "dossier")
    dossier = Dossier(
        opco_id=opco.id,
        numero_interne=opco.numero_interne(seq, now),
        numero_externe=opco.numero_externe(seq, now),
        rang=compteurs.prochain_rang(session, opco.id, emetteur.siren),
        etat=Etat.TRANSMIS.value,
        commentaire_etat=controles.commentaire([], controles.avertissements(violations)) or None,
        controles=[asdict(v) for v in violations],
        version_norme=version,
        cerfa=_cerfa_conserve(vue, sandbox),
        recu_le=now,
        maj_le=now,
        **colonnes_contrat(vue),
        **_colonnes_emetteur(emetteur),
    )
    dossier.evenements.append(
        EvenementDossier(
            horodatage=now,
            etat_avant=None,
            etat_apres=Etat.TRANSMIS.value,
            cause=f"Dossier reçu via l'API ({version}).",
            acteur="client",
        )
    )
    return dossier


def colonnes_contrat(vue: CerfaVue) -> dict[str, Any]:
    """The columns a dossier keeps of its contract, to look it up without reading its Cerfa."""
    nir = vue.nir
    return {
        "organisme_siret": vue.siret_organisme,
        "employeur_siret": vue.siret_employeur,
        "apprenti_nom": vue.apprenti_nom,
        "apprenti_prenom": vue.apprenti_prenom,
        "apprenti_date_naissance": vue.apprenti_date_naissance,
        # The same-NIR lookup's key: 13 characters, the NIR's own key left out.
        "apprenti_nir": nir[:13] if nir else None,
        "date_debut_contrat": vue.date_debut_contrat,
        "type_contrat_app": vue.type_contrat_app,
        "cle_doublon": cle_doublon(vue),
    }


def _colonnes_emetteur(emetteur: Emetteur) -> dict[str, Any]:
    return {
        "cfa_siren": emetteur.siren,
        "editeur_id": emetteur.editeur_id,
        "logiciel": emetteur.logiciel,
        "version_logiciel": emetteur.version_logiciel,
    }


def _cerfa_conserve(vue: CerfaVue, sandbox: Sandbox) -> dict[str, Any]:
    """The Cerfa as stored: without the keys the OPCO owns; an empty employeur.libelleIdcc is
    derived from the IDCC, as the OPCOs do."""
    stored = {k: v for k, v in vue.donnees.items() if k not in CHAMPS_OPCO}
    employeur = stored.get("employeur")
    if isinstance(employeur, dict) and not vue.renseigne("employeur.libelleIdcc"):
        libelle = libelle_idcc(vue, sandbox.referentiel)
        if libelle is not None:
            stored["employeur"] = {**employeur, "libelleIdcc": libelle}
    return stored


def _enregistrer(session: Session, dossier: Dossier) -> Dossier:
    session.add(dossier)
    try:
        session.flush()
    except IntegrityError as exc:
        # Lost a race with a concurrent transmission of the same contract: the constraint,
        # not the read above, is what guarantees there is never a second dossier.
        session.rollback()
        raise BadRequest(_DOUBLON) from exc
    return dossier


_DOUBLON = ErrorItem(
    "DOSSIER_DUPLICATE",
    "Un dossier existe déjà pour cet apprenti (nom, prénom, date de naissance), cet "
    "employeur (SIRET) et cette date de début de contrat.",
    "cerfa",
)


def _existant(session: Session, opco: Opco, cle: str | None) -> Dossier | None:
    if cle is None:
        return None
    return session.scalar(
        select(Dossier).where(Dossier.opco_id == opco.id, Dossier.cle_doublon == cle)
    )


def consulter(session: Session, opco: Opco, siren: str, numero_interne: str) -> Dossier:
    dossier = session.scalar(
        select(Dossier).where(Dossier.opco_id == opco.id, Dossier.numero_interne == numero_interne)
    )
    # Another CFA's dossier answers exactly like an unknown one: no hint that it exists.
    if dossier is None or dossier.cfa_siren != siren:
        raise NotFound.one(
            "DOSSIER_NOT_FOUND", f"Aucun dossier « {numero_interne} » pour ce CFA.", "numeroInterne"
        )
    return dossier


def notifier_rupture(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    numero_interne: str,
    date_rupture: date | None,
    motif: str | None,
) -> Dossier:
    """The employer broke off the contract of one of the CFA's engaged dossiers."""
    dossier = consulter(session, opco, siren, numero_interne)
    return ruptures.rompre(session, sandbox, dossier, date_rupture, motif, "client")


def lister(session: Session, opco: Opco, siren: str, numeros: list[str]) -> list[Dossier]:
    wanted = list(dict.fromkeys(n.strip() for n in numeros if n.strip()))
    if not wanted:
        raise BadRequest.one(
            "REQ_FIELD_MISSING", "Indiquez au moins un numéro interne.", "numerosInternes"
        )
    found = session.scalars(
        select(Dossier).where(
            Dossier.opco_id == opco.id,
            Dossier.cfa_siren == siren,
            Dossier.numero_interne.in_(wanted),
        )
    ).all()
    by_number = {d.numero_interne: d for d in found}
    return [by_number[n] for n in wanted if n in by_number]


def colonnes_etats() -> tuple:
    """Only what an état shows (schemas.EtatDossierSchema), read as rows, not ORM objects:
    parsing each Cerfa was most of the time of a page, then building 50 partly loaded
    instances (a deferred loader per unloaded column) most of what remained."""
    return (
        Dossier.numero_interne,
        Dossier.numero_externe,
        Dossier.numero_deca,
        Dossier.etat,
        Dossier.commentaire_etat,
        Dossier.maj_le,
    )


def tous_les_etats(session: Session, opco: Opco, siren: str) -> list[Dossier]:
    return list(
        session.execute(
            select(*colonnes_etats())
            .where(Dossier.opco_id == opco.id, Dossier.cfa_siren == siren)
            .order_by(Dossier.rang)
        )
    )


@dataclass(frozen=True)
class PageEtats:
    total: int
    page: int
    dossiers: list[Dossier]


def page_etats(session: Session, opco: Opco, siren: str, page: int) -> PageEtats:
    """Page N (1-based) by rank range: as fast for 1,000,000 dossiers as for 10."""
    dossiers = compteurs.page_par_rang(
        session, Dossier, opco.id, siren, page, opco.taille_page_etats, colonnes=colonnes_etats()
    )
    return PageEtats(compteurs.total_cfa(session, opco.id, siren), page, dossiers)
