"""Realistic contracts and what follows them, built through the services: the demo contract
from a CFA with an employer of the OPCO, moved to any start (a cohort), for another apprentice,
maître or establishment; and a contract brought to SOLDE as at a real OPCO (final certificat,
invoice, payment). The scenarios (services/scenarios), the example bodies (services/exemples)
and the bulk generator (opco_server.outils.generation) build on it."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from opco_server.donnees.seed import load_demo
from opco_server.models import CfaEnregistre, Dossier, Facture
from opco_server.services import certificats, factures, fichiers
from opco_server.services.personnes import AGES_TRANCHES
from rules.calculs import (
    ajouter_mois,
    minutes_hebdo,
    mois_entre,
    premier_du_mois_suivant,
    salaire_minimal,
    smic_employeur,
    taux_premiere_periode,
    tranche_age,
)
from rules.cerfa import CerfaVue
from rules.referentiel import Referentiel

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

# Establishments of the employer (same company, same branch: the same OPCO and funding), in
# metropolitan cities (one SMIC): address and the DECA number's département differ.
ETABLISSEMENTS = (
    None,  # the demo establishment itself
    ("Lyon", "69002", "14 rue Mercière"),
    ("Bordeaux", "33000", "3 place du Parlement"),
    ("Lille", "59800", "22 rue de la Monnaie"),
    ("Nantes", "44000", "9 quai de la Fosse"),
    ("Toulouse", "31000", "5 rue des Filatiers"),
    ("Nice", "06300", "11 cours Saleya"),
    ("Strasbourg", "67000", "2 quai des Bateliers"),
)
# Trainings of the employer's branch (HCR: each has its NPEC), all in two years: (RNCP, code
# diplôme, diplôme préparé, intitulé, hours at the CFA: >= 25 % of the contract's work time).
FORMATIONS = (
    ("RNCP38369", "32033422", 54, "BTS Management en hôtellerie-restauration", 1350),
    ("RNCP26650", "50022135", 33, "CAP Cuisine", 840),
    ("RNCP37859", "40022106", 41, "Baccalauréat professionnel Cuisine", 1150),
)
VARIANTES = len(FORMATIONS) * len(AGES_TRANCHES)


class ErreurGeneration(Exception):
    """A French message for the user; `code` is the command's exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def contrat_demo(sandbox: Sandbox, session: Session, opco: Opco, siren: str) -> dict[str, Any]:
    """The demo contract from this CFA's first establishment, with an employer of the OPCO
    (the instruction refuses a contract whose branch belongs to another OPCO)."""
    chemin = sandbox.settings.fixtures_dir / "dossiers" / "contrat-v14.json"
    cerfa = json.loads(chemin.read_text("utf-8"))["cerfa"]
    cfa = session.scalar(select(CfaEnregistre).where(CfaEnregistre.siren == siren))
    if cfa is None or not cfa.etablissements:
        connus = ", ".join(session.scalars(select(CfaEnregistre.siren).order_by("siren")))
        raise ErreurGeneration(
            f"CFA inconnu : SIREN {siren} (CFA enregistrés : {connus or 'aucun'}).", code=2
        )
    etab = cfa.etablissements[0]
    demo = load_demo(sandbox)
    adresses = {e["siret"]: e["adresse"] for c in demo["cfas"] for e in c["etablissements"]}
    organisme = cerfa["organismeFormation"]
    organisme.update(siret=etab.siret, uaiCfa=etab.uai, denomination=etab.denomination)
    if etab.siret in adresses:
        organisme["adresse"] = dict(adresses[etab.siret])
    employeur = next((e for e in demo["employeurs"] if e["opco"] == opco.id), None)
    if employeur is not None:
        cerfa["employeur"].update(
            {k: employeur[k] for k in ("siret", "denomination", "naf", "codeIdcc", "libelleIdcc")}
        )
    else:  # no demo employer of this OPCO: the same employer, under a branch of the OPCO
        branche = next(
            (
                c
                for c in sandbox.referentiel.conventions.values()
                if c.opco == opco.id and c.etat.startswith("VIGUEUR")
            ),
            None,
        )
        if branche is not None:
            cerfa["employeur"].update(codeIdcc=branche.code, libelleIdcc=branche.libelle)
    return cerfa


def etablissement_employeur(employeur: dict, n: int) -> dict:
    """The `n`-th establishment of the base employer: same SIREN, its own NIC (Luhn-valid
    SIRET, active in the SIRENE stub like every SIRET outside its sample), its own address."""
    variante = ETABLISSEMENTS[n % len(ETABLISSEMENTS)]
    if variante is None:
        return employeur
    commune, code_postal, rue = variante
    debut = f"{employeur['siret'][:9]}{9000 + n % len(ETABLISSEMENTS):04d}"
    siret = debut + luhn.calc_check_digit(debut)
    return {
        **employeur,
        "siret": siret,
        "denomination": f"{employeur['denomination']} — {commune}",
        "adresse": {"adresse1": rue, "codePostal": code_postal, "commune": commune},
    }


def appliquer_identite(cerfa: dict, apprenti: dict, maitre: dict) -> dict:
    """A copy of `cerfa` for another apprentice and maître (the rest shared, never mutated)."""
    return {
        **cerfa,
        "apprenti": {**cerfa["apprenti"], **apprenti},
        "maitre1": {**cerfa["maitre1"], **maitre},
    }


# --- When: the contract of a reception day ---------------------------------------------------


def dates_contrat(reception: date) -> tuple[date, date]:
    """(start, conclusion) of the contract received on `reception`: it starts on the 1st of
    the month (received within its first 5 days, never late) or of the next month, and was
    concluded 12 days before the start, or on the day it was sent if that is earlier."""
    debut = reception.replace(day=1) if reception.day <= 5 else premier_du_mois_suivant(reception)
    return debut, min(debut - timedelta(days=12), reception)


def _decaler(valeur: str, mois: int) -> str:
    """A wire date moved by `mois` months; a month's last day stays its month's last day."""
    jour = date.fromisoformat(valeur[:10])
    if (jour + timedelta(days=1)).day == 1:
        return (ajouter_mois(jour.replace(day=1), mois + 1) - timedelta(days=1)).isoformat()
    return ajouter_mois(jour, mois).isoformat()


def cerfa_cohorte(
    referentiel: Referentiel,
    base: dict,
    debut: date,
    conclusion: date,
    formation_n: int = 0,
    tranche: int = 0,
) -> dict:
    """The base Cerfa moved to start on `debut` and concluded on `conclusion`: every contract
    date and pay period moves by whole months, the hiring salary follows the SMIC then. The
    training is FORMATIONS[formation_n]; for another age bracket than the demo's, one pay
    period a contract year at the legal minimum (referential's grid) of the bracket."""
    cerfa = copy.deepcopy(base)
    contrat, formation = cerfa["contrat"], cerfa["formation"]
    mois = mois_entre(date.fromisoformat(contrat["dateDebutContrat"]), debut)
    for bloc, champs in (
        (contrat, ("dateDebutContrat", "dateDebutFormationPratique", "dateFinContrat")),
        (formation, ("dateDebutFormation", "dateFinFormation")),
    ):
        for champ in champs:
            if bloc.get(champ):
                bloc[champ] = _decaler(bloc[champ], mois)
    for ligne in contrat["remunerationsAnnuelles"]:
        ligne["dateDebut"], ligne["dateFin"] = (
            _decaler(ligne["dateDebut"], mois),
            _decaler(ligne["dateFin"], mois),
        )
    contrat["dateConclusion"] = conclusion.isoformat()
    rncp, cfd, type_diplome, intitule, heures = FORMATIONS[formation_n]
    formation.update(
        rncp=rncp,
        codeDiplome=cfd,
        typeDiplome=type_diplome,
        intituleQualification=intitule,
        dureeFormation=heures,
    )
    age = AGES_TRANCHES[tranche]
    if age is not None:
        fin = date.fromisoformat(contrat["dateFinContrat"])
        lignes, annee, jour = [], 1, debut
        while jour <= fin:
            suivant = ajouter_mois(debut, 12 * annee)
            taux = referentiel.taux_minimal(annee, tranche_age(age))
            lignes.append(
                {
                    "ordre": f"{annee}.1",
                    "dateDebut": jour.isoformat(),
                    "dateFin": min(suivant - timedelta(days=1), fin).isoformat(),
                    "taux": int(taux) if taux == int(taux) else float(taux),
                    "typeSalaire": "SMIC",
                }
            )
            annee, jour = annee + 1, suivant
        contrat["remunerationsAnnuelles"] = lignes
    vue = CerfaVue.de(cerfa)
    smic = smic_employeur(vue, referentiel, debut)
    taux = taux_premiere_periode(vue)
    if smic and taux is not None:
        salaire = salaire_minimal(taux, smic, minutes_hebdo(vue))
        contrat["salaireEmbauche"] = float(salaire)  # a JSON number, as the client sends it
    return cerfa


# --- SOLDE: the final certificat and the invoices, through the services --------------------


def solder(
    session: Session,
    sandbox: Sandbox,
    opco: Opco,
    siren: str,
    dossier: Dossier,
    numero: str,
    depot: datetime,
    reglement: datetime,
) -> Facture:
    """What brings an ended or broken-off contract to SOLDE at an OPCO: its CFA sends the final
    certificat de réalisation and one invoice (number `numero`) of every échéance still owed,
    received on `depot` and checked on its day; the OPCO pays it on `reglement` (its back
    office, the simulator): every échéance paid, the payment solde the dossier."""
    jour = depot.date()
    dues = factures.echeances_dues(dossier, jour)
    derniere = max(
        (e for e in dossier.echeances if e.montant_total > 0), key=lambda e: e.numero, default=None
    )
    echeance = derniere and {  # the certificat covers the training up to the last échéance
        "numero": derniere.numero,
        "codification": derniere.codification,
        "dateDebut": derniere.date_debut.isoformat(),
        "dateFin": derniere.date_fin.isoformat(),
    }
    pdf = fichiers.pdf_exemple()
    corps = certificat("Final", dossier.numero_interne, dossier.cerfa, echeance, jour)
    certificats.deposer_certificat(session, sandbox, opco, siren, corps, "certificat.pdf", pdf)
    iban = next((e.iban for e in dues if e.iban), None) or session.scalar(
        select(CfaEnregistre.iban).where(CfaEnregistre.siren == siren)
    )
    corps = factures.corps_facture(dossier, dues, numero, jour, iban or "")
    facture = factures.deposer(session, sandbox, opco, siren, corps, "facture.pdf", pdf, depot)
    factures.regler(session, sandbox, facture, reglement, acteur="simulateur")
    return facture


def certificat(
    type_certificat: str, numero: str, cerfa: dict, echeance: dict | None, jour: date
) -> dict[str, Any]:
    """The JSON part of POST /v2/certificats for the dossier `numero` (its Cerfa `cerfa`),
    covering `echeance` (numero, codification, period), signed on `jour`."""
    return {
        "typeCertificat": type_certificat,
        "numeroInterneDossier": numero,
        "dateSignature": jour.isoformat(),
        "natureAction": "Formation par apprentissage",
        "attestationConservationPieces": True,
        "employeur": {"siret": cerfa["employeur"]["siret"]},
        "apprenti": {"nom": cerfa["apprenti"]["nom"], "prenom": cerfa["apprenti"]["prenom"]},
        "organismeFormation": {"siret": cerfa["organismeFormation"]["siret"]},
        "echeance": echeance,
    }


def numero_facture_cfa(jour: date, rang: int, suffixe: int | None = None) -> str:
    """A CFA's invoice number: its rank among the CFA's invoices at the OPCO, and a suffix for
    one the CFA already used otherwise."""
    return f"FA-{jour:%Y}-{rang:06d}" + (f"-{suffixe}" if suffixe else "")
