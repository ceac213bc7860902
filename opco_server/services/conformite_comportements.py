"""The behaviours of an editor's client that the conformance report judges, read from its
journal entries (any objects shaped like ``EntreeJournal``, in id order): it renews its token
after a 401, respects Retry-After, stops at the end of a pagination, does not resend a
duplicate, sends its identification headers; and the norm deviations the sandbox tolerated."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

JETON = "authentification.obtenir_jeton"
TRANSMISSIONS = {"dossiers.transmettre_dossier_v1", "dossiers.transmettre_dossier_v2"}
# Paginated listings and the key of their result list in the response body.
LISTES_PAGINEES = {
    "dossiers.lister_etats_v2": "EtatDossierResult",
    "factures.lister_etats_factures": "factures",
}
CODES_JETON = {"AUTH_TOKEN_EXPIRED", "AUTH_TOKEN_INVALID"}

CONFORME, NON_CONFORME, NON_OBSERVE = "conforme", "non conforme", "non observé"


def _comportement(critere: str, *cas: tuple[Any, str, str]) -> dict[str, str]:
    """The first case whose count is truthy gives the statut and detail."""
    statut, detail = next((s, d) for n, s, d in cas if n)
    return {"critere": critere, "statut": statut, "detail": detail}


def _renouvelle_jeton(es: Sequence[Any]) -> dict[str, str]:
    critere = "Renouvelle son jeton après un 401"
    ok = ko = vus = 0
    for i, e in enumerate(es):
        if e.statut != 401 or e.operation == JETON or not CODES_JETON & set(e.codes or ()):
            continue
        vus += 1
        suite = es[i + 1 : i + 3]
        if (
            len(suite) == 2
            and suite[0].operation == JETON
            and suite[0].statut == 200
            and suite[1].operation == e.operation
            and suite[1].statut != 401
        ):
            ok += 1
            continue
        for f in es[i + 1 :]:
            if f.operation == JETON:
                break
            if f.operation == e.operation and f.statut == 401:
                ko += 1
                break
    return _comportement(
        critere,
        (ko, NON_CONFORME, f"{ko} 401 suivi(s) d'un nouvel appel sans nouveau jeton."),
        (ok, CONFORME, f"{ok} 401 suivi(s) d'un nouveau jeton et d'une reprise."),
        (vus, NON_OBSERVE, f"{vus} 401 vu(s), sans reprise observée."),
        (True, NON_OBSERVE, "Aucun jeton expiré ou invalide rencontré."),
    )


def _respecte_retry_after(es: Sequence[Any]) -> dict[str, str]:
    critere = "Respecte Retry-After"
    ok = ko = 0
    for e, suivante in pairwise(es):
        if e.statut != 429 or e.retry_after is None:
            continue
        attente = (suivante.horodatage_reel - e.horodatage_reel).total_seconds()
        if attente >= e.retry_after:
            ok += 1
        else:
            ko += 1
    return _comportement(
        critere,
        (ko, NON_CONFORME, f"{ko} requête(s) renvoyée(s) avant le délai Retry-After."),
        (ok, CONFORME, f"{ok} délai(s) Retry-After respecté(s)."),
        (True, NON_OBSERVE, "Aucune réponse 429 suivie d'une requête."),
    )


def _page(e: Any) -> int:
    corps = (e.reponse or {}).get("corps")
    if isinstance(corps, dict) and isinstance(corps.get("page"), int):
        return corps["page"]
    query = {k.lower(): v for k, v in ((e.requete or {}).get("query") or {}).items()}
    valeur = query.get("numeropage", 1)
    valeur = valeur[0] if isinstance(valeur, list) and valeur else valeur
    try:
        return int(valeur)
    except (TypeError, ValueError):
        return 1


def _pagination(es: Sequence[Any]) -> dict[str, str]:
    critere = "S'arrête à la fin de la pagination"
    fautes: list[str] = []
    fins = 0
    for operation, cle in LISTES_PAGINEES.items():
        series: dict[Any, list[Any]] = defaultdict(list)  # one series per CFA
        for e in es:
            if e.operation == operation and e.statut == 200:
                series[e.cfa_siren].append(e)
        for serie in series.values():
            precedente_vide: int | None = None  # page number of the previous empty page
            taille = total = None
            for e in serie:
                corps = (e.reponse or {}).get("corps")
                corps = corps if isinstance(corps, dict) else {}
                items = corps.get(cle) or []
                page = _page(e)
                if page == 1 and items:
                    taille, total = len(items), corps.get("total")
                if precedente_vide is not None and not items and page > precedente_vide:
                    fautes.append(
                        f"{operation} : page {page} demandée après la page vide {precedente_vide}"
                    )
                elif taille and isinstance(total, int) and page > math.ceil(total / taille) + 1:
                    fautes.append(f"{operation} : page {page} au-delà de la dernière")
                precedente_vide = page if not items else None
                vus = (page - 1) * (taille or len(items)) + len(items)
                if not items or (isinstance(corps.get("total"), int) and vus >= corps["total"]):
                    fins += 1
    return _comportement(
        critere,
        (fautes, NON_CONFORME, " ; ".join(fautes)),
        (fins, CONFORME, f"{fins} fin(s) de pagination respectée(s)."),
        (True, NON_OBSERVE, "Aucune liste paginée parcourue jusqu'au bout."),
    )


def _pas_de_doublon(es: Sequence[Any]) -> dict[str, str]:
    critere = "Ne renvoie pas un doublon"
    refuses: set[str] = set()
    renvois = 0
    for e in es:
        if e.operation not in TRANSMISSIONS or not e.empreinte:
            continue
        if e.empreinte in refuses:
            renvois += 1
        if "DOSSIER_DUPLICATE" in (e.codes or ()):
            refuses.add(e.empreinte)
    return _comportement(
        critere,
        (renvois, NON_CONFORME, f"{renvois} dossier(s) refusé(s) comme doublon renvoyé(s)."),
        (refuses, CONFORME, f"{len(refuses)} doublon(s) refusé(s), non renvoyé(s)."),
        (True, NON_OBSERVE, "Aucun doublon refusé."),
    )


def _entetes(es: Sequence[Any]) -> dict[str, str]:
    critere = "Envoie les en-têtes d'identification"
    n = sum(1 for e in es if e.statut == 400 and "HEADER_MISSING" in (e.codes or ()))
    return _comportement(
        critere,
        (n, NON_CONFORME, f"{n} requête(s) refusée(s) pour en-tête manquant."),
        (True, CONFORME, "Aucun en-tête d'identification manquant."),
    )


def ecarts(es: Sequence[Any]) -> list[dict[str, Any]]:
    """The norm deviations the sandbox tolerated (journal `requete.ecarts`), one line per code:
    the distinct fields (list indices folded: `taux` of every line counts once)."""
    from opco_server.http.tolerance import LIBELLES

    champs: dict[str, dict[str, None]] = defaultdict(dict)
    occurrences: Counter[str] = Counter()
    for e in es:
        for ecart in (e.requete or {}).get("ecarts") or ():
            if not isinstance(ecart, dict) or not isinstance(ecart.get("code"), str):
                continue
            code = ecart["code"]
            occurrences[code] += 1
            champs[code][re.sub(r"\[\d+\]", "[]", str(ecart.get("champ", "")))] = None
    lignes = []
    for code in sorted(champs):
        liste = list(champs[code])
        singulier, pluriel = LIBELLES.get(code, ("écart à la norme", "écarts à la norme"))
        lignes.append(
            {
                "code": code,
                "champs": liste,
                "occurrences": occurrences[code],
                "message": f"{len(liste)} {singulier if len(liste) == 1 else pluriel}.",
            }
        )
    return lignes


COMPORTEMENTS = (_renouvelle_jeton, _respecte_retry_after, _pagination, _pas_de_doublon, _entetes)
