"""The console's SVG charts (opco_server.console.graphiques), for any input: an accessible
picture (role, aria-label, <title>), every filled mark with its tooltip, every mark and label
inside the viewBox, no two filled marks and no two labels overlapping, no label over a mark
but inside its own (labels measured with the module's own width estimate: tests/browser/test_console_pages_browser.py measures them as
Chromium lays them out), everything escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from opco_server.console import graphiques
from opco_server.console.dessin import largeur_texte
from opco_server.services.engagements import Echeancier, LigneEcheance
from opco_server.services.journal import PAS_TRANCHES, decouper
from rules.echeancier import StatutEcheance

NS = "{http://www.w3.org/2000/svg}"
EPS = 0.02  # coordinates are written to the hundredth
ETATS = ["TRANSMIS", "EN_COURS_INSTRUCTION", "ENGAGE", "REFUSE", "ANNULE", "RUPTURE", "SOLDE"]


@dataclass(frozen=True)
class Boite:
    x: float
    y: float
    largeur: float
    hauteur: float
    quoi: str

    def dans(self, largeur: float, hauteur: float) -> bool:
        return (
            self.x >= -EPS
            and self.y >= -EPS
            and self.x + self.largeur <= largeur + EPS
            and self.y + self.hauteur <= hauteur + EPS
        )

    def dans_boite(self, autre: Boite) -> bool:
        return (
            autre.x - EPS <= self.x
            and autre.y - EPS <= self.y
            and self.x + self.largeur <= autre.x + autre.largeur + EPS
            and self.y + self.hauteur <= autre.y + autre.hauteur + EPS
        )

    def chevauche(self, autre: Boite) -> bool:
        return (
            self.x + EPS < autre.x + autre.largeur
            and autre.x + EPS < self.x + self.largeur
            and self.y + EPS < autre.y + autre.hauteur
            and autre.y + EPS < self.y + self.hauteur
        )


def _texte(el: ET.Element) -> Boite:
    taille, contenu = float(el.get("font-size", 12)), el.text or ""
    large, x = largeur_texte(contenu, taille), float(el.get("x"))
    x -= {"start": 0, "middle": large / 2, "end": large}[el.get("text-anchor", "start")]
    return Boite(x, float(el.get("y")) - 0.8 * taille, large, taille, contenu)


def verifier(markup: Markup) -> ET.Element:
    """The properties every chart keeps, whatever it was given."""
    assert isinstance(markup, Markup)
    svg = ET.fromstring(str(markup))  # well-formed: every text escaped
    assert svg.tag == f"{NS}svg" and svg.get("role") == "img"
    assert svg.get("aria-label") and svg[0].tag == f"{NS}title"
    assert svg[0].text == svg.get("aria-label")
    _, _, largeur, hauteur = map(float, svg.get("viewBox").split())
    assert (largeur, hauteur) == (float(svg.get("width")), float(svg.get("height")))
    segments, textes = [], []
    for el in svg.iter():
        if el.tag == f"{NS}rect":
            boite = Boite(*(float(el.get(k)) for k in ("x", "y", "width", "height")), "rect")
            assert boite.largeur >= 0 and boite.hauteur >= 0
            assert boite.dans(largeur, hauteur), boite
            if el.get("class") == "segment":
                assert el.find(f"{NS}title") is not None, "a filled mark without tooltip"
                segments.append(boite)
        elif el.tag == f"{NS}line":
            x1, y1, x2, y2 = (float(el.get(k)) for k in ("x1", "y1", "x2", "y2"))
            assert min(x1, x2) >= -EPS and max(x1, x2) <= largeur + EPS
            assert min(y1, y2) >= -EPS and max(y1, y2) <= hauteur + EPS
        elif el.tag == f"{NS}text":
            boite = _texte(el)
            assert boite.dans(largeur, hauteur), boite
            textes.append(boite)
    for a, b in combinations(segments, 2):
        assert not a.chevauche(b), (a, b)
    for a, b in combinations(textes, 2):
        assert not a.chevauche(b), (a, b)
    for texte in textes:  # on a filled mark, a label is that mark's own, inside it
        for segment in segments:
            assert not texte.chevauche(segment) or texte.dans_boite(segment), (texte, segment)
    return svg


# --- strategies -------------------------------------------------------------------------------

TEXTE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)
COMPTE = st.integers(0, 10**9)


@dataclass(frozen=True)
class Opco:
    id: str
    nom: str


@dataclass(frozen=True)
class Verdict:
    operation: str
    succes: int
    echecs: int
    verdict: str


opcos = st.lists(TEXTE, max_size=15).map(
    lambda noms: [Opco(f"o{i}", nom) for i, nom in enumerate(noms)]
)
comptes = st.dictionaries(
    st.sampled_from([f"o{i}" for i in range(15)]),
    st.dictionaries(st.sampled_from(ETATS), COMPTE),
)
instants = st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC))
verdicts = st.lists(
    st.builds(
        Verdict,
        TEXTE,
        COMPTE,
        COMPTE,
        st.sampled_from([*graphiques.COULEURS_VERDICTS, "autre chose"]) | TEXTE,
    ),
    max_size=25,
)
jours = st.dates(date(2000, 1, 1), date(2100, 12, 31))
montants = st.decimals(0, 10**9, places=2, allow_nan=False, allow_infinity=False)
lignes = st.builds(
    LigneEcheance,
    st.integers(1, 99),
    TEXTE,
    st.sampled_from(["AVANCE", "M7", "M10", "SOLDE"]) | TEXTE,
    montants,
    montants,
    montants,
    jours,
    jours,
    jours,
    st.sampled_from(list(StatutEcheance)),
)
echeanciers = st.builds(
    Echeancier, st.lists(lignes, min_size=1, max_size=12), jours, jours, jours, st.none() | jours
)


@st.composite
def tranches(draw):
    debut, pas = draw(instants), draw(st.sampled_from(PAS_TRANCHES))
    n = draw(st.integers(1, 60))
    classes = st.sampled_from(["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"])
    return [
        (debut + pas * i, debut + pas * (i + 1), draw(st.dictionaries(classes, COMPTE)))
        for i in range(n)
    ]


# --- properties --------------------------------------------------------------------------------


@given(opcos, comptes)
def test_states_per_opco_stay_inside_and_apart(liste, parts):
    svg = verifier(graphiques.etats_par_opco(liste, parts, ETATS, lambda o, e: f"/{o}?etat={e}"))
    total = sum(n for o in liste for n in parts.get(o.id, {}).values())
    assert f"{graphiques.libelles.nombre(total)} dossier" in svg.get("aria-label")


@given(tranches())
def test_journal_statuses_stay_inside_and_apart(serie):
    verifier(graphiques.statuts_journal(serie))


@given(verdicts)
def test_verdicts_stay_inside_and_apart(liste):
    svg = verifier(graphiques.verdicts_operations(liste))
    assert len(svg.findall(f"{NS}g")) == len(liste)


@given(echeanciers)
def test_echeancier_stays_inside_and_apart(echeancier):
    svg = verifier(graphiques.echeancier(echeancier))
    assert len(svg.findall(f"{NS}g")) == len(echeancier.lignes)


@given(instants, st.integers(0, 10**8), st.integers(1, 60))
def test_buckets_cover_the_span_roundly(premier, secondes, maximum):
    dernier = premier + timedelta(seconds=secondes)
    debut, pas, n = decouper(premier, dernier, maximum)
    assert 1 <= n <= maximum
    assert debut <= premier and dernier < debut + pas * n
    assert debut.second == debut.microsecond == 0


# --- examples ---------------------------------------------------------------------------------


def test_everything_shown_is_escaped():
    piege = "<script>alert(1)</script> & « co »"
    svg = graphiques.verdicts_operations([Verdict(piege, 1, 0, "réussie")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    verifier(svg)
    lien = graphiques.etats_par_opco(
        [Opco("a", piege)], {"a": {"ENGAGE": 2}}, ETATS, lambda o, e: '"/x?a=1&b=2'
    )
    assert 'href="&#34;/x?a=1&amp;b=2"' in lien and "<script>" not in lien


def test_an_empty_journal_says_so_and_an_empty_schedule_draws_nothing():
    svg = verifier(graphiques.statuts_journal([]))
    assert "Aucun appel journalisé." in ET.tostring(svg, encoding="unicode")
    vide = Echeancier([], date(2026, 9, 1), date(2028, 8, 31), date(2026, 12, 1), None)
    assert graphiques.echeancier(vide) == Markup("")


def test_the_overpayment_stands_out_on_the_timeline():
    e1 = LigneEcheance(
        1, "E1", "AVANCE", Decimal("2965.21"), Decimal("3160.00"), Decimal("0"),
        date(2026, 9, 1), date(2026, 9, 1), date(2027, 1, 15), StatutEcheance.TROP_PERCU,
    )  # fmt: skip
    e2 = LigneEcheance(
        2, "E2", "M7", Decimal("0"), Decimal("0"), Decimal("0"),
        date(2027, 1, 15), date(2027, 3, 1), date(2027, 5, 31), StatutEcheance.ANNULEE,
    )  # fmt: skip
    echeancier = Echeancier(
        [e1, e2], date(2026, 9, 1), date(2028, 8, 31), date(2026, 12, 1), date(2027, 1, 15)
    )
    svg = verifier(graphiques.echeancier(echeancier))
    assert svg.get("aria-label").endswith("Trop-perçu de 194,79\u00a0€")
    rouges = [t for t in svg.iter(f"{NS}text") if t.get("fill") == graphiques.ROUGE]
    assert {t.text for t in rouges} >= {"Trop-perçu de 194,79\u00a0€", "Rupture : 15/01/2027"}
    barres = [r for r in svg.iter(f"{NS}rect") if r.get("class") == "segment"]
    assert barres[0].get("fill") == graphiques.ROUGE  # E1's period, overpaid
    assert any(r.get("fill") == graphiques.COULEURS_ECHEANCES["ANNULEE"] for r in barres)
    assert "0,00\u00a0€ · annulée" in {t.text for t in svg.iter(f"{NS}text")}


def test_the_favicon_is_a_standalone_svg():
    icone = ET.fromstring(str(graphiques.favicon()))
    assert icone.tag == f"{NS}svg" and icone.get("viewBox") == "0 0 64 64"
