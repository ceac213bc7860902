"""Pure arithmetic helpers for the rules: ages, months, contract years, pay brackets, cents.

Conventions (decided here once, used by every rule):

* **Age in whole years** (`age_au`) is counted like date-fns `differenceInYears`, which the
  ministry's Cerfa generator uses: the age goes up on the birthday; someone born on 29 February
  has their birthday on **1 March** in common years.
* **Adding months** (`ajouter_mois`) clamps to the end of the month (31 Jan + 1 month = 28/29 Feb).
* **Months between dates** (`mois_entre`) counts whole months only: the largest k such that
  `ajouter_mois(debut, k) <= fin`; a partial month never counts (floor).
* **"Durée en mois"** of a contract (`duree_mois`) treats the end date as inclusive, as the Cerfa
  tools do: 2026-09-01 → 2028-08-31 is 24 months; 2026-09-01 → 2027-02-27 is 5 months (and
  27 days, which do not count). Rules comparing with a ceiling ("more than 36 months") compare
  dates instead (`fin >= ajouter_mois(debut, 36)`), so that 36 months and 1 day is "more".
* **Pay bracket** (`tranche_au`): the bracket of D6222-26 changes on the 1st of the month after
  the 18th/21st/26th birthday, even when the birthday is itself a 1st.
* **Contract year** (`annee_execution`): year n runs from `ajouter_mois(debut, 12 (n-1))`
  included to `ajouter_mois(debut, 12 n)` excluded.
"""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from rules.cerfa import CerfaVue
from rules.champs import date_, texte
from rules.referentiel import Referentiel

UN_JOUR = timedelta(days=1)
CENT = Decimal("0.01")
TRANCHES = ("moins_18", "18_20", "21_25", "26_plus")
_AGES_CHANGEMENT = (18, 21, 26)


def ajouter_mois(jour: date, mois: int) -> date:
    """`jour` + `mois` months (negative allowed), clamped to the last day of the target month."""
    index = jour.year * 12 + jour.month - 1 + mois
    annee, mois0 = divmod(index, 12)
    dernier = calendar.monthrange(annee, mois0 + 1)[1]
    return date(annee, mois0 + 1, min(jour.day, dernier))


def mois_entre(debut: date, fin: date) -> int:
    """Whole months from `debut` to `fin` (floor; negative when `fin` is before `debut`)."""
    k = (fin.year - debut.year) * 12 + fin.month - debut.month
    while ajouter_mois(debut, k) > fin:
        k -= 1
    while ajouter_mois(debut, k + 1) <= fin:
        k += 1
    return k


def duree_mois(debut: date, fin_incluse: date) -> int:
    """Contract length in whole months, the end date being the contract's last day."""
    return mois_entre(debut, fin_incluse + UN_JOUR)


def duree_jours(debut: date, fin_incluse: date) -> int:
    """Number of calendar days from `debut` to `fin_incluse`, both included."""
    return (fin_incluse - debut).days + 1


def anniversaire(naissance: date, age: int) -> date:
    """The day `age` is reached (29 February births: 1 March in common years)."""
    try:
        return naissance.replace(year=naissance.year + age)
    except ValueError:
        return date(naissance.year + age, 3, 1)


def age_au(naissance: date, jour: date) -> int:
    """Age in whole years ("révolus") on `jour`."""
    age = jour.year - naissance.year
    return age - 1 if jour < anniversaire(naissance, age) else age


def premier_du_mois_suivant(jour: date) -> date:
    """The 1st of the month after `jour`'s month."""
    return date(jour.year + jour.month // 12, jour.month % 12 + 1, 1)


def changement_tranche(naissance: date, age: int) -> date:
    """Date from which the pay of an apprentice reaching `age` follows the new bracket."""
    return premier_du_mois_suivant(anniversaire(naissance, age))


def age_pour_remuneration(naissance: date, jour: date) -> int:
    """Age as the pay grid sees it: a birthday counts from the 1st of the following month."""
    age = age_au(naissance, jour)
    return age - 1 if changement_tranche(naissance, age) > jour else age


def tranche_age(age: int) -> str:
    """D6222-26 column for an age: "moins_18", "18_20", "21_25" or "26_plus"."""
    return TRANCHES[sum(age >= seuil for seuil in _AGES_CHANGEMENT)]


def tranche_au(naissance: date, jour: date) -> str:
    """Pay bracket in force on `jour` (changes on the 1st of the month after the birthday)."""
    return tranche_age(age_pour_remuneration(naissance, jour))


def changements_tranche(naissance: date, debut: date, fin: date) -> list[date]:
    """Bracket change dates falling in ]debut, fin]."""
    dates = (changement_tranche(naissance, age) for age in _AGES_CHANGEMENT)
    return [d for d in dates if debut < d <= fin]


def annee_execution(debut_contrat: date, jour: date) -> int:
    """Contract year (1, 2, ...) that `jour` belongs to; 12-month years from the start date."""
    return mois_entre(debut_contrat, jour) // 12 + 1


def debut_annee(debut_contrat: date, annee: int) -> date:
    """First day of contract year `annee` (1-based)."""
    return ajouter_mois(debut_contrat, 12 * (annee - 1))


def debuts_annees(debut_contrat: date, debut: date, fin: date) -> list[date]:
    """Starts of contract years falling in ]debut, fin]."""
    n = annee_execution(debut_contrat, debut) + 1
    starts = []
    while (d := debut_annee(debut_contrat, n)) <= fin:
        starts.append(d)
        n += 1
    return starts


def chevauchent(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    """Do two inclusive periods overlap? A missing bound is unbounded."""
    return (a[0] is None or b[1] is None or a[0] <= b[1]) and (
        b[0] is None or a[1] is None or b[0] <= a[1]
    )


def en_decimal(v: object) -> Decimal | None:
    """A wire number as a Decimal (via str, never through float arithmetic); None otherwise."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        return None
    try:
        d = Decimal(str(v).strip())
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


def au_centime_superieur(montant: Decimal) -> Decimal:
    """Round up to the cent, as the Cerfa generator does for minimum pay."""
    return montant.quantize(CENT, rounding=ROUND_CEILING)


def euros(montant: Decimal) -> str:
    """French display of an amount, « 3 002,74 € »: a narrow no-break space between thousands
    and a no-break space before the sign, so that an amount never breaks across lines."""
    arrondi = montant.quantize(CENT, rounding=ROUND_HALF_UP)
    texte = f"{abs(arrondi):,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{'-' if arrondi < 0 else ''}{texte}\u00a0€"


def salaire_minimal(taux: Decimal, smic: Decimal, minutes_hebdo: int) -> Decimal:
    """taux % × monthly SMIC × weekly time / 35 h, rounded up to the cent."""
    return au_centime_superieur(taux * smic * minutes_hebdo / (100 * 35 * 60))


def niveau_diplome(code: int | None) -> int | None:
    """National framework level of a Cerfa diploma code (rules.md 4.3: its first digit)."""
    return None if code is None or code < 10 else code // 10


def identite(nom: object, prenom: object, naissance: date | None) -> tuple[str, str, date | None]:
    """Person key: names without accents, case, hyphens or extra spaces, plus the birth date."""
    return (_normaliser(nom), _normaliser(prenom), naissance)


def _normaliser(texte: object) -> str:
    s = unicodedata.normalize("NFKD", str(texte or "")).casefold()
    s = "".join(c if c.isalnum() else " " for c in s if not unicodedata.combining(c))
    return " ".join(s.split())


# --- Cerfa readers shared by several rules (a CerfaVue in, plain values out) ---


def age_a(cerfa: CerfaVue, chemin_date: str) -> int | None:
    """Apprentice's age in whole years at the Cerfa date `chemin_date` ("contrat.dateConclusion")."""
    naissance, jour = cerfa.date("apprenti.dateNaissance"), cerfa.date(chemin_date)
    return age_au(naissance, jour) if naissance and jour else None


def sans_limite_age(cerfa: CerfaVue) -> bool:
    """RQTH, sportif de haut niveau or business creation: no upper age limit (L6222-2 3°-5°)."""
    return any(
        cerfa.booleen(f"apprenti.{c}")
        for c in ("handicap", "inscriptionSportifDeHautNiveau", "projetCreationRepriseEntreprise")
    )


def succession_apres_29(cerfa: CerfaVue) -> bool:
    """Exception 1°/2° of L6222-2 claimed: contract type 21/22/23 with derogation 12 or 50."""
    type_contrat = cerfa.entier("contrat.typeContratApp")
    return type_contrat in {21, 22, 23} and cerfa.entier("contrat.typeDerogation") in {12, 50}


def date_formation_pratique(cerfa: CerfaVue) -> tuple[str, date | None]:
    """Start of practical training: (field path, date), from either wire name of the key."""
    for cle in ("dateDebutFormationPratique", "dateFormationPratiqueEmployeur"):
        if (jour := cerfa.date(f"contrat.{cle}")) is not None:
            return f"cerfa.contrat.{cle}", jour
    return "cerfa.contrat.dateDebutFormationPratique", None


def maitres_renseignes(cerfa: CerfaVue) -> list[tuple[str, dict]]:
    """("maitre1", {...}) and ("maitre2", {...}) for each maître block present with a name."""
    blocs = ((cle, cerfa.valeur(cle)) for cle in ("maitre1", "maitre2"))
    return [(cle, m) for cle, m in blocs if isinstance(m, dict) and texte(m, "nom")]


def periodes_remuneration(
    cerfa: CerfaVue,
) -> list[tuple[int, tuple[date | None, date | None, Decimal | None]]]:
    """(index, (dateDebut, dateFin, taux)) for each contrat.remunerationsAnnuelles line."""
    lignes = cerfa.valeur("contrat.remunerationsAnnuelles")
    return [
        (i, (date_(x, "dateDebut"), date_(x, "dateFin"), en_decimal(x.get("taux"))))
        for i, x in enumerate(lignes if isinstance(lignes, list) else [])
        if isinstance(x, dict)
    ]


def taux_premiere_periode(cerfa: CerfaVue) -> Decimal | None:
    """Rate of period "1.1", else of the earliest-starting period."""
    lignes = [
        x for x in cerfa.valeur("contrat.remunerationsAnnuelles") or [] if isinstance(x, dict)
    ]
    premiere = next((x for x in lignes if texte(x, "ordre") == "1.1"), None)
    if premiere is None and lignes:
        premiere = min(lignes, key=lambda x: date_(x, "dateDebut") or date.max)
    return en_decimal(premiere.get("taux")) if premiere else None


def problemes_couverture(lignes: object, debut: date, fin: date) -> list[tuple[str, str]]:
    """(field suffix, French problem) for pay periods that do not tile [debut, fin] by ordre year."""
    if not isinstance(lignes, list) or not lignes:
        return [("", "aucune période de rémunération")]
    problemes, periodes, ordres = [], [], set()
    for i, ligne in enumerate(x if isinstance(x, dict) else {} for x in lignes):
        d, f, ordre = date_(ligne, "dateDebut"), date_(ligne, "dateFin"), texte(ligne, "ordre")
        if d is None or f is None or f < d:
            problemes.append(
                (f"[{i}].dateFin" if d else f"[{i}].dateDebut", "période sans dates valides")
            )
            continue
        periodes.append((d, f, i))
        annees = {annee_execution(debut, d), annee_execution(debut, f)}
        if ordre and ordre[0].isdigit() and (ordre in ordres or annees != {int(ordre[0])}):
            problemes.append(
                (
                    f"[{i}].ordre",
                    f"la période {ordre} ({d} → {f}) est en double ou hors de l'année {ordre[0]} du contrat",
                )
            )
        ordres.add(ordre)
    if len(periodes) < len(lignes):  # undated periods: contiguity cannot be judged
        return problemes
    attendu = debut
    for d, f, i in sorted(periodes):
        if d != attendu:
            problemes.append((f"[{i}].dateDebut", f"la période débute le {d} au lieu du {attendu}"))
        attendu = max(attendu, f + UN_JOUR)
    if attendu - UN_JOUR != fin:
        problemes.append(("", f"les périodes se terminent le {attendu - UN_JOUR} et non le {fin}"))
    return problemes


def minutes_hebdo(cerfa: CerfaVue) -> int:
    """Weekly working time in minutes (dureeTravailHebdoHeures × 60 + …Minutes)."""
    heures = cerfa.entier("contrat.dureeTravailHebdoHeures") or 0
    return heures * 60 + (cerfa.entier("contrat.dureeTravailHebdoMinutes") or 0)


def smic_employeur(cerfa: CerfaVue, referentiel: Referentiel, jour: date | None) -> Decimal | None:
    """Monthly SMIC on `jour`, Mayotte's when the employer's postcode starts with 976."""
    mayotte = (cerfa.texte("employeur.adresse.codePostal") or "").startswith("976")
    return referentiel.smic_au(jour, mayotte=mayotte) if jour else None
