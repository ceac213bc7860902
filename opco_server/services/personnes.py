"""Generated people: distinct apprentices and maîtres d'apprentissage, as the bulk generator
(opco_server.outils.generation) and the example bodies (services/exemples) give them: common
French names, a birth date that fits the demo contract's pay periods, a NIR, e-mail and phone
consistent with them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import gcd
from typing import Any

from rules.calculs import ajouter_mois
from rules.identifiants import cle_nir

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
# Age brackets of the apprentices: 0 the demo contract's (18-20, pay periods 1.1, 1.2, 2.1),
# then the years at the start of the others, who stay in their bracket for the two years.
AGES_TRANCHES = (None, 21, 26)
JOURS_18_ANS = 300  # apprentices aged 18 at the start: born in the 300 days from start - 19 y
# ... and 20-year-olds born in the month that makes them 21 when period 1.2 starts (as the
# demo contract's apprentice): 28 days, so that every month has them.
JOURS_20_ANS = 28
JOURS_NAISSANCE = JOURS_18_ANS + JOURS_20_ANS
NAISSANCE_MAITRES = (date(1966, 1, 1), date(1977, 12, 31))  # aged 48 to 61 in 2026


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
