"""Dossier use cases: transmit a Cerfa, read it back, list the états. No HTTP, no JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opco_server.donnees.opcos import Opco
from opco_server.errors import BadRequest, ErrorItem, Forbidden, NotFound
from opco_server.models import Dossier, EvenementDossier
from opco_server.services import compteurs, controles, ruptures, simulateur
from opco_server.wire import normaliser_nom, parse_date
from rules.formats import libelle_idcc, renseigne

if TYPE_CHECKING:
    from opco_server.sandbox import Sandbox

TRANSMIS = "TRANSMIS"
# Keys the OPCO owns: whatever the client sends in them is ignored.
CHAMPS_OPCO = ("numeroInterne", "numeroExterne", "numeroDeca", "etat", "commentaireEtat")


@dataclass(frozen=True)
class Emetteur:
    """Who transmits: the CFA (from its key), the editor (from its token), the software."""

    siren: str
    editeur_id: int | None
    logiciel: str | None
    version_logiciel: str | None


def nir_de(cerfa: dict[str, Any]) -> str | None:
    """The apprentice's NIR as stored for the same-NIR lookup (13 characters, key left out)."""
    from rules.identifiants import nir_et_champ

    trouve = nir_et_champ(cerfa)
    return trouve[0][:13] if trouve else None


def cle_doublon(cerfa: dict[str, Any]) -> str:
    """The matching key of the FAQ: apprentice names and birth date, employer SIRET, start.

    Avenants (types 31-38) amend an existing contract: their key adds the type and effect
    date, so an avenant is not a duplicate of the contract it amends.
    """
    apprenti, contrat = cerfa["apprenti"], cerfa["contrat"]
    parts = [
        normaliser_nom(apprenti["nom"]),
        normaliser_nom(apprenti["prenom"]),
        str(parse_date(apprenti["dateNaissance"])),
        cerfa["employeur"]["siret"],
        str(parse_date(contrat["dateDebutContrat"])),
    ]
    type_contrat = contrat.get("typeContratApp")
    if isinstance(type_contrat, int) and type_contrat >= 30:
        parts += [str(type_contrat), str(parse_date(contrat.get("dateEffetAvenant")))]
    return "|".join(parts)


def transmettre(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    emetteur: Emetteur,
    cerfa: dict[str, Any],
    version: str,
) -> Dossier:
    siret_cfa = cerfa["organismeFormation"]["siret"]
    if siret_cfa[:9] != emetteur.siren:
        raise Forbidden.one(
            "AUTH_SIRET_OUT_OF_SCOPE",
            f"Le SIRET du CFA ({siret_cfa}) n'appartient pas au SIREN de la clé API "
            f"({emetteur.siren}).",
            "cerfa.organismeFormation.siret",
        )
    violations = controles.controler_transmission(
        cerfa,
        controles.contexte(
            sandbox.referentiel,
            opco,
            sandbox.horloge.aujourdhui(),
            meme_nir=controles.meme_nir(session, opco.id, cerfa),
        ),
    )
    bloquants = controles.bloquants(violations)
    existant = _existant(session, opco, cle_doublon(cerfa))
    date_rupture = parse_date(cerfa["contrat"].get("dateRupture"))
    if (
        existant is not None
        and date_rupture
        and not bloquants
        and existant.etat == "ENGAGE"
        and existant.cfa_siren == emetteur.siren  # never act on another CFA's dossier
    ):
        # A rupture notified by re-sending the engaged contract with contrat.dateRupture.
        return ruptures.rompre(
            session, sandbox, existant, date_rupture, None, "client", "cerfa.contrat.dateRupture"
        )
    if bloquants or existant is not None:
        raise controles.refus(bloquants, [_DOUBLON] if existant is not None else [])
    avertissements = controles.avertissements(violations)
    now = sandbox.horloge.maintenant()
    seq = compteurs.prochaine_sequence(session, opco.id, "dossier")
    stored = {k: v for k, v in cerfa.items() if k not in CHAMPS_OPCO}
    _deriver_libelle_idcc(stored, sandbox)
    dossier = Dossier(
        opco_id=opco.id,
        numero_interne=opco.numero_interne(seq, now),
        numero_externe=opco.numero_externe(seq, now),
        etat=TRANSMIS,
        commentaire_etat=controles.commentaire([], avertissements) or None,
        controles=[asdict(v) for v in violations],
        cfa_siren=emetteur.siren,
        rang=compteurs.prochain_rang(session, opco.id, emetteur.siren),
        organisme_siret=siret_cfa,
        employeur_siret=cerfa["employeur"]["siret"],
        apprenti_nom=cerfa["apprenti"]["nom"],
        apprenti_prenom=cerfa["apprenti"]["prenom"],
        apprenti_date_naissance=parse_date(cerfa["apprenti"]["dateNaissance"]),
        apprenti_nir=nir_de(cerfa),
        date_debut_contrat=parse_date(cerfa["contrat"]["dateDebutContrat"]),
        type_contrat_app=_int_or_none(cerfa["contrat"].get("typeContratApp")),
        cle_doublon=cle_doublon(cerfa),
        version_norme=version,
        cerfa=stored,
        editeur_id=emetteur.editeur_id,
        logiciel=emetteur.logiciel,
        version_logiciel=emetteur.version_logiciel,
        recu_le=now,
        maj_le=now,
    )
    dossier.evenements.append(
        EvenementDossier(
            horodatage=now,
            etat_avant=None,
            etat_apres=TRANSMIS,
            cause=f"Dossier reçu via l'API ({version}).",
            acteur="client",
        )
    )
    simulateur.planifier_reception(dossier, sandbox)
    session.add(dossier)
    try:
        session.flush()
    except IntegrityError as exc:
        # Lost a race with a concurrent transmission of the same contract: the constraint,
        # not the read above, is what guarantees there is never a second dossier.
        session.rollback()
        raise BadRequest(_DOUBLON) from exc
    return dossier


def _deriver_libelle_idcc(stored: dict[str, Any], sandbox: Sandbox) -> None:
    """An empty employeur.libelleIdcc is derived from the IDCC, as the OPCOs do."""
    employeur = stored.get("employeur")
    if not isinstance(employeur, dict) or renseigne(stored, "employeur.libelleIdcc"):
        return
    libelle = libelle_idcc(stored, sandbox.referentiel)
    if libelle is not None:
        stored["employeur"] = {**employeur, "libelleIdcc": libelle}


_DOUBLON = ErrorItem(
    "DOSSIER_DUPLICATE",
    "Un dossier existe déjà pour cet apprenti (nom, prénom, date de naissance), cet "
    "employeur (SIRET) et cette date de début de contrat.",
    "cerfa",
)


def _existant(session: Session, opco: Opco, cle: str) -> Dossier | None:
    return session.scalar(
        select(Dossier).where(Dossier.opco_id == opco.id, Dossier.cle_doublon == cle)
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
