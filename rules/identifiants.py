"""Identifier rules (rules.md 3.1-3.4, 5.1): SIRET (format, key, SIRENE stub), UAI and NIR.

Also the pure check helpers other modules reuse: `siret_valide`, `lettre_uai`, `cle_nir`,
`iban_valide` (invoices: ID_IBAN_CHECKSUM is applied there, not to the Cerfa), and the masked
forms a message shows instead of a NIR or an IBAN: `nir_masque`, `iban_masque`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban as stdnum_iban
from stdnum.fr import nir as stdnum_nir
from stdnum.fr import siret as stdnum_siret

from rules.calculs import identite
from rules.cerfa import CerfaVue
from rules.registry import Constat, Contexte, Moment, Severite, regle

ALPHABET_UAI = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
_SIRET = re.compile(r"^\d{14}$")
_UAI = re.compile(r"^\d{7}[A-Z]$")
# Where the Cerfa carries a SIRET / a UAI (the lieu de formation only when it differs).
CHAMPS_SIRET = (
    "employeur.siret",
    "organismeFormation.siret",
    "organismeFormationLieuFormationPrincipal.siret",
)
CHAMPS_UAI = ("organismeFormation.uaiCfa", "organismeFormationLieuFormationPrincipal.uaiCfa")


def siret_valide(siret: str) -> bool:
    """Luhn on the 14 digits and on the SIREN; La Poste (356000000…): digit sum % 5 == 0."""
    return stdnum_siret.is_valid(siret)


def lettre_uai(chiffres: str) -> str:
    """Check letter of a UAI from its first 7 digits."""
    return ALPHABET_UAI[int(chiffres) % 23]


def cle_nir(nir13: str) -> str:
    """Two-digit NIR key: 97 - (n mod 97), Corsica 2A -> 19 and 2B -> 18."""
    return stdnum_nir.calc_check_digits(nir13)


def iban_valide(iban: str) -> bool:
    """ISO 13616 mod 97 == 1 and the country's length (27 for FR) (rules.md 3.4)."""
    return stdnum_iban.is_valid(iban)


def nir_masque(valeur: str) -> str:
    """A NIR as a message may show it: its first character and its length, never the rest."""
    compact = re.sub(r"\s", "", valeur)
    return f"{compact[:1]}{'*' * max(0, len(compact) - 1)} ({len(compact)} caractère(s))"


def iban_masque(valeur: str) -> str:
    """An IBAN as a message may show it: its first 4 and last 4 characters only."""
    compact = re.sub(r"\s", "", valeur).upper()
    return f"{compact[:4]} **** … {compact[-4:]}" if len(compact) > 8 else "****"


def sirets(cerfa: CerfaVue) -> Iterator[tuple[str, str]]:
    """(field path, SIRET) for every SIRET filled in the Cerfa."""
    for chemin in CHAMPS_SIRET:
        if (siret := cerfa.texte(chemin)) is not None:
            yield f"cerfa.{chemin}", siret


def sirets_valides(cerfa: CerfaVue) -> Iterator[tuple[str, str]]:
    """The SIRETs that pass format and key: only those are looked up in the SIRENE stub."""
    return ((champ, s) for champ, s in sirets(cerfa) if _SIRET.match(s) and siret_valide(s))


def nir_et_champ(cerfa: CerfaVue) -> tuple[str, str] | None:
    """The apprentice's NIR (spaces removed, upper-cased) when well-formed, and its field."""
    return (cerfa.nir, "cerfa.apprenti.nir") if cerfa.nir else None


@regle(
    "ID_SIRET_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le SIRET doit comporter 14 chiffres.",
    base="rules.md 3.1, 5.1",
    message="{champ} : « {valeur} » n'est pas un SIRET (14 chiffres attendus).",
)
def siret_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Each SIRET of the Cerfa is exactly 14 digits (rules.md 3.1)."""
    for champ, siret in sirets(cerfa):
        if not _SIRET.match(siret):
            yield Constat(champ, {"valeur": siret})


@regle(
    "ID_SIRET_CHECKSUM",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="La clé de contrôle du SIRET (Luhn, règle La Poste) est fausse.",
    base="rules.md 3.1, 5.1 (algorithme de Luhn ; La Poste 356000000)",
    message="{champ} : la clé de contrôle du SIRET {valeur} est invalide.",
)
def siret_cle(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A 14-digit SIRET passes Luhn (SIRET and SIREN), or La Poste's digit-sum rule (3.1)."""
    for champ, siret in sirets(cerfa):
        if _SIRET.match(siret) and not siret_valide(siret):
            yield Constat(champ, {"valeur": siret})


@regle(
    "ID_SIRET_UNKNOWN",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="Le SIRET est inconnu du répertoire SIRENE.",
    base="rules.md 1.7, 5.1 (répertoire SIRENE simulé)",
    message="{champ} : le SIRET {valeur} est inconnu du répertoire SIRENE.",
)
def siret_inconnu(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The SIRET exists in the (stub) SIRENE register (rules.md 1.7)."""
    for champ, siret in sirets_valides(cerfa):
        if ctx.referentiel.etablissement(siret).etat == "inconnu":
            yield Constat(champ, {"valeur": siret})


@regle(
    "ID_SIRET_CLOSED",
    severite=Severite.BLOQUANT,
    moment=Moment.INSTRUCTION,
    resume="L'établissement (SIRET) était fermé à la date de conclusion du contrat.",
    base="rules.md 1.7, 5.1 ; vade-mecum V2 (SIRET actif à la conclusion)",
    message="{champ} : l'établissement {valeur} est fermé depuis le {fermeture}.",
)
def siret_ferme(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The establishment is active at dateConclusion: closed from its closing day (1.7)."""
    conclusion = cerfa.date("contrat.dateConclusion")
    for champ, siret in sirets_valides(cerfa):
        e = ctx.referentiel.etablissement(siret)
        fermeture = e.date_fermeture
        if e.etat == "ferme" and (
            fermeture is None or conclusion is None or fermeture <= conclusion
        ):
            yield Constat(champ, {"valeur": siret, "fermeture": fermeture or "une date inconnue"})


@regle(
    "ID_SIRET_NON_DIFFUSIBLE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.INSTRUCTION,
    resume="L'établissement (SIRET) est non diffusible au répertoire SIRENE.",
    base="rules.md 1.7, 5.1",
    message="{champ} : l'établissement {valeur} est non diffusible (vérification manuelle).",
)
def siret_non_diffusible(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A non-diffusible establishment cannot be checked automatically: warning (1.7)."""
    for champ, siret in sirets_valides(cerfa):
        e = ctx.referentiel.etablissement(siret)
        if e.etat == "actif" and not e.diffusible:
            yield Constat(champ, {"valeur": siret})


@regle(
    "ID_UAI_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code UAI doit comporter 7 chiffres et une lettre.",
    base="rules.md 3.2, 5.1",
    message="{champ} : « {valeur} » n'est pas un code UAI (7 chiffres et une lettre).",
)
def uai_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Each UAI is 7 digits and a letter, case-insensitive (rules.md 3.2)."""
    for chemin in CHAMPS_UAI:
        uai = cerfa.texte(chemin)
        if uai is not None and not _UAI.match(uai.upper()):
            yield Constat(f"cerfa.{chemin}", {"valeur": uai})


@regle(
    "ID_UAI_CHECKSUM",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="La lettre de contrôle du code UAI est fausse.",
    base="rules.md 3.2, 5.1 (lettre = alphabet de 23 lettres [n mod 23])",
    message="{champ} : la lettre de contrôle de l'UAI {valeur} est invalide ({attendue} attendue).",
)
def uai_cle(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The UAI letter is "ABCDEFGHJKLMNPRSTUVWXYZ"[first 7 digits mod 23] (rules.md 3.2)."""
    for chemin in CHAMPS_UAI:
        uai = (cerfa.texte(chemin) or "").upper()
        if _UAI.match(uai) and uai[7] != (attendue := lettre_uai(uai[:7])):
            yield Constat(f"cerfa.{chemin}", {"valeur": uai, "attendue": attendue})


@regle(
    "ID_NIR_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le NIR doit comporter 13 ou 15 caractères (département 2A/2B admis).",
    base="rules.md 3.3, 5.1",
    message="{champ} : la valeur saisie ({valeur}) n'est pas un NIR (13 ou 15 caractères).",
)
def nir_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """An apprentice NIR, when given, has 13 or 15 characters, dept digits or 2A/2B (3.3)."""
    nir = cerfa.texte("apprenti.nir")
    if nir is not None and nir_et_champ(cerfa) is None:
        yield Constat("cerfa.apprenti.nir", {"valeur": nir_masque(nir)})


@regle(
    "ID_NIR_KEY",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="La clé du NIR (97 - n mod 97) est fausse.",
    base="rules.md 3.3, 5.1",
    message="{champ} : la clé du NIR est {cle}, {attendue} attendue.",
)
def nir_cle(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A 15-character NIR ends with 97 - (first 13 mod 97), Corsica substituted (3.3)."""
    trouve = nir_et_champ(cerfa)
    if trouve and len(nir := trouve[0]) == 15 and nir[13:] != (attendue := cle_nir(nir[:13])):
        yield Constat(trouve[1], {"cle": nir[13:], "attendue": attendue})


def nir_definitif(cerfa: CerfaVue) -> str | None:
    """The well-formed NIR of a person registered at birth (first digit 1 or 2), else None.

    Temporary numbers (first digit 3, 4, 7, 8) carry no reliable sex/birth data (rules.md 3.3).
    """
    trouve = nir_et_champ(cerfa)
    return trouve[0] if trouve and trouve[0][0] in "12" else None


def departement_concorde(nir_dept: str, naissance: str) -> bool:
    """NIR département vs departementNaissance, with the real-world exceptions of rules.md 3.3.

    DROM/COM births carry "97"/"98" then the 3rd digit in the commune part; Corsicans born before
    1976 carry "20"; births in Algeria, Morocco or Tunisia before independence carry 91-96 while
    the Cerfa says 99 (abroad).
    """
    naissance = naissance.upper().zfill(2)
    if naissance[:2] in ("97", "98"):
        return nir_dept == naissance[:2]
    if naissance in ("2A", "2B") and nir_dept == "20":
        return True
    return nir_dept == naissance or (
        naissance == "99" and nir_dept in {"91", "92", "93", "94", "95", "96"}
    )


@regle(
    "ID_NIR_SEX_MISMATCH",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Le premier chiffre du NIR ne correspond pas au sexe déclaré.",
    base="rules.md 3.3, 5.1 (1 = M, 2 = F)",
    message="{champ} : le NIR commence par {chiffre} alors que le sexe déclaré est {sexe}.",
)
def nir_sexe(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """NIR digit 1 is 1 for sexe M and 2 for sexe F (rules.md 3.3)."""
    nir, sexe = nir_definitif(cerfa), cerfa.texte("apprenti.sexe")
    if nir and sexe in ("M", "F") and nir[0] != {"M": "1", "F": "2"}[sexe]:
        yield Constat("cerfa.apprenti.nir", {"chiffre": nir[0], "sexe": sexe})


@regle(
    "ID_NIR_BIRTH_MISMATCH",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="L'année ou le mois de naissance du NIR ne correspond pas à la date de naissance.",
    base="rules.md 3.3, 5.1 (mois 20-42 ou 50+ : mois inconnu, toléré)",
    message="{champ} : le NIR indique {annee}/{mois}, la date de naissance est {naissance}.",
)
def nir_naissance(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """NIR digits 2-3 are the birth year (YY) and 4-5 the month when 01-12 (rules.md 3.3)."""
    nir, naissance = nir_definitif(cerfa), cerfa.date("apprenti.dateNaissance")
    if not nir or naissance is None:
        return
    mois_ok = not 1 <= int(nir[3:5]) <= 12 or int(nir[3:5]) == naissance.month
    if int(nir[1:3]) != naissance.year % 100 or not mois_ok:
        yield Constat(
            "cerfa.apprenti.nir", {"annee": nir[1:3], "mois": nir[3:5], "naissance": naissance}
        )


@regle(
    "ID_NIR_DEPT_MISMATCH",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Le département de naissance du NIR ne correspond pas à celui déclaré.",
    base="rules.md 3.3, 5.1",
    message="{champ} : le NIR indique le département {nir_dept}, le Cerfa {departement}.",
)
def nir_departement(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """NIR digits 6-7 match departementNaissance, tolerating DROM, Corsica and 91-96 (3.3)."""
    nir, dept = nir_definitif(cerfa), cerfa.texte("apprenti.departementNaissance")
    if nir and dept and not departement_concorde(nir[5:7], dept):
        yield Constat("cerfa.apprenti.nir", {"nir_dept": nir[5:7], "departement": dept})


@regle(
    "ID_NIR_IDENTITY_MISMATCH",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Le même NIR figure déjà sur un autre apprenti (nom, prénom, naissance ou sexe "
    "différents).",
    base="rules.md 3.3 (un NIR identifie une seule personne)",
    message="{champ} : ce NIR est déjà celui d'un autre apprenti (dossier {numero}, "
    "{differences} différents).",
)
def nir_autre_identite(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """One NIR, one person: the OPCO's other dossiers with this NIR name the same apprentice.

    `ctx.meme_nir` is read by the service (the rule stays pure); a warning, never a refusal."""
    trouve = nir_et_champ(cerfa)
    if not trouve:
        return
    cle = identite(cerfa.texte("apprenti.nom"), cerfa.texte("apprenti.prenom"), None)
    naissance, sexe = cerfa.date("apprenti.dateNaissance"), cerfa.texte("apprenti.sexe")
    for autre in ctx.meme_nir:
        autre_cle = identite(autre.nom, autre.prenom, None)
        differences = [
            libelle
            for libelle, different in (
                ("nom", cle[0] != autre_cle[0]),
                ("prénom", cle[1] != autre_cle[1]),
                ("date de naissance", naissance != autre.date_naissance),
                ("sexe", (sexe or "") != (autre.sexe or "")),
            )
            if different
        ]
        if differences:
            yield Constat(
                trouve[1], {"numero": autre.numero_interne, "differences": ", ".join(differences)}
            )
            return
