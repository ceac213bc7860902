"""SVG primitives for the console's charts (opco_server.console.graphiques): shapes and text
as escaped markup strings, with an estimated text width for the layout. Pure: no Flask.

Every filled mark of a chart has the class « segment » (the tests check that they never
overlap), legend squares « legende », backgrounds « fond ».
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from opco_server.console import libelles

LARGEUR = 960  # every chart's viewBox width
POLICE = 12
CHASSE = 0.64  # estimated advance of a character, in ems (system-ui, bold included)
TEXTE = "#1d2329"


def largeur_texte(texte: str, taille: float = POLICE) -> float:
    return len(texte) * taille * CHASSE


def tronquer(texte: str, largeur: float, taille: float = POLICE) -> str:
    """`texte`, shortened with « … » to fit `largeur` (estimated)."""
    if largeur_texte(texte, taille) <= largeur:
        return texte
    garde = max(0, int(largeur / (taille * CHASSE)) - 1)
    return texte[:garde] + "…" if garde else ""


def n(x: float) -> str:
    """A coordinate, to the hundredth."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def titre(infobulle: str | None) -> str:
    return f"<title>{escape(infobulle)}</title>" if infobulle else ""


def rect(
    x: float,
    y: float,
    largeur: float,
    h: float,
    couleur: str,
    infobulle: str | None = None,
    classe: str = "segment",
) -> str:
    return (
        f'<rect class="{classe}" x="{n(x)}" y="{n(y)}" width="{n(max(largeur, 0))}" '
        f'height="{n(max(h, 0))}" fill="{couleur}">{titre(infobulle)}</rect>'
    )


def texte(
    x: float,
    y: float,
    contenu: str,
    *,
    ancre: str = "start",
    taille: float = POLICE,
    couleur: str = TEXTE,
    gras: bool = False,
) -> str:
    if not contenu:
        return ""
    poids = ' font-weight="bold"' if gras else ""
    return (
        f'<text x="{n(x)}" y="{n(y)}" text-anchor="{ancre}" font-size="{n(taille)}" '
        f'fill="{couleur}"{poids}>{escape(contenu)}</text>'
    )


def ligne(x: float, y1: float, y2: float, couleur: str, tirets: bool = False) -> str:
    motif = ' stroke-dasharray="4 3"' if tirets else ""
    return (
        f'<line x1="{n(x)}" y1="{n(y1)}" x2="{n(x)}" y2="{n(y2)}" stroke="{couleur}" '
        f'stroke-width="2"{motif}/>'
    )


def lien(href: str | None, contenu: str) -> str:
    return f'<a href="{escape(href)}">{contenu}</a>' if href else contenu


def svg(hauteur: float, intitule: str, corps: str, classe: str) -> Markup:
    """The chart: its accessible name (aria-label) and <title> are `intitule`."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique {classe}" '
        f'viewBox="0 0 {LARGEUR} {n(hauteur)}" width="{LARGEUR}" height="{n(hauteur)}" '
        f'role="img" aria-label="{escape(intitule)}" font-family="system-ui, sans-serif">'
        f"<title>{escape(intitule)}</title>{corps}</svg>"
    )


def legende(items: Iterable[tuple[str, str]], x0: float, y: float) -> tuple[str, float]:
    """Coloured squares and their labels, left to right, on as many lines as needed: (markup,
    bottom)."""
    parties, x = [], x0
    for libelle, couleur in items:
        largeur = 14 + largeur_texte(libelle)
        if x > x0 and x + largeur > LARGEUR:
            x, y = x0, y + 18
        parties.append(rect(x, y - 10, 10, 10, couleur, libelle, "legende"))
        parties.append(texte(x + 14, y, libelle))
        x += largeur + 16
    return "".join(parties), y + 6


def largeurs(valeurs: Sequence[int], maximum: int, place: float, minimum: float = 2) -> list[float]:
    """Widths proportional to `maximum` within `place`, a non-zero value never under
    `minimum` (so it stays visible), their sum never over `place`."""
    if maximum <= 0 or not valeurs:
        return [0.0] * len(valeurs)
    minimum = min(minimum, max(place, 0) / len(valeurs))
    utile = max(place - minimum * len(valeurs), 0)
    return [(v / maximum * utile + minimum) if v > 0 else 0.0 for v in valeurs]


def pluriel(nombre: int, singulier: str, forme_plurielle: str) -> str:
    """« 1 dossier », « 12 345 dossiers »."""
    return f"{libelles.nombre(nombre)} {singulier if nombre < 2 else forme_plurielle}"
