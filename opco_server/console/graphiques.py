"""The console's pictures: inline SVG drawn on the server, from plain data to safe markup.

Pure functions (no Flask, no database): each takes what a service returns and gives a
`<svg role="img">` with an aria-label, a `<title>` on every mark (the browser's tooltip) and
text labels. The layout uses an estimated text width (dessin.largeur_texte), generous for
system fonts; long labels are shortened with « … » (in full in their tooltip). The filled
marks of a chart never overlap, and every mark and label stays inside the viewBox:
tests/unit/test_graphiques.py checks it for any input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup

from opco_server.console import libelles
from opco_server.console.dessin import (
    LARGEUR,
    largeur_texte,
    largeurs,
    legende,
    lien,
    ligne,
    pluriel,
    rect,
    svg,
    texte,
    titre,
    tronquer,
)
from rules.cycle_de_vie import Etat

GRIS, GRIS_CLAIR, NOIR = "#5f6b76", "#e3e7eb", "#1d2329"
VERT, ORANGE, ROUGE, BLEU = "#1e7b3a", "#d98c1f", "#b3261e", "#1f4e79"
COULEURS_ETATS = {
    Etat.TRANSMIS: "#7c97b4",
    Etat.EN_COURS_INSTRUCTION: ORANGE,
    Etat.ENGAGE: VERT,
    Etat.REFUSE: ROUGE,
    Etat.ANNULE: "#8a949e",
    Etat.RUPTURE: "#7b3fa0",
    Etat.SOLDE: BLEU,
}
CLASSES_HTTP = {  # status class -> (legend, colour)
    "2xx": ("2xx succès", VERT),
    "3xx": ("3xx redirection", "#7c97b4"),
    "4xx": ("4xx erreur du client", ORANGE),
    "5xx": ("5xx erreur du serveur", ROUGE),
}
AUTRES_HTTP = ("autres", "#8a949e")
COULEURS_VERDICTS = {
    "réussie": VERT,
    "en échec": ROUGE,
    "jamais essayée": "#a35200",
    "non proposée": GRIS,
}
COULEURS_ECHEANCES = {
    "A_VENIR": "#9db4cc",
    "OUVERTE": BLEU,
    "REGLEE": VERT,
    "ANNULEE": "#c4c9ce",
    "TROP_PERCU": ROUGE,
}


# --- dossiers per state and OPCO (home page) ---------------------------------------------------


def etats_par_opco(
    opcos: Sequence[Any],
    comptes: Mapping[str, Mapping[str, int]],
    etats: Sequence[str],
    lien_vers: Callable[[str, str], str] | None = None,
) -> Markup:
    """One stacked bar per OPCO (objects with `id` and `nom`): its dossiers by state.
    `lien_vers(opco id, état)`: the page a bar's segment leads to."""
    items = [(libelles.etat_dossier(e), COULEURS_ETATS.get(e, GRIS)) for e in etats]
    parties, bas = legende(items, 0, 14)
    totaux = {o.id: sum(comptes.get(o.id, {}).get(e, 0) for e in etats) for o in opcos}
    x0 = 156
    x1 = LARGEUR - max((largeur_texte(libelles.nombre(t)) for t in totaux.values()), default=0)
    x1 -= 8
    maximum, y = max(totaux.values(), default=0), bas + 8
    for opco in opcos:
        valeurs = [comptes.get(opco.id, {}).get(e, 0) for e in etats]
        total = totaux[opco.id]
        parties += f"<g>{titre(f'{opco.nom} : ' + pluriel(total, 'dossier', 'dossiers'))}"
        parties += texte(0, y + 14, tronquer(opco.nom, x0 - 8))
        x = x0
        for etat, valeur, large in zip(
            etats, valeurs, largeurs(valeurs, maximum, x1 - x0), strict=True
        ):
            if not large:
                continue
            infobulle = f"{opco.nom} — {libelles.etat_dossier(etat)} : " + pluriel(
                valeur, "dossier", "dossiers"
            )
            marque = rect(x, y + 2, large, 16, COULEURS_ETATS.get(etat, GRIS), infobulle)
            nombre = libelles.nombre(valeur)
            if largeur_texte(nombre) + 6 <= large:
                marque += texte(x + large / 2, y + 14, nombre, ancre="middle", couleur="#fff")
            parties += lien(lien_vers(opco.id, etat) if lien_vers else None, marque)
            x += large
        parties += texte(x + 6, y + 14, libelles.nombre(total), couleur=GRIS) + "</g>"
        y += 24
    intitule = (
        f"Dossiers par état et par OPCO : {pluriel(len(opcos), 'OPCO', 'OPCO')}, "
        f"{pluriel(sum(totaux.values()), 'dossier', 'dossiers')} au total"
    )
    return svg(y + 4, intitule, parties, "etats-par-opco")


# --- the journal's answers over time -----------------------------------------------------------


def periode(debut: datetime, fin: datetime) -> str:
    """A time bucket [debut, fin) in words."""
    if fin - debut < timedelta(days=1):
        return f"le {debut:%d/%m/%Y} de {debut:%H:%M} à {fin:%H:%M} UTC"
    if fin - debut == timedelta(days=1):
        return f"le {debut:%d/%m/%Y}"
    return f"du {debut:%d/%m/%Y} au {fin - timedelta(days=1):%d/%m/%Y}"


def statuts_journal(tranches: Sequence[tuple[datetime, datetime, Mapping[str, int]]]) -> Markup:
    """The journal's answers per time bucket (start, end, {"2xx": n}), stacked by class."""
    if not tranches:
        vide = texte(LARGEUR / 2, 30, "Aucun appel journalisé.", ancre="middle", couleur=GRIS)
        return svg(48, "Réponses du journal dans le temps : aucun appel", vide, "statuts-journal")
    presentes = {c for *_, comptes in tranches for c, n in comptes.items() if n}
    series = [c for c in CLASSES_HTTP if c in presentes or c != "3xx"]
    autres = sorted(presentes - set(CLASSES_HTTP))
    items = [CLASSES_HTTP[c] for c in series] + ([AUTRES_HTTP] if autres else [])

    def piles(comptes: Mapping[str, int]) -> list[int]:
        return [comptes.get(c, 0) for c in series] + (
            [sum(comptes.get(c, 0) for c in autres)] if autres else []
        )

    totaux = [sum(piles(c)) for *_, c in tranches]
    maximum = max(totaux)
    px0 = max(largeur_texte(libelles.nombre(maximum)) + 10, 24)
    px1, py1 = LARGEUR - 8, 170.0
    parties, bas = legende(items, px0, 14)
    py0 = bas + 14
    parties += ligne(px0 - 1, py0, py1, GRIS_CLAIR)
    parties += texte(px0 - 6, py0 + 8, libelles.nombre(maximum), ancre="end", couleur=GRIS)
    parties += texte(px0 - 6, py1, "0", ancre="end", couleur=GRIS)
    pas = (px1 - px0) / len(tranches)
    for i, ((debut, fin, comptes), total) in enumerate(zip(tranches, totaux, strict=True)):
        x, y, quand, valeurs = px0 + (i + 0.1) * pas, py1, periode(debut, fin), piles(comptes)
        detail = ", ".join(
            f"{lg} : {libelles.nombre(n)}" for (lg, _), n in zip(items, valeurs, strict=True) if n
        )
        resume = f"{quand} : {pluriel(total, 'appel', 'appels')}"
        parties += f"<g>{titre(resume + (f' ({detail})' if detail else ''))}"
        hauteurs = largeurs(valeurs, maximum, py1 - py0, minimum=1)
        for (libelle, couleur), n, h in zip(items, valeurs, hauteurs, strict=True):
            if h:
                infobulle = f"{quand} : {libelles.nombre(n)} × {libelle}"
                parties += rect(x, y - h, pas * 0.8, h, couleur, infobulle)
                y -= h
        parties += "</g>"
    debuts = [d for d, *_ in tranches]
    parties += _etiquettes_temps(debuts, tranches[0][1] - tranches[0][0], px0, pas, py1 + 16)
    intitule = (
        f"Réponses du journal dans le temps, {periode(debuts[0], tranches[-1][1])} : "
        f"{pluriel(sum(totaux), 'appel', 'appels')}"
    )
    return svg(py1 + 24, intitule, parties, "statuts-journal")


def _etiquettes_temps(
    debuts: Sequence[datetime], duree: timedelta, px0: float, pas: float, y: float
) -> str:
    """Bucket start times under the columns, as many as fit without touching."""
    forme = "%d/%m %H:%M" if duree < timedelta(days=1) else "%d/%m/%Y"
    large = largeur_texte(f"{debuts[0]:{forme}}")
    saut = max(1, int((large + 24) // pas) + 1)
    parties, fin_precedente = "", float("-inf")
    for i in range(0, len(debuts), saut):
        x = min(max(px0 + i * pas, large / 2), LARGEUR - large / 2)
        if x - large / 2 >= fin_precedente + 12:
            parties += texte(x, y, f"{debuts[i]:{forme}}", ancre="middle", couleur=GRIS)
            fin_precedente = x + large / 2
    return parties


# --- the conformance verdict per operation -----------------------------------------------------


def verdicts_operations(verdicts: Sequence[Any]) -> Markup:
    """One row per operation (objects with `operation`, `succes`, `echecs`, `verdict`): its
    verdict as a badge, its calls as a bar (successes, then failures)."""
    items = [("succès (2xx)", VERT), ("échecs (autres statuts)", ROUGE)]
    parties, bas = legende(items, 0, 14)
    resumes = [
        f"{pluriel(v.succes + v.echecs, 'appel', 'appels')} · "
        f"{pluriel(v.echecs, 'échec', 'échecs')}"
        for v in verdicts
    ]
    x0 = min(max((largeur_texte(v.operation) for v in verdicts), default=0), 280) + 8
    x1 = LARGEUR - max((largeur_texte(r) for r in resumes), default=0) - 8
    barre = x0 + 128
    maximum, y = max((v.succes + v.echecs for v in verdicts), default=0), bas + 8
    for v, resume in zip(verdicts, resumes, strict=True):
        couleur = COULEURS_VERDICTS.get(v.verdict, GRIS)
        parties += f"<g>{titre(f'{v.operation} : {v.verdict} — {resume}')}"
        parties += texte(0, y + 14, tronquer(v.operation, x0 - 8))
        parties += rect(x0, y + 2, 120, 17, couleur, f"Verdict : {v.verdict}")
        verdict = tronquer(v.verdict, 112)
        parties += texte(x0 + 60, y + 15, verdict, ancre="middle", couleur="#fff", gras=True)
        ok, ko = largeurs([v.succes, v.echecs], maximum, max(x1 - barre - 8, 0))
        parties += rect(barre, y + 4, ok, 13, VERT, pluriel(v.succes, "succès", "succès"))
        parties += rect(barre + ok, y + 4, ko, 13, ROUGE, pluriel(v.echecs, "échec", "échecs"))
        parties += texte(x1 + 4, y + 15, resume, couleur=GRIS) + "</g>"
        y += 24
    compte = {k: sum(1 for v in verdicts if v.verdict == k) for k in COULEURS_VERDICTS}
    intitule = "Verdict par opération de la norme : " + ", ".join(
        f"{libelles.nombre(n)} {k}" for k, n in compte.items()
    )
    return svg(y + 4, intitule, parties, "verdicts-operations")


# --- a dossier's échéancier as a timeline ------------------------------------------------------

X_FRISE, FIN_FRISE, X_JAUGE, X_TEXTE = 96.0, 560.0, 572.0, 662.0
HAUT_FRISE, PAS_LIGNE = 44.0, 40.0


def echeancier(e: Any) -> Markup:
    """The échéancier `e` (`lignes`, `debut`, `fin`, `aujourdhui`, `rupture`, as
    services.engagements.echeancier gives it) as a timeline: one lane per instalment with its
    period, its opening date (a tick), its amounts (a gauge: paid, overpaid, in progress) and
    status; the rupture and today as vertical lines. Empty markup without instalments."""
    if not e.lignes:
        return Markup("")
    jours = [e.debut, e.fin, *(d for lg in e.lignes for d in (lg.date_debut, lg.date_fin))]
    jours += [lg.date_ouverture for lg in e.lignes] + ([e.rupture] if e.rupture else [])
    d0, d1 = min(jours), max(jours) + timedelta(days=1)

    def x(jour: date) -> float:
        part = (min(max(jour, d0), d1) - d0) / (d1 - d0)
        return X_FRISE + part * (FIN_FRISE - X_FRISE)

    bas = HAUT_FRISE + PAS_LIGNE * len(e.lignes)
    parties = _reperes(e, d0, d1, x, bas)
    for i, lg in enumerate(e.lignes):
        parties += _ligne_echeance(lg, HAUT_FRISE + i * PAS_LIGNE, x)
    parties += _axe(d0, d1, x, bas + 16)
    intitule = (
        f"Échéancier : {pluriel(len(e.lignes), 'échéance', 'échéances')} du "
        f"{libelles.date_fr(e.debut)} au {libelles.date_fr(e.fin)}"
        + (f", rupture le {libelles.date_fr(e.rupture)}" if e.rupture else "")
        + (f", {libelles.trop_percu(e.trop_percu)}" if e.trop_percu > 0 else "")
    )
    return svg(bas + 24, intitule, parties, "echeancier")


def _reperes(e: Any, d0: date, d1: date, x: Callable[[date], float], bas: float) -> str:
    """Lane backgrounds, then today's and the rupture's lines, labelled above the lanes."""
    parties = "".join(
        rect(X_FRISE, y + 2, FIN_FRISE - X_FRISE, PAS_LIGNE - 4, "#f3f5f7", None, "fond")
        for y in (HAUT_FRISE + i * PAS_LIGNE for i in range(len(e.lignes)))
    )
    for jour, libelle, couleur, y in (
        (e.aujourdhui, "Aujourd'hui", BLEU, 14.0),
        (e.rupture, "Rupture", ROUGE, 32.0),
    ):
        if jour is None:
            continue
        etiquette = f"{libelle} : {libelles.date_fr(jour)}"
        if d0 <= jour < d1:
            parties += ligne(x(jour), HAUT_FRISE - 6, bas, couleur, tirets=True)
        else:
            etiquette = ("← " if jour < d0 else "") + etiquette + (" →" if jour >= d1 else "")
        large = largeur_texte(etiquette)
        gauche = min(max(x(jour) - large / 2, 0), LARGEUR - large)
        parties += texte(gauche, y, etiquette, couleur=couleur, gras=True)
    return parties


def _ligne_echeance(lg: Any, y: float, x: Callable[[date], float]) -> str:
    statut = libelles.statut_echeance(lg.statut)
    couleur = COULEURS_ECHEANCES.get(str(lg.statut), GRIS)
    nature = libelles.nature_echeance(lg.nature)
    ouverture = libelles.date_fr(lg.date_ouverture)
    infobulle = (
        f"{lg.codification} ({nature}) : du {libelles.date_fr(lg.date_debut)} au "
        f"{libelles.date_fr(lg.date_fin)}, ouverte le {ouverture} — "
        f"{libelles.montant(lg.montant_total)} dus, {libelles.montant(lg.montant_regle)} "
        f"réglés, {libelles.montant(lg.montant_en_cours)} en cours — {statut}"
    )
    parties = f"<g>{titre(infobulle)}"
    parties += texte(0, y + 16, tronquer(lg.codification, X_FRISE - 8), gras=True)
    parties += texte(0, y + 32, tronquer(nature, X_FRISE - 8, 11), taille=11, couleur=GRIS)
    debut, fin = sorted((lg.date_debut, lg.date_fin))
    gauche = x(debut)
    large = max(x(fin + timedelta(days=1)) - gauche, 2)
    parties += rect(gauche, y + 6, large, 14, couleur, infobulle)
    tic = min(max(x(lg.date_ouverture) - 1.5, X_FRISE), FIN_FRISE - 3)
    parties += rect(tic, y + 23, 3, 12, NOIR, f"Ouverture le {ouverture}", "repere")
    parties += _jauge(lg, y)
    ligne1 = f"{libelles.montant(lg.montant_total)} · {statut}"
    if lg.montant_regle > lg.montant_total:
        ligne2, couleur2 = f"{libelles.trop_percu(lg.montant_regle - lg.montant_total)}", ROUGE
    else:
        ligne2, couleur2 = (
            f"réglé {libelles.montant(lg.montant_regle)} · "
            f"en cours {libelles.montant(lg.montant_en_cours)}",
            GRIS,
        )
    place = LARGEUR - X_TEXTE
    parties += texte(X_TEXTE, y + 16, tronquer(ligne1, place), gras=True)
    ligne2 = tronquer(ligne2, place, 11)
    parties += texte(X_TEXTE, y + 32, ligne2, taille=11, couleur=couleur2, gras=couleur2 == ROUGE)
    return parties + "</g>"


def _jauge(lg: Any, y: float) -> str:
    """80 units: paid (up to the amount due), overpaid, in progress."""
    regle, du, en_cours = lg.montant_regle, lg.montant_total, lg.montant_en_cours
    echelle = max(du, regle + en_cours)
    parties = rect(X_JAUGE, y + 8, 80, 12, GRIS_CLAIR, None, "fond")
    if echelle <= 0:
        return parties
    x = X_JAUGE
    for valeur, couleur, libelle in (
        (min(regle, du), VERT, "réglé"),
        (max(regle - du, 0), ROUGE, "trop-perçu"),
        (en_cours, ORANGE, "en cours"),
    ):
        large = float(valeur / echelle) * 80
        if large > 0:
            parties += rect(x, y + 8, large, 12, couleur, f"{libelle} : {libelles.montant(valeur)}")
            x += large
    return parties


def _axe(d0: date, d1: date, x: Callable[[date], float], y: float) -> str:
    """The first and last day under the lanes, and each 1 January between that fits."""
    premier, dernier = libelles.date_fr(d0), libelles.date_fr(d1 - timedelta(days=1))
    parties = texte(X_FRISE, y, premier, couleur=GRIS)
    parties += texte(FIN_FRISE, y, dernier, ancre="end", couleur=GRIS)
    gauche = X_FRISE + largeur_texte(premier) + 12
    droite = FIN_FRISE - largeur_texte(dernier) - 12
    for annee in range(d0.year + 1, d1.year + 1):
        milieu, large = x(date(annee, 1, 1)), largeur_texte(str(annee))
        if gauche <= milieu - large / 2 and milieu + large / 2 <= droite:
            parties += texte(milieu, y, str(annee), ancre="middle", couleur=GRIS)
            gauche = milieu + large / 2 + 12
    return parties


# --- the console's icon ------------------------------------------------------------------------


def favicon() -> Markup:
    """The console's icon: three bars of a chart on the console's blue (a standalone SVG)."""
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        "<title>OPCO Sandbox · Console</title>"
        f'<rect width="64" height="64" rx="12" fill="{BLEU}"/>'
        '<rect x="13" y="30" width="9" height="22" rx="2" fill="#fff"/>'
        '<rect x="27.5" y="20" width="9" height="32" rx="2" fill="#fff"/>'
        f'<rect x="42" y="12" width="9" height="40" rx="2" fill="{VERT}" stroke="#fff" '
        'stroke-width="2"/></svg>'
    )
