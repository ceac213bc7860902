"""Bulk generation of realistic dossiers for one CFA at one OPCO (`opco-server seed`).

Through the norm's API a generated dossier cannot be told from one that went through the
services:

- its Cerfa is fixtures/dossiers/contrat-v14.json moved to the contract start that follows its
  reception (one cohort per month: dates, pay periods and hiring salary follow), with its own
  apprentice (name, first name, sex, birth date and commune, NIR, e-mail, phone), its own
  maître d'apprentissage and one of the employer's establishments, chosen so that every transmission and instruction rule gives the verdict
  it gives to the cohort's contract;
- its numbers come from the OPCO's numbering and counters, its rank continues the CFA's ranks
  and the counters are moved past them: a later POST gets the next number and rank;
- its state, history, comment, DECA number, engagement, échéancier and rupture are what the
  services produce: the lifecycle of each distinct template (state, reception day, hence the
  contract's dates, and rupture date) is replayed once through the real services
  (dossiers.transmettre, simulateur, ruptures, pilotage, documents, factures) in a transaction
  that is rolled back, and the result is copied to every dossier of that template, with its
  own identity, numbers and times;
- a SOLDE dossier got there as at a real OPCO: broken off, then its CFA sent the final
  certificat de réalisation and an invoice of every échéance still owed, which the OPCO paid
  after its delay, the payment solding it. Each one has its own certificat, invoice, lines
  and files, with the OPCO's next document, invoice and transfer numbers and the CFA's next
  invoice rank and number: a later POST /v1/factures gets the next ones.

Timeline: the decided dossiers (ENGAGE, REFUSE, ANNULE, RUPTURE, SOLDE) are received first,
over up to ~11 months ending 50 days ago; then the dossiers awaiting their convention
(EN_COURS_INSTRUCTION, implicit refusal still ahead), then those received in the last 24 hours
(TRANSMIS, instruction still ahead). Ranks follow the order of reception within a run.

Rows go in with bulk Core inserts, one transaction per batch: memory stays flat and the
counters always match the rows, even when the run is interrupted.
"""

from __future__ import annotations

import copy
import json
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from math import gcd
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ColumnElement
from stdnum import luhn

from opco_server.clock import aware
from opco_server.donnees.seed import load_demo
from opco_server.errors import NormError
from opco_server.models import (
    Certificat,
    CfaEnregistre,
    Dossier,
    Echeance,
    EvenementDossier,
    Facture,
    Fichier,
    FraisAnnexeEngage,
    LigneFacture,
)
from opco_server.services import (
    compteurs,
    documents,
    dossiers,
    engagements,
    factures,
    fichiers,
    partage,
    pilotage,
    ruptures,
    simulateur,
)
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
from rules.cycle_de_vie import Etat
from rules.identifiants import cle_nir
from rules.referentiel import Referentiel

if TYPE_CHECKING:
    from opco_server.donnees.opcos import Opco
    from opco_server.sandbox import Sandbox

ETATS = tuple(e.value for e in Etat)
DECIDES = (Etat.ENGAGE, Etat.REFUSE, Etat.ANNULE, Etat.RUPTURE, Etat.SOLDE)
# Share of each state (per cent): most contracts are engaged.
REPARTITION = MappingProxyType(
    {
        Etat.TRANSMIS: 3,
        Etat.EN_COURS_INSTRUCTION: 5,
        Etat.ENGAGE: 62,
        Etat.REFUSE: 8,
        Etat.ANNULE: 5,
        Etat.RUPTURE: 12,
        Etat.SOLDE: 5,
    }
)
TAILLE_LOT = 5_000
LOGICIEL = "opco-server seed"
MOTIF_ANNULATION = "Contrat non commencé"
# Rupture dates: days after the contract start (the first is within the trial period).
# Birth communes of the generated apprentices (name, INSEE code: NIR positions 6-10).
COMMUNES_NAISSANCE = (
    ("Paris", "75056"),
    ("Marseille", "13055"),
    ("Lyon", "69123"),
    ("Toulouse", "31555"),
    ("Nantes", "44109"),
    ("Lille", "59350"),
    ("Bordeaux", "33063"),
    ("Rennes", "35238"),
)
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
RUPTURES = (
    (20, "PERIODE_ESSAI"),
    (75, "ACCORD_COMMUN"),
    (137, "DEMISSION_APPRENTI"),
    (250, "ACCORD_COMMUN"),
    (400, "OBTENTION_DIPLOME"),
    (600, "INAPTITUDE"),
)
# A SOLDE dossier: the CFA sends the final certificat de réalisation and invoices what is still
# owed this long after declaring the rupture; the OPCO pays after its delay.
DELAI_FACTURE = timedelta(days=3)
# Reception windows (before the clock's now).
FIN_DECIDES = timedelta(days=50)
JOURS_DECIDES = (7, 320)  # bounds of the decided window, ~200 receptions a day in between
RECEPTIONS_PAR_JOUR = 200
ANALYSE_DES = 10_000  # PostgreSQL: refresh the planner's statistics after a load this big


def _mots(texte: str) -> tuple[str, ...]:
    """Space-separated words; "_" stands for a space inside one (LE_GALL)."""
    return tuple(mot.replace("_", " ") for mot in texte.split())


# Names of generated people: common French surnames and first names (the demo contract's
# apprentice, MARTIN Léa, is left out so that POSTing it after a seed is never a duplicate).
NOMS = _mots(
    "BERNARD THOMAS PETIT ROBERT RICHARD DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE LEROY "
    "ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT "
    "MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND "
    "GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON "
    "MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD "
    "JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT "
    "ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX "
    "OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME "
    "LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS "
    "DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS POIRIER MARTY "
    "AUBRY GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN BAILLY HERVE "
    "SCHNEIDER FERNANDEZ COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL COUSIN "
    "GERMAIN BRETON BESSON LANGLOIS REMY PELLETIER LEVEQUE PERRIER LEBLANC BARRE LEBRUN "
    "MARCHAL WEBER MALLET HAMON BOULANGER JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET "
    "ETIENNE GRONDIN POULAIN TESSIER CHEVALLIER COLLIN CHAUVIN BOUCHET GAY LEMAITRE BENARD "
    "MARECHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHELEMY CORDIER PICHON LEJEUNE GILBERT"
    " LE_GALL DA_SILVA LE_GOFF LE_ROUX SAINT-ANDRÉ N'DIAYE"
)
PRENOMS_F = _mots(
    "Emma Jade Louise Alice Chloé Lina Rose Léna Mila Julia Inès Zoé Anna Ambre Agathe Juliette "
    "Manon Camille Lou Sarah Romane Margaux Eva Nina Lucie Clara Léonie Victoire Charlotte "
    "Adèle Iris Capucine Mathilde Élise Louna Maëlys Océane Anaïs Pauline Marion Justine Morgane "
    "Laura Mélissa Noémie Célia Solène Yasmine Nour Salomé"
)
PRENOMS_M = _mots(
    "Gabriel Léo Raphaël Louis Arthur Jules Maël Adam Lucas Hugo Noah Liam Sacha Gabin Nathan "
    "Tom Théo Ethan Aaron Paul Martin Léon Mathis Axel Baptiste Enzo Timéo Noé Victor Samuel "
    "Antoine Clément Maxime Quentin Alexandre Romain Thomas Julien Kylian Yanis Mehdi Rayan "
    "Bastien Florian Valentin Corentin Dylan Kévin Loïc Jérémy"
)
PRENOMS = tuple((p, "F") for p in PRENOMS_F) + tuple((p, "M") for p in PRENOMS_M)
# Trainings of the employer's branch (HCR: each has its NPEC), all in two years: (RNCP, code
# diplôme, diplôme préparé, intitulé, hours at the CFA: >= 25 % of the contract's work time).
FORMATIONS = (
    ("RNCP38369", "32033422", 54, "BTS Management en hôtellerie-restauration", 1350),
    ("RNCP26650", "50022135", 33, "CAP Cuisine", 840),
    ("RNCP37859", "40022106", 41, "Baccalauréat professionnel Cuisine", 1150),
)
# Age brackets of the apprentices: 0 the demo contract's (18-20, pay periods 1.1, 1.2, 2.1),
# then the years at the start of the others, who stay in their bracket for the two years.
AGES_TRANCHES = (None, 21, 26)
VARIANTES = len(FORMATIONS) * len(AGES_TRANCHES)
JOURS_18_ANS = 300  # apprentices aged 18 at the start: born in the 300 days from start - 19 y
# ... and 20-year-olds born in the month that makes them 21 when period 1.2 starts (as the
# demo contract's apprentice): 28 days, so that every month has them.
JOURS_20_ANS = 28
JOURS_NAISSANCE = JOURS_18_ANS + JOURS_20_ANS
NAISSANCE_MAITRES = (date(1966, 1, 1), date(1977, 12, 31))  # aged 48 to 61 in 2026


class ErreurGeneration(Exception):
    """A French message for the user; `code` is the command's exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Bilan:
    opco: str
    siren: str
    nombre: int
    premier_rang: int
    dernier_rang: int
    par_etat: dict[str, int]
    lignes: int  # rows inserted, all tables
    gabarits: int  # lifecycles replayed through the services
    duree: float  # seconds


# --- Who: distinct apprentices and maîtres, a bijection of the OPCO's dossier number ---------


def _ascii(texte: str) -> str:
    decomposed = unicodedata.normalize("NFKD", texte)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else "-" for c in plain.lower().replace("'", ""))


def _premier_pas(modulo: int, depart: int) -> int:
    """A multiplier coprime with `modulo`: i -> i * pas % modulo is a permutation."""
    pas = depart
    while gcd(pas, modulo) != 1:
        pas += 1
    return pas


@dataclass(frozen=True)
class Identites:
    """The n-th generated apprentice and maître (n: the dossier's sequence number, minus 1).

    Distinct n give distinct apprentices (name, first name, birth date) and distinct maîtres,
    so duplicate keys never collide and no maître follows two generated apprentices. The
    numbering is scrambled so that neighbours do not look alike."""

    domaine_maitres: str
    taille: int = len(NOMS) * len(PRENOMS) * JOURS_NAISSANCE
    taille_maitres: int = (
        len(NOMS) * len(PRENOMS) * ((NAISSANCE_MAITRES[1] - NAISSANCE_MAITRES[0]).days + 1)
    )
    pas: int = field(init=False)
    pas_maitres: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pas", _premier_pas(self.taille, 7_368_787))
        object.__setattr__(self, "pas_maitres", _premier_pas(self.taille_maitres, 48_271_073))

    def apprenti(self, n: int, debut: date, variante: int = 0, tranche: int = 0) -> dict[str, Any]:
        """The apprentice block's personal fields for a contract starting on `debut`."""
        tour, reste = divmod(n, self.taille)
        i = reste * self.pas % self.taille
        jour, i = i % JOURS_NAISSANCE, i // JOURS_NAISSANCE
        prenom, sexe = PRENOMS[i % len(PRENOMS)]
        nom = NOMS[i // len(PRENOMS)]
        if variante + tour:  # beyond the name space, or a name already taken: compound name
            memes = PRENOMS_F if sexe == "F" else PRENOMS_M
            prenom = f"{memes[(variante + tour - 1) % len(memes)]}-{prenom}"
        naissance = naissance_apprenti(debut, jour, tranche)
        commune, insee = COMMUNES_NAISSANCE[n % len(COMMUNES_NAISSANCE)]
        ordre = n // len(COMMUNES_NAISSANCE) % 999 + 1  # distinct NIRs for the first ~8 000
        nir13 = f"{1 if sexe == 'M' else 2}{naissance:%y%m}{insee}{ordre:03d}"
        return {
            "nom": nom,
            "prenom": prenom,
            "sexe": sexe,
            "dateNaissance": naissance.isoformat(),
            "communeNaissance": commune,
            "departementNaissance": insee[:2],
            "nir": nir13 + cle_nir(nir13),
            "courriel": f"{_ascii(prenom)}.{_ascii(nom)}@example.org",
            "telephone": f"0{6 + n % 2}{(n * 7_368_787 + 24_681_357) % 100_000_000:08d}",
        }

    def modele(self, n: int, debut: date, tranche: int = 0) -> dict[str, Any]:
        """The n-th apprentice of the template dossiers (a name never generated otherwise)."""
        return {**self.apprenti(n, debut, tranche=tranche), "nom": "GABARIT"}

    def maitre(self, n: int) -> dict[str, Any]:
        i = n % self.taille_maitres * self.pas_maitres % self.taille_maitres
        jours = (NAISSANCE_MAITRES[1] - NAISSANCE_MAITRES[0]).days + 1
        jour, i = i % jours, i // jours
        prenom, _ = PRENOMS[i % len(PRENOMS)]
        nom = NOMS[i // len(PRENOMS)]
        return {
            "nom": nom,
            "prenom": prenom,
            "dateNaissance": (NAISSANCE_MAITRES[0] + timedelta(days=jour)).isoformat(),
            "courriel": f"{_ascii(prenom)[0]}.{_ascii(nom)}@{self.domaine_maitres}",
        }


def naissance_apprenti(debut: date, jour: int, tranche: int = 0) -> date:
    """Birth date number `jour` (0 <= jour < JOURS_NAISSANCE) for a contract starting on the 1st
    of a month. The pay periods of the demo contract (43 % then 53 % in year 1, 61 % in year 2)
    are then right for the apprentice's age: 18 at the start and under 21 until the end, or 20
    turning 21 in the month before period 1.2 (9th month), whose rate then applies. Another
    age bracket: aged AGES_TRANCHES[tranche] at the start and at most two more at the end."""
    if AGES_TRANCHES[tranche] is not None:
        return ajouter_mois(debut, -(AGES_TRANCHES[tranche] + 1) * 12) + timedelta(days=jour + 1)
    if jour < JOURS_18_ANS:
        return ajouter_mois(debut, -19 * 12) + timedelta(days=jour)
    mois = ajouter_mois(debut, 8 - 21 * 12)
    return mois.replace(day=jour - JOURS_18_ANS + 1)


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
    smic = smic_employeur(cerfa, referentiel, debut)
    taux = taux_premiere_periode(cerfa)
    if smic and taux is not None:
        salaire = salaire_minimal(taux, smic, minutes_hebdo(cerfa))
        contrat["salaireEmbauche"] = float(salaire)  # a JSON number, as the client sends it
    return cerfa


# --- The plan: state and reception time of each position of the run ------------------------


def repartir(nombre: int) -> dict[str, int]:
    """Dossiers per state for `nombre` (largest remainder; every state once from 7 on)."""
    parts = {e.value: nombre * p / 100 for e, p in REPARTITION.items()}
    comptes = {e: int(v) for e, v in parts.items()}
    for e in sorted(parts, key=lambda e: parts[e] - comptes[e], reverse=True):
        if sum(comptes.values()) == nombre:
            break
        comptes[e] += 1
    if nombre >= len(ETATS):
        for e in ETATS:
            if comptes[e] == 0:
                comptes[max(comptes, key=comptes.get)] -= 1
                comptes[e] = 1
    return comptes


@dataclass(frozen=True)
class Position:
    etat: str
    reception: datetime
    etapes: dict[str, datetime]  # time of each step of the lifecycle
    date_rupture: date | None
    motif_rupture: str | None

    @property
    def cle(self) -> tuple[str, date, date | None]:
        """What the services' result depends on besides the apprentice: the template (its
        training and age bracket follow its reception day)."""
        return self.etat, self.reception.date(), self.date_rupture

    @property
    def variante(self) -> tuple[int, int]:
        """(training, age bracket) of the day: every pair comes back every VARIANTES days."""
        jour = self.reception.toordinal() % VARIANTES
        return jour % len(FORMATIONS), jour // len(FORMATIONS) % len(AGES_TRANCHES)


@dataclass(frozen=True)
class Plan:
    opco: Opco
    maintenant: datetime
    comptes: dict[str, int]

    @property
    def nombre(self) -> int:
        return sum(self.comptes.values())

    def positions(self) -> Iterator[Position]:
        """Every position in order of reception (= of rank)."""
        o, now = self.opco, self.maintenant
        decides = {e.value: self.comptes[e.value] for e in DECIDES}
        n_decides = sum(decides.values())
        jours = min(max(n_decides / RECEPTIONS_PAR_JOUR, JOURS_DECIDES[0]), JOURS_DECIDES[1])
        fin = now - max(FIN_DECIDES, o.delai_refus_implicite + timedelta(days=5))
        phases = (
            (None, n_decides, fin - timedelta(days=jours), fin),
            (
                Etat.EN_COURS_INSTRUCTION.value,
                self.comptes[Etat.EN_COURS_INSTRUCTION],
                now - o.delai_refus_implicite + timedelta(days=1),
                now - o.delai_debut_instruction - timedelta(hours=1),
            ),
            (
                Etat.TRANSMIS.value,
                self.comptes[Etat.TRANSMIS],
                now - o.delai_debut_instruction + timedelta(hours=1),
                now - timedelta(minutes=5),
            ),
        )
        # Smooth weighted round robin: the decided states interleave evenly, exact counts.
        courant = dict.fromkeys(decides, 0)
        for etat_phase, nombre, debut, fin_phase in phases:
            for k in range(nombre):
                if etat_phase is None:
                    for e in courant:
                        courant[e] += decides[e]
                    etat = max(courant, key=courant.get)
                    courant[etat] -= n_decides
                else:
                    etat = etat_phase
                instant = debut + (fin_phase - debut) * ((k + 0.5) / nombre)
                yield self._position(etat, instant.replace(microsecond=0))

    def _position(self, etat: str, reception: datetime) -> Position:
        o = self.opco
        instruction = reception + o.delai_debut_instruction
        decision = instruction + o.delai_decision
        etapes = {
            "reception": reception,
            "instruction": instruction,
            "decision": decision,
            "refus": reception + o.delai_refus_implicite,
            "annulation": instruction + timedelta(days=3),
        }
        date_rupture = motif = None
        if etat in (Etat.RUPTURE, Etat.SOLDE):
            # A soldé contract was broken off early enough for its invoice to be paid by now.
            apres = DELAI_FACTURE + o.delai_paiement if etat == Etat.SOLDE else timedelta(0)
            date_rupture, motif = self._rupture(reception, apres)
            declaree = datetime.combine(date_rupture + timedelta(days=2), datetime.min.time(), UTC)
            etapes["rupture"] = max(decision + timedelta(hours=1), declaree + timedelta(hours=9))
        if etat == Etat.SOLDE:
            etapes["facture"] = etapes["rupture"] + DELAI_FACTURE
            etapes["solde"] = etapes["facture"] + o.delai_paiement  # paid: every échéance is
        return Position(etat, reception, etapes, date_rupture, motif)

    def _rupture(self, reception: datetime, apres: timedelta) -> tuple[date, str]:
        """Date and reason of the rupture of the contract received on `reception`: one of
        RUPTURES, declared by 3 days before now (`apres` more before), one a day (one template)
        and all of them over the days; if none fits yet, the latest date that does."""
        debut, _ = dates_contrat(reception.date())
        dernier = (self.maintenant - timedelta(days=3) - apres).date()
        possibles = [(j, m) for j, m in RUPTURES if debut + timedelta(days=j) <= dernier]
        if possibles:
            jours, motif = possibles[reception.toordinal() % len(possibles)]
            return debut + timedelta(days=jours), motif
        jours, motif = RUPTURES[0]
        return debut + timedelta(days=max(0, min(jours, (dernier - debut).days))), motif


# --- The services' result for one template ---------------------------------------------------

COLONNES_COPIEES = (
    "etat",
    "commentaire_etat",
    "controles",
    "version_norme",
    "type_contrat_app",
    "editeur_id",
    "logiciel",
    "version_logiciel",
    "prochaine_action",
    "engagement",
    "regime_financement",
    "participation_employeur",
    "date_rupture",
    "organisme_siret",
    "employeur_siret",
    "date_debut_contrat",
)
COLONNES_ECHEANCE = tuple(
    c.name for c in Echeance.__table__.columns if c.name not in ("id", "dossier_id")
)
COLONNES_FRAIS = tuple(
    c.name for c in FraisAnnexeEngage.__table__.columns if c.name not in ("id", "dossier_id")
)
# Invoices, certificats and their files: what each dossier has of its own (ids, numbers, ranks,
# times, bodies naming it) is set at the copy, the rest is the template's.
COLONNES_FACTURE = (
    "type_facture",
    "montant_total",
    "iban_emetteur",
    "siret_emetteur",
    "est_certificat_realisation",
    "etat",
    "commentaire",
    "contenu",
)
COLONNES_LIGNE = ("index", "annee", "nature", "montant", "quantite")
COLONNES_CERTIFICAT = ("type_certificat", "numero_echeance", "contenu")
COLONNES_FICHIER = ("opco_id", "nom", "type_mime", "taille", "sha256", "contenu")


@dataclass(frozen=True)
class FactureModele:
    """An invoice of the template, as the services stored it (paid by the simulator)."""

    colonnes: dict[str, Any]
    fichier: dict[str, Any]
    lignes: tuple[dict[str, Any], ...]
    echeances: tuple[int | None, ...]  # each line's échéance: its index in Gabarit.echeances
    payee: bool  # paid by a transfer (a reference of its own)


@dataclass(frozen=True)
class CertificatModele:
    colonnes: dict[str, Any]
    fichier: dict[str, Any]


@dataclass(frozen=True)
class Gabarit:
    """What the services stored for one template, to copy to each dossier of the template."""

    cerfa: dict[str, Any]
    tranche: int  # AGES_TRANCHES index: the apprentices' birth dates follow it
    colonnes: dict[str, Any]
    garde_cle_doublon: bool  # False once refused or cancelled (the key no longer counts)
    delai_action: timedelta | None  # next action, after the reception
    numero_deca: str | None  # the template's, replaced by each dossier's own
    evenements: tuple[tuple[str, str | None, str, str, str], ...]  # (step, from, to, why, who)
    echeances: tuple[dict[str, Any], ...]
    frais: tuple[dict[str, Any], ...]
    factures: tuple[FactureModele, ...] = ()
    certificats: tuple[CertificatModele, ...] = ()


@dataclass
class Generateur:
    sandbox: Sandbox
    opco: Opco
    siren: str
    base: dict[str, Any]  # the demo contract, with this CFA and an employer of this OPCO
    identites: Identites
    emetteur: dossiers.Emetteur
    gabarits: dict[tuple, Gabarit] = field(default_factory=dict)
    rejoues: int = 0
    modeles: int = 0

    def cerfa(self, position: Position) -> dict:
        return cerfa_cohorte(
            self.sandbox.referentiel,
            self.base,
            *dates_contrat(position.reception.date()),
            *position.variante,
        )

    def preparer(self, positions: list[Position]) -> None:
        """Replay the lifecycle of each new template once, in a transaction rolled back."""
        jour = positions[0].reception.date()
        for cle in [c for c in self.gabarits if c[1] < jour]:  # days behind: never used again
            del self.gabarits[cle]
        nouvelles = {p.cle: p for p in positions if p.cle not in self.gabarits}
        if not nouvelles:
            return
        with self.sandbox.session() as session:
            try:
                for cle, position in nouvelles.items():
                    self.gabarits[cle] = self._rejouer(session, position)
                    self.rejoues += 1
            finally:
                session.rollback()

    def _transmettre(self, session: Session, cerfa: dict, tranche: int) -> Dossier:
        debut = date.fromisoformat(cerfa["contrat"]["dateDebutContrat"])
        for _ in range(50):
            self.modeles += 1  # a new apprentice each time: the rolled-back ones are still there
            modele = appliquer_identite(
                cerfa,
                self.identites.modele(self.modeles, debut, tranche),
                self.identites.maitre(0),
            )
            try:
                version = self.opco.versions[0]
                return dossiers.transmettre(
                    session, self.sandbox, self.opco, self.emetteur, modele, version
                )
            except NormError as exc:
                if any(i.code != "DOSSIER_DUPLICATE" for i in exc.items):
                    raise ErreurGeneration(
                        "Le contrat modèle est refusé à la transmission : "
                        + " ; ".join(f"[{i.code}] {i.description}" for i in exc.items)
                    ) from exc
        raise ErreurGeneration("Aucune identité libre pour le dossier modèle.")

    def _rejouer(self, session: Session, position: Position) -> Gabarit:
        """The services' lifecycle for one template, with the first dossier's times."""
        t, etat, sandbox = position.etapes, position.etat, self.sandbox
        tranche = position.variante[1]
        d = self._transmettre(session, self.cerfa(position), tranche)
        # Received at its own time, not now: what follows depends on it.
        d.recu_le = d.maj_le = position.reception
        simulateur.planifier_reception(d, sandbox)
        etapes = ["reception"] * len(d.evenements)

        def etape(nom: str, action: Callable[[], object]) -> None:
            avant = len(d.evenements)
            action()
            etapes.extend([nom] * (len(d.evenements) - avant))

        acteur = "simulateur"
        if etat != Etat.TRANSMIS:
            etape(
                "instruction",
                lambda: simulateur.instruire(session, sandbox, d, t["instruction"], acteur),
            )
        if etat == Etat.REFUSE:
            etape("refus", lambda: simulateur.refus_implicite(session, d, t["refus"]))
        elif etat == Etat.ANNULE:
            etape(
                "annulation",
                lambda: pilotage.forcer(session, sandbox, d, etat, MOTIF_ANNULATION, None),
            )
        elif etat in (Etat.ENGAGE, Etat.RUPTURE, Etat.SOLDE):
            # The convention came with the contract: the decision is due after the delay and
            # claimed by the simulator. Every generated maître is distinct: no other active
            # dossier of the OPCO shares one, which is all the instruction reads of them.
            simulateur.planifier(d, None, None)
            etape(
                "decision",
                lambda: simulateur.decider(session, sandbox, d, t["decision"], acteur, actifs=()),
            )
            if d.etat != Etat.ENGAGE:
                raise ErreurGeneration(
                    f"L'instruction refuse le contrat modèle chez {self.opco.nom} : "
                    f"{d.commentaire_etat}"
                )
            if etat in (Etat.RUPTURE, Etat.SOLDE):
                etape(
                    "rupture",
                    lambda: ruptures.rompre(
                        session, sandbox, d, position.date_rupture, position.motif_rupture, "client"
                    ),
                )
            if etat == Etat.SOLDE:  # every échéance still owed invoiced, then paid
                numero = f"GABARIT-{self.rejoues}"  # each dossier gets its own at the copy
                etape("solde", lambda: self._solder(session, d, numero, t))
        if d.etat != etat:
            raise ErreurGeneration(f"Le dossier modèle est à l'état {d.etat}, {etat} attendu.")
        session.flush()
        action = aware(d.prochaine_action_le) if d.prochaine_action_le else None
        return Gabarit(
            cerfa=copy.deepcopy(d.cerfa),
            tranche=tranche,
            colonnes={c: copy.deepcopy(getattr(d, c)) for c in COLONNES_COPIEES},
            garde_cle_doublon=d.cle_doublon is not None,
            delai_action=action - position.reception if action else None,
            numero_deca=d.numero_deca,
            evenements=tuple(
                (nom, e.etat_avant, e.etat_apres, e.cause, e.acteur)
                for nom, e in zip(etapes, d.evenements, strict=True)
            ),
            echeances=tuple({c: getattr(e, c) for c in COLONNES_ECHEANCE} for e in d.echeances),
            frais=tuple({c: getattr(f, c) for c in COLONNES_FRAIS} for f in d.frais_annexes),
            factures=_factures_modeles(session, d),
            certificats=_certificats_modeles(session, d),
        )

    def _solder(self, session: Session, d: Dossier, numero: str, t: dict[str, datetime]) -> None:
        try:
            solder(
                session, self.sandbox, self.opco, self.siren, d, numero, t["facture"], t["solde"]
            )
        except NormError as exc:
            raise ErreurGeneration(
                "La facture du dossier modèle est refusée : "
                + " ; ".join(f"[{i.code}] {i.description}" for i in exc.items)
            ) from exc

    # --- Rows ------------------------------------------------------------------------------

    def inserer(
        self, session: Session, positions: list[Position], verifier: bool = False
    ) -> tuple[int, int]:
        """Insert one batch in the session's transaction: (rows inserted, first rank).

        Generated apprentices are distinct from each other by construction; `verifier` also
        renames the few the OPCO may already hold from elsewhere (the insert raised), and
        numbers otherwise the few invoices whose CFA number the CFA already used."""
        reserve = self._reserver(session, [self.gabarits[p.cle] for p in positions])
        variantes: dict[int, int] = {}
        suffixes: dict[int, int] = {}
        while True:
            lignes = self._lignes(positions, reserve, variantes, suffixes)
            if not verifier:
                break
            cles = _deja_pris(
                session,
                Dossier.cle_doublon,
                [d["cle_doublon"] for d in lignes[Dossier]],
                Dossier.opco_id == self.opco.id,
            )
            numeros = _deja_pris(
                session,
                Facture.numero_actif,
                [f["numero_actif"] for f in lignes[Facture]],
                Facture.opco_id == self.opco.id,
                Facture.cfa_siren == self.siren,
            )
            if not cles and not numeros:
                break
            for k, d in enumerate(lignes[Dossier]):  # an apprentice the OPCO already has: rename
                if d["cle_doublon"] in cles:
                    variantes[k] = variantes.get(k, 0) + 1
            for k, f in enumerate(lignes[Facture]):
                if f["numero_actif"] in numeros:
                    suffixes[k] = suffixes.get(k, 0) + 1
        for modele, rows in lignes.items():
            if rows:
                _inserer(session, modele.__table__, rows)
        partage.recalculer(session)  # bulk rows: the flush hooks did not see their due times
        return sum(len(rows) for rows in lignes.values()), reserve.premiers["rang"]

    def _reserver(self, session: Session, gabarits: list[Gabarit]) -> Reserve:
        """The batch's numbers and ranks (the counters move past them) and the ids of the rows
        that other rows point to."""
        opco, siren = self.opco.id, self.siren
        n = len(gabarits)
        nombres = {
            "dossier": n,
            "deca": sum(1 for g in gabarits if g.numero_deca),
            "facture": sum(len(g.factures) for g in gabarits),
            f"factures:{siren}": sum(len(g.factures) for g in gabarits),
            "virement": sum(f.payee for g in gabarits for f in g.factures),
            "document": sum(len(g.factures) + len(g.certificats) for g in gabarits),
        }
        premiers = {
            nom: compteurs.reserver_sequence(session, opco, nom, nombre)
            for nom, nombre in nombres.items()
            if nombre
        }
        premiers["rang"] = compteurs.reserver_rangs(session, opco, siren, n)
        ids = {
            Dossier: n,
            Echeance: sum(len(g.echeances) for g in gabarits),
            Facture: nombres["facture"],
            Fichier: nombres["document"],
        }
        return Reserve(premiers, {m: _reserver_ids(session, m, k) for m, k in ids.items() if k})

    def _lignes(
        self,
        positions: list[Position],
        reserve: Reserve,
        variantes: dict[int, int],
        suffixes: dict[int, int],
    ) -> dict[type, list[dict]]:
        """The batch's rows, table by table in the order they go in (parents first)."""
        opco, siren, identites = self.opco, self.siren, self.identites
        lignes: dict[type, list[dict]] = {m: [] for m in TABLES}
        suite = Suite(reserve)
        for k, p in enumerate(positions):
            g, seq, ident = self.gabarits[p.cle], suite.numero("dossier"), suite.id(Dossier)
            debut = g.colonnes["date_debut_contrat"]
            apprenti = identites.apprenti(seq - 1, debut, variantes.get(k, 0), g.tranche)
            cerfa = appliquer_identite(g.cerfa, apprenti, identites.maitre(seq - 1))
            # The establishment follows the apprentice (a renamed one is then still a duplicate).
            cle = f"{apprenti['nom']}|{apprenti['prenom']}|{apprenti['dateNaissance']}"
            cerfa["employeur"] = etablissement_employeur(
                cerfa["employeur"], zlib.crc32(cle.encode())
            )
            numero_deca = None
            if g.numero_deca:
                numero_deca = engagements.deca(cerfa, p.etapes["decision"], suite.numero("deca"))
            for nom, avant, apres, cause, acteur in g.evenements:
                if numero_deca:
                    cause = cause.replace(g.numero_deca, numero_deca)
                lignes[EvenementDossier].append(
                    {
                        "dossier_id": ident,
                        "horodatage": p.etapes[nom],
                        "etat_avant": avant,
                        "etat_apres": apres,
                        "cause": cause,
                        "acteur": acteur,
                    }
                )
            dossier = {
                **g.colonnes,
                "id": ident,
                "opco_id": opco.id,
                "numero_interne": opco.numero_interne(seq, p.reception),
                "numero_externe": opco.numero_externe(seq, p.reception),
                "numero_deca": numero_deca,
                "cfa_siren": siren,
                "rang": suite.numero("rang"),
                "employeur_siret": cerfa["employeur"]["siret"],
                "apprenti_nom": apprenti["nom"],
                "apprenti_prenom": apprenti["prenom"],
                "apprenti_date_naissance": date.fromisoformat(apprenti["dateNaissance"]),
                "apprenti_nir": dossiers.nir_de(cerfa),
                "cle_doublon": dossiers.cle_doublon(cerfa) if g.garde_cle_doublon else None,
                "cerfa": cerfa,
                "recu_le": p.reception,
                "maj_le": p.etapes[g.evenements[-1][0]],
                "prochaine_action_le": p.reception + g.delai_action if g.delai_action else None,
            }
            lignes[Dossier].append(dossier)
            echeances = [suite.id(Echeance) for _ in g.echeances]
            lignes[Echeance] += [
                {**e, "id": i, "dossier_id": ident}
                for e, i in zip(g.echeances, echeances, strict=True)
            ]
            lignes[FraisAnnexeEngage] += [{**f, "dossier_id": ident} for f in g.frais]
            if g.factures or g.certificats:
                self._pieces(lignes, g, p, dossier, echeances, suite, suffixes)
        return lignes

    def _pieces(
        self,
        lignes: dict[type, list[dict]],
        g: Gabarit,
        p: Position,
        dossier: dict[str, Any],
        echeances: list[int],
        suite: Suite,
        suffixes: dict[int, int],
    ) -> None:
        """The dossier's own copy of the template's final certificat and paid invoices: its
        own ids, document, invoice and transfer numbers, CFA rank and number, times."""
        depot, reglement = p.etapes["facture"], p.etapes["solde"]

        def fichier(modele: dict[str, Any]) -> int:
            ident = suite.id(Fichier)
            numero = fichiers.numero_document(suite.numero("document"))
            lignes[Fichier].append({**modele, "id": ident, "numero": numero, "recu_le": depot})
            return ident

        for c in g.certificats:
            contenu = c.colonnes["contenu"]
            lignes[Certificat].append(
                {
                    **c.colonnes,
                    "dossier_id": dossier["id"],
                    "fichier_id": fichier(c.fichier),
                    "recu_le": depot,
                    "contenu": certificat(
                        contenu["typeCertificat"],
                        dossier["numero_interne"],
                        dossier["cerfa"],
                        contenu["echeance"],
                        depot.date(),
                    ),
                }
            )
        for f in g.factures:
            ident, rang = suite.id(Facture), suite.numero(f"factures:{self.siren}")
            numero = numero_facture_cfa(depot.date(), rang, suffixes.get(len(lignes[Facture])))
            reference = None
            if f.payee:
                reference = factures.reference_virement(
                    self.opco.id, reglement, suite.numero("virement")
                )
            reglee = f.colonnes["etat"] == factures.REGLE
            contenu = f.colonnes["contenu"]
            lignes[Facture].append(
                {
                    **f.colonnes,
                    "id": ident,
                    "opco_id": self.opco.id,
                    "cfa_siren": self.siren,
                    "rang": rang,
                    "numero_interne": factures.numero_interne(suite.numero("facture")),
                    "numero": numero,
                    "numero_actif": numero,
                    "date_emission": depot.date(),
                    "reference_virement": reference,
                    "date_reglement": reglement.date() if reglee else None,
                    "fichier_id": fichier(f.fichier),
                    "recue_le": depot,
                    "reglement_prevu_le": None,
                    "contenu": {
                        **contenu,
                        "numero": numero,
                        "dateEmission": depot.date().isoformat(),
                        "lignes": [
                            {
                                **ligne,
                                "numeroDossier": dossier["numero_externe"],
                                "numeroDeca": dossier["numero_deca"],
                            }
                            for ligne in contenu["lignes"]
                        ],
                    },
                }
            )
            lignes[LigneFacture] += [
                {
                    **ligne,
                    "facture_id": ident,
                    "dossier_id": dossier["id"],
                    "echeance_id": None if i is None else echeances[i],
                }
                for ligne, i in zip(f.lignes, f.echeances, strict=True)
            ]


# Tables of a batch, in the order their rows go in (a row only points to rows before it).
TABLES = (
    Dossier,
    EvenementDossier,
    Echeance,
    FraisAnnexeEngage,
    Fichier,
    Facture,
    LigneFacture,
    Certificat,
)


@dataclass(frozen=True)
class Reserve:
    """What one batch reserved: the first value of each counter it takes numbers from (the
    OPCO's sequences by name, "rang" for the CFA's dossier ranks) and ids by table."""

    premiers: dict[str, int]
    ids: dict[type, list[int]]


class Suite:
    """The next reserved number of each counter and the next reserved id of each table, in
    the order the batch's rows are built (the same at every build of the batch)."""

    def __init__(self, reserve: Reserve) -> None:
        self._valeurs = dict(reserve.premiers)
        self._ids = {modele: iter(ids) for modele, ids in reserve.ids.items()}

    def numero(self, compteur: str) -> int:
        valeur = self._valeurs[compteur]
        self._valeurs[compteur] = valeur + 1
        return valeur

    def id(self, modele: type) -> int:
        return next(self._ids[modele])


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
    documents.deposer_certificat(session, sandbox, opco, siren, corps, "certificat.pdf", pdf)
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


def _fichier_modele(fichier: Fichier) -> dict[str, Any]:
    return {c: getattr(fichier, c) for c in COLONNES_FICHIER}


def _certificats_modeles(session: Session, dossier: Dossier) -> tuple[CertificatModele, ...]:
    return tuple(
        CertificatModele(
            {c: copy.deepcopy(getattr(x, c)) for c in COLONNES_CERTIFICAT},
            _fichier_modele(session.get(Fichier, x.fichier_id)),
        )
        for x in session.scalars(
            select(Certificat).where(Certificat.dossier_id == dossier.id).order_by(Certificat.id)
        )
    )


def _factures_modeles(session: Session, dossier: Dossier) -> tuple[FactureModele, ...]:
    """The invoices of the template dossier, each line's échéance by its index."""
    index = {e.id: i for i, e in enumerate(dossier.echeances)}
    siennes = select(LigneFacture.facture_id).where(LigneFacture.dossier_id == dossier.id)
    return tuple(
        FactureModele(
            colonnes={c: copy.deepcopy(getattr(f, c)) for c in COLONNES_FACTURE},
            fichier=_fichier_modele(f.fichier),
            lignes=tuple({c: getattr(lg, c) for c in COLONNES_LIGNE} for lg in f.lignes),
            echeances=tuple(index.get(lg.echeance_id) for lg in f.lignes),
            payee=f.reference_virement is not None,
        )
        for f in session.scalars(
            select(Facture).where(Facture.id.in_(siennes)).order_by(Facture.id)
        )
    )


def _reserver_ids(session: Session, modele: type, nombre: int) -> list[int]:
    """`nombre` ids of the table of `modele` nobody else will take (other rows point to them)."""
    if session.get_bind().dialect.name == "postgresql":
        # From the table's own sequence, as any INSERT would: concurrent inserts never clash.
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": modele.__tablename__, "n": nombre},
            )
        )
    # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE); a rowid table hands
    # out max(id) + 1 next.
    premier = (session.scalar(select(func.max(modele.id))) or 0) + 1
    return list(range(premier, premier + nombre))


def _inserer(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert: one Core executemany, or on PostgreSQL a COPY in the same transaction
    (its executemany runs one INSERT per row, several times slower for these wide rows)."""
    connexion = session.connection()
    if connexion.dialect.name != "postgresql":
        connexion.execute(table.insert(), rows)
        return
    colonnes = list(rows[0])
    serialiser = connexion.dialect._json_serializer or json.dumps
    en_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    brute = connexion.connection.driver_connection
    with (
        brute.cursor() as curseur,
        curseur.copy(f"COPY {table.name} ({', '.join(colonnes)}) FROM STDIN") as copie,
    ):
        for row in rows:
            copie.write_row(
                [
                    serialiser(row[c]) if c in en_json and row[c] is not None else row[c]
                    for c in colonnes
                ]
            )


def _deja_pris(
    session: Session,
    colonne: InstrumentedAttribute[Any],
    valeurs: list[str | None],
    *ou: ColumnElement[bool],
) -> set[str]:
    """Those of `valeurs` that a row matching `ou` already has in `colonne`."""
    wanted = [v for v in valeurs if v is not None]
    pris: set[str] = set()
    for i in range(0, len(wanted), 500):
        pris.update(session.scalars(select(colonne).where(*ou, colonne.in_(wanted[i : i + 500]))))
    return pris


# --- Entry point -------------------------------------------------------------------------------


def _base(sandbox: Sandbox, session: Session, opco: Opco, siren: str) -> dict[str, Any]:
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


def generer(
    sandbox: Sandbox,
    nombre: int,
    opco_id: str = "akto",
    siren: str | None = None,
    progression: Callable[[int, int], None] | None = None,
    taille_lot: int = TAILLE_LOT,
) -> Bilan:
    """Generate `nombre` dossiers for the CFA `siren` (default: the first demo CFA) at the OPCO
    `opco_id`; `progression(done, total)` is called after each batch."""
    if nombre < 1:
        raise ErreurGeneration(f"Le nombre de dossiers doit être au moins 1 (reçu : {nombre}).", 2)
    opco = sandbox.opcos.get(opco_id.lower())
    if opco is None:
        raise ErreurGeneration(
            f"OPCO inconnu : {opco_id} (connus : {', '.join(sandbox.opcos.ids)}).", code=2
        )
    if siren is None:
        siren = str(load_demo(sandbox)["cfas"][0]["siren"])
    debut = time.perf_counter()
    sandbox.etat.synchroniser()
    with sandbox.session() as session:
        base = _base(sandbox, session, opco, siren)
    domaine = base["maitre1"].get("courriel", "x@entreprise.example").split("@")[-1]
    generateur = Generateur(
        sandbox,
        opco,
        siren,
        base,
        Identites(domaine),
        dossiers.Emetteur(siren, None, LOGICIEL, _version()),
    )
    plan = Plan(opco, sandbox.horloge.maintenant().replace(microsecond=0), repartir(nombre))
    fait = lignes = 0
    premier_rang = None
    for lot in _lots(plan.positions(), taille_lot):
        generateur.preparer(lot)
        try:
            with sandbox.session() as session:
                rows, rang = generateur.inserer(session, lot)
                session.commit()
        except IntegrityError:  # an apprentice already at the OPCO: again, renaming him
            with sandbox.session() as session:
                rows, rang = generateur.inserer(session, lot, verifier=True)
                session.commit()
        lignes += rows
        premier_rang = rang if premier_rang is None else premier_rang
        fait += len(lot)
        if progression:
            progression(fait, nombre)
    if sandbox.engine.dialect.name == "postgresql" and nombre >= ANALYSE_DES:
        # Fresh statistics after a bulk load: the planner keeps using the indexes.
        with sandbox.session() as session:
            tables = ", ".join(m.__tablename__ for m in TABLES)
            session.execute(text(f"ANALYZE {tables}"))
            session.commit()
    return Bilan(
        opco=opco.id,
        siren=siren,
        nombre=nombre,
        premier_rang=premier_rang or 0,
        dernier_rang=(premier_rang or 0) + nombre - 1,
        par_etat=plan.comptes,
        lignes=lignes,
        gabarits=generateur.rejoues,
        duree=time.perf_counter() - debut,
    )


def _version() -> str:
    try:
        return metadata.version("opco-server")
    except metadata.PackageNotFoundError:
        return "dev"


def _lots(positions: Iterator[Position], taille: int) -> Iterator[list[Position]]:
    lot: list[Position] = []
    for p in positions:
        lot.append(p)
        if len(lot) == taille:
            yield lot
            lot = []
    if lot:
        yield lot
