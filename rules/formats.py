"""Code and format rules (rules.md 3.5-3.9, 4.1, 4.4, 5.1): RNCP, CFD, NAF, IDCC, DECA,
postal codes, e-mails, required fields and Cerfa version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from rules.cerfa import CerfaVue
from rules.registry import Constat, Contexte, Moment, Severite, regle

MOTIF_RNCP = re.compile(r"^RNCP\d{3,5}$")
_CFD = re.compile(r"^[A-Z0-9]{3}\d{3}[A-Z0-9]{2}[A-Z]?$")  # optional 9th speciality letter (CELIA)
_NAF = re.compile(r"^\d{2}\.?\d{2}[A-Z]$")
_DECA = re.compile(r"^(?:\d{3}|02[AB])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:NC|\d{2})\d{4}$")
_CODE_POSTAL = re.compile(r"^\d{5}$")
# HTML5 "valid e-mail address" grammar, plus a dot in the domain (no DNS look-up: rules are pure).
_COURRIEL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
EN_VIGUEUR = frozenset({"VIGUEUR_ETEN", "VIGUEUR_NON_ETEN"})
CERFA_V14 = "10103*14"
DEBUT_V14 = date(2025, 7, 1)  # remote-hours field mandatory for contracts concluded from then
ADRESSES = (
    "employeur.adresse",
    "apprenti.adresse",
    "apprenti.responsableLegal.adresse",
    "organismeFormation.adresse",
    "organismeFormationLieuFormationPrincipal.adresse",
)
COURRIELS = (
    "employeur.courriel",
    "apprenti.courriel",
    "apprenti.responsableLegal.courriel",
    "maitre1.courriel",
    "maitre2.courriel",
)
# rules.md 4.4, beyond the OpenAPI `required` lists. Each entry lists alternative wire paths
# (any one filled satisfies it); the first one names the field. Maître 1 (MA_MISSING), the
# avenant fields and the legal representative belong to the age/date/maître rules.
REQUIS: tuple[tuple[str, ...], ...] = (
    ("employeur.typeEmployeur",),
    ("employeur.denomination", "employeur.nom"),
    ("employeur.adresse.codePostal",),
    ("employeur.adresse.commune",),
    ("employeur.telephone",),
    ("employeur.courriel",),
    ("employeur.naf",),
    ("employeur.nombreDeSalaries",),
    ("employeur.codeIdcc",),
    ("employeur.attestationPieces",),
    ("apprenti.sexe",),
    ("apprenti.departementNaissance",),
    ("apprenti.communeNaissance",),
    ("apprenti.nationalite",),
    ("apprenti.regimeSocial",),
    ("apprenti.adresse.codePostal",),
    ("apprenti.adresse.commune",),
    ("apprenti.telephone",),
    ("apprenti.courriel",),
    ("apprenti.handicap",),
    ("apprenti.inscriptionSportifDeHautNiveau",),
    ("apprenti.projetCreationRepriseEntreprise",),
    ("apprenti.situationAvantContrat",),
    ("apprenti.diplome",),
    ("apprenti.diplomePrepare",),
    ("apprenti.derniereClasse",),
    ("contrat.modeContractuel",),
    ("contrat.dateDebutFormationPratique", "contrat.dateFormationPratiqueEmployeur"),
    ("contrat.dureeTravailHebdoHeures",),
    ("contrat.travailRisque",),
    ("contrat.salaireEmbauche",),
    ("contrat.remunerationsAnnuelles",),
    ("contrat.lieuSignatureContrat",),
    ("formation.rncp",),
    ("formation.codeDiplome",),
    ("formation.typeDiplome",),
    ("formation.intituleQualification",),
    ("formation.dureeFormation",),
    ("organismeFormation.denomination",),
    ("organismeFormation.formationInterne",),
    ("organismeFormation.uaiCfa",),
    ("organismeFormation.adresse.codePostal",),
    ("organismeFormation.adresse.commune",),
)
# employeur.libelleIdcc is not required: clients send "" and the OPCOs derive it from the IDCC.
LIBELLES_IDCC_SPECIAUX = {
    "9999": "Sans convention collective",
    "9998": "Convention collective en cours de négociation",
}
# Required when organismeFormation.lieuFormationIdentique is false (rules.md 4.4).
REQUIS_LIEU = tuple(
    (f"organismeFormationLieuFormationPrincipal.{c}",)
    for c in ("denomination", "siret", "adresse.codePostal", "adresse.commune")
)


def rncp_normalise(code: str) -> str:
    """ "38369" -> "RNCP38369"; other values upper-cased and stripped, prefix untouched."""
    code = code.strip().upper()
    return f"RNCP{code}" if code.isdigit() else code


def idcc_normalise(cerfa: CerfaVue) -> str | None:
    """employeur.codeIdcc left-padded to 4 digits ("16" -> "0016"); None when empty."""
    idcc = cerfa.texte("employeur.codeIdcc")
    return idcc.zfill(4) if idcc is not None else None


def libelle_idcc(cerfa: CerfaVue, referentiel: Any) -> str | None:
    """The agreement's label as the OPCOs derive it from employeur.codeIdcc: the referential's
    (a sample), else « Convention collective IDCC nnnn »; None without a code."""
    idcc = idcc_normalise(cerfa)
    if idcc is None:
        return None
    convention = referentiel.convention(idcc)
    if convention is not None:
        return convention.libelle
    return LIBELLES_IDCC_SPECIAUX.get(idcc, f"Convention collective IDCC {idcc}")


@regle(
    "ID_RNCP_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code RNCP doit être RNCP suivi de 3 à 5 chiffres (un code RS n'est pas RNCP).",
    base="rules.md 3.5, 5.1",
    message="{champ} : « {valeur} » n'est pas un code RNCP (RNCP + 3 à 5 chiffres).",
)
def rncp_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """formation.rncp, bare digits prefixed, matches ^RNCP\\d{3,5}$ (rules.md 3.5)."""
    rncp = cerfa.texte("formation.rncp")
    if rncp is not None and not MOTIF_RNCP.match(rncp_normalise(rncp)):
        yield Constat("cerfa.formation.rncp", {"valeur": rncp})


@regle(
    "ID_CFD_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code diplôme (CFD) doit comporter 8 caractères (9e lettre de spécialité admise).",
    base="rules.md 3.5, 5.1",
    message="{champ} : « {valeur} » n'est pas un code diplôme (8 caractères).",
)
def cfd_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """formation.codeDiplome matches ^[A-Z0-9]{3}\\d{3}[A-Z0-9]{2}[A-Z]?$ (rules.md 3.5)."""
    cfd = cerfa.texte("formation.codeDiplome")
    if cfd is not None and not _CFD.match(cfd):
        yield Constat("cerfa.formation.codeDiplome", {"valeur": cfd})


@regle(
    "ID_NAF_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code NAF doit comporter 4 chiffres et une lettre (ex. 62.02A).",
    base="rules.md 3.7, 5.1",
    message="{champ} : « {valeur} » n'est pas un code NAF (4 chiffres et une lettre).",
)
def naf_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """employeur.naf is NN.NNL or NNNNL, letter case ignored (rules.md 3.7)."""
    naf = cerfa.texte("employeur.naf")
    if naf is not None and not _NAF.match(naf.upper()):
        yield Constat("cerfa.employeur.naf", {"valeur": naf})


@regle(
    "ID_NAF_UNKNOWN",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Le code NAF n'existe pas dans la nomenclature NAF rév. 2.",
    base="rules.md 3.7, 5.1 (732 sous-classes)",
    message="{champ} : le code NAF {valeur} n'existe pas dans la NAF rév. 2.",
)
def naf_inconnu(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A well-formed employeur.naf is one of the 732 NAF rév. 2 sub-classes (rules.md 3.7)."""
    naf = (cerfa.texte("employeur.naf") or "").upper()
    if _NAF.match(naf) and not ctx.referentiel.naf_connu(naf.replace(".", "")):
        yield Constat("cerfa.employeur.naf", {"valeur": naf})


@regle(
    "ID_IDCC_UNKNOWN",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code IDCC est inconnu (9999 : aucune convention, 9998 : en cours de négociation).",
    base="rules.md 3.8, 5.1",
    message="{champ} : le code IDCC {valeur} est inconnu.",
)
def idcc_inconnu(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """employeur.codeIdcc, padded to 4 digits, is 9999, 9998 or a known IDCC (rules.md 3.8)."""
    idcc = idcc_normalise(cerfa)
    if idcc is not None and (len(idcc) != 4 or not ctx.referentiel.idcc_connu(idcc)):
        yield Constat("cerfa.employeur.codeIdcc", {"valeur": idcc})


@regle(
    "ID_IDCC_NOT_IN_FORCE",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="La convention collective (IDCC) n'est plus en vigueur (abrogée, remplacée, périmée).",
    base="rules.md 3.8, 5.1",
    message="{champ} : la convention {valeur} ({libelle}) n'est plus en vigueur ({etat}).",
)
def idcc_hors_vigueur(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The employer's collective agreement is in force (VIGUEUR_ETEN/NON_ETEN) (3.8)."""
    idcc = idcc_normalise(cerfa)
    convention = ctx.referentiel.convention(idcc) if idcc else None
    if convention and convention.etat not in EN_VIGUEUR:
        yield Constat(
            "cerfa.employeur.codeIdcc",
            {"valeur": idcc, "libelle": convention.libelle, "etat": convention.etat},
        )


@regle(
    "ID_DECA_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le numéro DECA doit comporter 15 caractères (département, AAAA, MM, NC ou 2 chiffres, 4 chiffres).",
    base="rules.md 3.6, 5.1",
    message="{champ} : « {valeur} » n'est pas un numéro de dépôt DECA (15 caractères).",
)
def deca_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """numeroContratPrecedent and noContrat, when non-empty and non-zero, are DECA numbers (3.6)."""
    for chemin in ("contrat.numeroContratPrecedent", "contrat.noContrat"):
        numero = cerfa.texte(chemin)
        if numero not in (None, "0") and not _DECA.match(numero.upper()):
            yield Constat(f"cerfa.{chemin}", {"valeur": numero})


@regle(
    "ID_POSTCODE_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Le code postal doit comporter 5 chiffres.",
    base="rules.md 3.9, 5.1",
    message="{champ} : « {valeur} » n'est pas un code postal (5 chiffres).",
)
def code_postal_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Every filled adresse.codePostal of the Cerfa is 5 digits (rules.md 3.9)."""
    for adresse in ADRESSES:
        cp = cerfa.texte(f"{adresse}.codePostal")
        if cp is not None and not _CODE_POSTAL.match(cp):
            yield Constat(f"cerfa.{adresse}.codePostal", {"valeur": cp})


@regle(
    "ID_EMAIL_FORMAT",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="L'adresse électronique n'est pas syntaxiquement valide.",
    base="rules.md 4.4, 5.1",
    message="{champ} : « {valeur} » n'est pas une adresse électronique valide.",
)
def courriel_format(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """Every filled courriel (employer, apprentice, representative, maîtres) is an e-mail (4.4)."""
    for chemin in COURRIELS:
        courriel = cerfa.texte(chemin)
        if courriel is not None and not _COURRIEL.match(courriel):
            yield Constat(f"cerfa.{chemin}", {"valeur": courriel})


@regle(
    "REQ_FIELD_MISSING",
    severite=Severite.BLOQUANT,
    moment=Moment.TRANSMISSION,
    resume="Un champ obligatoire du Cerfa n'est pas renseigné.",
    base="rules.md 4.4, 5.1 (notice 51649)",
    assouplissement="employeur.libelleIdcc n'est plus exigé : les logiciels en production "
    'l\'envoient vide ("") et les OPCO le déduisent du code IDCC (norm.md 3.5) ; la sandbox '
    "fait de même et stocke le libellé déduit (référentiel, sinon « Convention collective IDCC "
    "nnnn »).",
    message="{champ} : champ obligatoire non renseigné.",
)
def champ_manquant(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """The fields the Cerfa requires (rules.md 4.4) are filled; one finding per missing field."""
    requis = REQUIS
    if cerfa.valeur("organismeFormation.lieuFormationIdentique") is False:
        requis += REQUIS_LIEU
    for alternatives in requis:
        if not any(cerfa.renseigne(chemin) for chemin in alternatives):
            yield Constat(f"cerfa.{alternatives[0]}")


@regle(
    "CERFA_VERSION_OUTDATED",
    severite=Severite.AVERTISSEMENT,
    moment=Moment.TRANSMISSION,
    resume="Contrat conclu à partir du 1er juillet 2025 sans Cerfa 10103*14 (heures à distance).",
    base="rules.md 4.1, 5.1 (Cerfa 10103*14, D6332-82-1)",
    message="{champ} : contrat conclu le {conclusion}, le Cerfa 10103*14 (heures à distance) est attendu.",
)
def version_cerfa(cerfa: CerfaVue, ctx: Contexte) -> Iterator[Constat]:
    """A contract concluded from 2025-07-01 uses Cerfa *14 and states its remote hours (4.1)."""
    conclusion, version = cerfa.date("contrat.dateConclusion"), cerfa.texte("versionCERFA")
    if conclusion is None or conclusion < DEBUT_V14:
        return
    if version is not None and version != CERFA_V14:
        yield Constat("cerfa.versionCERFA", {"conclusion": conclusion})
    elif not cerfa.renseigne("formation.nombreHeuresEnDistanciel"):
        yield Constat("cerfa.formation.nombreHeuresEnDistanciel", {"conclusion": conclusion})
