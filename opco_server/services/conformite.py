"""Conformance report of an editor's client, computed from the request journal: the
operations it called, the errors it got, its behaviours (services/conformite_comportements.py)
and a verdict, as JSON and as a printable HTML page.

Pure functions: they read any sequence of objects shaped like ``EntreeJournal`` (id, opco_id,
operation, statut, codes, client_id, editeur, logiciel, version, cfa_siren, requete, reponse,
retry_after, horodatage_reel, empreinte), so tests can feed plain dataclasses.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opco_server.services.conformite_comportements import (
    COMPORTEMENTS,
    CONFORME,
    JETON,
    NON_CONFORME,
    NON_OBSERVE,
    ecarts,
)

if TYPE_CHECKING:  # typing only: the functions accept any look-alike object
    from opco_server.models.journal import EntreeJournal  # noqa: F401

# Every operationId of spec/openapi.yaml, in spec order (checked against the spec by a test).
OPERATIONS_NORME: list[str] = [
    "authentification.obtenir_jeton",
    "systeme.consulter_statut",
    "systeme.consulter_cle_cfa",
    "dossiers.transmettre_dossier_v1",
    "dossiers.consulter_dossier_v1",
    "dossiers.transmettre_dossier_v2",
    "dossiers.consulter_dossier_v2",
    "dossiers.lister_etats_v1",
    "dossiers.lister_etats_v2",
    "dossiers.lister_dossiers_v1",
    "dossiers.notifier_rupture_employeur",
    "conventions.deposer_convention",
    "factures.deposer_facture",
    "factures.lister_etats_factures",
    "certificats.deposer_certificat",
    "documents.deposer_document",
]


def operations_norme(spec_path: str | Path) -> list[str]:
    """The operationIds of an OpenAPI file, in document order."""
    from opco_server.donnees import yamlfile

    spec = yamlfile.lire(Path(spec_path))
    return [
        op["operationId"]
        for item in spec.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]


# ---------------------------------------------------------------- grouping


def _client_id(e: Any) -> str | None:
    """The client_id of an entry; a token request carries it in its form body."""
    if e.client_id or e.operation != JETON:
        return e.client_id
    corps = (e.requete or {}).get("corps")
    valeur = corps.get("client_id") if isinstance(corps, dict) else None
    return valeur if isinstance(valeur, str) and valeur else None


def _grouper(entrees: Iterable[Any]) -> dict[tuple, list[Any]]:
    """Group by (opco, client_id or editeur, logiciel, version), each group ordered by id.

    An entry without client_id (e.g. a 401 on an unknown token) takes the client_id seen on the
    other entries with the same opco/editeur/logiciel/version when it is unique. A token request
    carries no identification headers: it joins every group of its client in that OPCO.
    """
    entrees = sorted(entrees, key=lambda e: e.id)
    clients: dict[tuple, set[str]] = defaultdict(set)
    for e in entrees:
        if _client_id(e):
            clients[(e.opco_id, e.editeur, e.logiciel, e.version)].add(_client_id(e))

    def client(e: Any) -> str | None:
        if _client_id(e):
            return _client_id(e)
        connus = clients.get((e.opco_id, e.editeur, e.logiciel, e.version), set())
        return next(iter(connus)) if len(connus) == 1 else e.editeur

    groupes: dict[tuple, list[Any]] = defaultdict(list)
    jetons = []
    for e in entrees:
        if e.operation == JETON and e.logiciel is None and e.version is None:
            jetons.append(e)
        else:
            groupes[(e.opco_id, client(e), e.logiciel, e.version)].append(e)
    for e in jetons:
        cibles = [k for k in groupes if k[0] == e.opco_id and k[1] == client(e)]
        for k in cibles or [(e.opco_id, client(e), None, None)]:
            groupes[k].append(e)
    return {k: sorted(v, key=lambda e: e.id) for k, v in groupes.items()}


# ---------------------------------------------------------------- reports


def _iso(valeur: Any) -> str | None:
    return valeur.isoformat() if valeur is not None else None


def _rapport_groupe(
    cle: tuple, es: Sequence[Any], non_proposees: Iterable[str] = ()
) -> dict[str, Any]:
    opco, _, logiciel, version = cle
    absentes = set(non_proposees)
    par_operation: dict[str, list[Any]] = defaultdict(list)
    for e in es:
        if e.operation:
            par_operation[e.operation].append(e)
    ordre = OPERATIONS_NORME + sorted(set(par_operation) - set(OPERATIONS_NORME))
    operations = [
        {
            "operation": op,
            "appels": len(par_operation[op]),
            "succes": sum(1 for e in par_operation[op] if 200 <= e.statut < 300),
            "echecs": sum(1 for e in par_operation[op] if not 200 <= e.statut < 300),
            "codes": dict(Counter(c for e in par_operation[op] for c in e.codes or ())),
        }
        for op in ordre
        if op in par_operation
    ]
    # What the OPCO does not offer can be neither tried nor required (its dialect).
    jamais = [op for op in OPERATIONS_NORME if op not in par_operation and op not in absentes]
    comportements = [f(es) for f in COMPORTEMENTS]
    if any(c["statut"] == NON_CONFORME for c in comportements):
        verdict = "à corriger"
    else:
        verdict = "incomplet" if jamais else "conforme"
    clients = [_client_id(e) for e in es if _client_id(e)]
    editeurs = Counter(e.editeur for e in es if e.editeur)
    horodatages = [e.horodatage_reel for e in es if e.horodatage_reel is not None]
    return {
        "opco": opco,
        "clientId": clients[0] if clients else None,
        "editeur": editeurs.most_common(1)[0][0] if editeurs else None,
        "logiciel": logiciel,
        "version": version,
        "periode": {
            "debut": _iso(min(horodatages, default=None)),
            "fin": _iso(max(horodatages, default=None)),
        },
        "requetes": len(es),
        "operations": operations,
        "jamaisEssayees": jamais,
        "nonProposees": [op for op in OPERATIONS_NORME if op in absentes],
        "erreurs": dict(Counter(c for e in es for c in e.codes or ())),
        "ecartsNorme": ecarts(es),
        "comportements": comportements,
        "verdict": verdict,
    }


def rapport(
    entrees: Sequence[Any], non_proposees: Mapping[str, Iterable[str]] | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready conformance report per (opco, client, logiciel, version).

    `non_proposees`: per OPCO id, the operations it does not offer (its dialect, see
    `non_proposees_par_opco`); they are neither « jamais essayées » nor needed for « conforme ».
    """
    groupes = _grouper(entrees)
    cles = sorted(groupes, key=lambda k: tuple("" if v is None else str(v) for v in k))
    absentes = non_proposees or {}
    return [_rapport_groupe(k, groupes[k], absentes.get(k[0], ())) for k in cles]


def non_proposees_par_opco(sandbox: Any) -> dict[str, frozenset[str]]:
    """The operations each OPCO does not offer under the current profile (none when strict)."""
    return {o.id: sandbox.dialecte(o.id).non_proposees for o in sandbox.opcos}


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;margin:2em;line-height:1.4}
h1{font-size:1.6em;border-bottom:2px solid #000091;padding-bottom:.3em}
h2{font-size:1.25em;color:#000091;margin-top:0}h3{font-size:1.05em;margin:1.2em 0 .4em}
section{border:1px solid #ccc;border-radius:4px;padding:1em 1.2em;margin:1.5em 0}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eef}td.n{text-align:right}
.conforme{color:#18753c;font-weight:bold}.non-conforme{color:#ce0500;font-weight:bold}
.non-observe{color:#666;font-style:italic}
.verdict{display:inline-block;padding:.2em .6em;border-radius:3px;color:#fff;font-weight:bold}
.v-conforme{background:#18753c}.v-corriger{background:#ce0500}.v-incomplet{background:#b34000}
@page{size:A4;margin:15mm}
@media print{body{margin:0;font-size:10pt}section{break-inside:avoid-page;border:none;padding:0}
h2{break-after:avoid}tr{break-inside:avoid}.verdict{border:1px solid #000;color:#000;background:none}
th{background:none}}
"""

_CLASSES_STATUT = {CONFORME: "conforme", NON_CONFORME: "non-conforme", NON_OBSERVE: "non-observe"}
_CLASSES_VERDICT = {
    "conforme": "v-conforme",
    "à corriger": "v-corriger",
    "incomplet": "v-incomplet",
}


def _e(valeur: Any) -> str:
    return html.escape("—" if valeur is None else str(valeur))


def _table(entetes: Sequence[str], lignes: Iterable[Sequence[str]], vide: str) -> str:
    lignes = list(lignes)
    if not lignes:
        return f"<p>{_e(vide)}</p>"
    tete = "".join(f"<th>{_e(t)}</th>" for t in entetes)
    corps = "".join("<tr>" + "".join(lignes_) + "</tr>" for lignes_ in lignes)
    return f"<table><thead><tr>{tete}</tr></thead><tbody>{corps}</tbody></table>"


def _codes(codes: dict[str, int]) -> str:
    return ", ".join(f"{c} ({n})" for c, n in sorted(codes.items()))


def _section(r: dict[str, Any]) -> str:
    titre = f"{r['opco']} — {r['editeur'] or r['clientId']} — {r['logiciel']} {r['version']}"
    periode = r["periode"]
    operations = _table(
        ["Opération", "Appels", "Succès", "Échecs", "Codes"],
        (
            [f"<td>{_e(o['operation'])}</td>"]
            + [f'<td class="n">{_e(o[k])}</td>' for k in ("appels", "succes", "echecs")]
            + [f"<td>{_e(_codes(o['codes']))}</td>"]
            for o in r["operations"]
        ),
        "Aucune opération appelée.",
    )
    jamais = (
        "<ul>" + "".join(f"<li>{_e(op)}</li>" for op in r["jamaisEssayees"]) + "</ul>"
        if r["jamaisEssayees"]
        else "<p>Toutes les opérations proposées par cet OPCO ont été essayées.</p>"
    )
    if r.get("nonProposees"):
        jamais += (
            "<p>Non proposées par cet OPCO (hors verdict) : "
            + ", ".join(_e(op) for op in r["nonProposees"])
            + ".</p>"
        )
    erreurs = _table(
        ["Code", "Occurrences"],
        (
            [f"<td>{_e(c)}</td>", f'<td class="n">{_e(n)}</td>']
            for c, n in sorted(r["erreurs"].items())
        ),
        "Aucun code d'erreur.",
    )
    ecarts = _table(
        ["Code", "Écart", "Champs"],
        (
            [
                f"<td>{_e(x['code'])}</td>",
                f"<td>{_e(x['message'])}</td>",
                f"<td>{_e(', '.join(x['champs']))}</td>",
            ]
            for x in r.get("ecartsNorme", [])
        ),
        "Aucun écart à la norme toléré.",
    )
    comportements = _table(
        ["Critère", "Statut", "Détail"],
        (
            [
                f"<td>{_e(c['critere'])}</td>",
                f'<td class="{_CLASSES_STATUT.get(c["statut"], "")}">{_e(c["statut"])}</td>',
                f"<td>{_e(c['detail'])}</td>",
            ]
            for c in r["comportements"]
        ),
        "Aucun comportement évalué.",
    )
    return (
        f"<section><h2>{_e(titre)}</h2>"
        f"<p>Client : {_e(r['clientId'])} · Éditeur : {_e(r['editeur'])} · Logiciel : {_e(r['logiciel'])}"
        f" · Version : {_e(r['version'])}<br>Période : du {_e(periode['debut'])} au {_e(periode['fin'])}"
        f" · {_e(r['requetes'])} requête(s)</p>"
        f'<p>Verdict : <span class="verdict {_CLASSES_VERDICT.get(r["verdict"], "")}">{_e(r["verdict"])}</span></p>'
        f"<h3>Opérations appelées</h3>{operations}<h3>Opérations jamais essayées</h3>{jamais}"
        f"<h3>Codes d'erreur reçus</h3>{erreurs}"
        f"<h3>Écarts à la norme tolérés (acceptés par les OPCO)</h3>{ecarts}<h3>Comportements</h3>{comportements}</section>"
    )


def rapport_html(rapports: list[dict[str, Any]]) -> str:
    """A self-contained, printable French HTML page of the reports."""
    titre = "Rapport de conformité — OPCO Sandbox"
    sections = "".join(_section(r) for r in rapports) or "<p>Aucune requête journalisée.</p>"
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{_e(titre)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{_e(titre)}</h1>{sections}</body></html>"
    )
