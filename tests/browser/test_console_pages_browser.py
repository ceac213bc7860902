"""Every console page in a real headless Chromium at 1366×768: its pictures and its French.

One server for the module (SQLite, an admin token), one login shared by every page (the
stored browser state), one dossier taken through engagement, a paid invoice and a rupture
that leaves an overpayment. Each page is screenshotted under pytest's tmp_path (nothing is
kept in the repository) and checked as a reader sees it: the SVG charts are there, labelled
and not empty, their labels neither overlap nor leave the picture (as Chromium lays them
out); amounts read « 3 160,00 € »; identifiers and dates stay on one line; the page does not
scroll sideways; codes come with their labels; the favicon is the console's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

# Skips this module where that one skips (no Playwright or no Chromium): import it first.
from tests.browser.test_console_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    expect,
    serveur,
    sync_playwright,
)
from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

JETON = "jeton-admin-des-tests-de-la-console-0123456789"
OPCO, AUTRE_OPCO = "akto", "atlas"
LARGEUR, HAUTEUR = 1366, 768
MONTANT = re.compile(r"-?\d[\d \u202f\u00a0.,]*\d[ \u00a0\u202f]?€")
MONTANT_FR = re.compile(r"-?\d{1,3}(?:\u202f\d{3})*,\d{2}\u00a0€")


class Client:
    """A CFA's software on one OPCO (token, key, identification headers), and the operator
    (admin token) on the control API."""

    def __init__(self, url: str, identities: dict, opco: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=20)
        self.opco, self.identities = opco, identities
        self.cle = identities["cfas"][0]["cles"][opco]
        editeur = identities["editeur"]
        jeton = self.http.post(
            f"/{opco}/connect/token",
            data={"grant_type": "client_credentials", **editeur},
        )
        assert jeton.status_code == 200, jeton.text
        self.entetes = {
            "Authorization": f"Bearer {jeton.json()['access_token']}",
            "X-API-KEY": self.cle,
            "EDITEUR": "Editeur de test",
            "LOGICIEL": "GestionCFA",
            "VERSION": "4.2.0",
        }

    def api(self, methode: str, chemin: str, **kwargs) -> httpx.Response:
        entetes = {**self.entetes, **kwargs.pop("headers", {})}
        return self.http.request(methode, f"/{self.opco}{chemin}", headers=entetes, **kwargs)

    def pilotage(self, methode: str, chemin: str, **kwargs) -> dict:
        reponse = self.http.request(
            methode, f"/_sandbox{chemin}", headers={"X-Admin-Token": JETON}, **kwargs
        )
        assert reponse.status_code == 200, reponse.text
        return reponse.json()


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> Iterator[str]:
    with serveur(tmp_path_factory.mktemp("console") / "sandbox.sqlite3", admin_token=JETON) as u:
        yield u


@pytest.fixture(scope="module")
def donnees(url) -> dict:
    """A dossier engaged, its first instalment paid, then broken off on 15/01/2027: 3 160 €
    paid for 2 965,21 € due, an overpayment of 194,79 €. A second dossier at another OPCO,
    refused calls in the journal, and the clock left running 4 days and 3 hours ahead."""
    from opco_server.config import Settings
    from opco_server.donnees.seed import identities as demo_identities
    from opco_server.sandbox import Sandbox
    from tests.api.test_cycle_de_vie import PDF, convention_de
    from tests.api.test_factures import facture_pour

    identites = demo_identities(Sandbox(Settings(migrate=False, seed_demo=False)))
    contrat = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
    cfa, autre = Client(url, identites, OPCO), Client(url, identites, AUTRE_OPCO)
    try:
        cfa.pilotage("POST", "/horloge/figer", json={"instant": "2026-11-23T09:00:00+00:00"})
        numero = cfa.api("POST", "/v1/dossiers", json=contrat).json()["numeroInterne"]
        convention = json.dumps(convention_de(contrat, numero))
        depot = cfa.api(
            "POST",
            "/v1/conventions",
            files={"convention": (None, convention, "application/json"), "fichier": ("c.pdf", PDF)},
        )
        assert depot.status_code == 200, depot.text
        cfa.pilotage("POST", "/horloge/avancer", json={"jours": 4})
        detail = cfa.api("GET", "/v2/dossiers", params={"numeroInterne": numero}).json()
        facture = json.dumps(facture_pour(detail, "FAC-1", [1]))
        envoi = cfa.api(
            "POST",
            "/v1/factures",
            files={"facture": (None, facture, "application/json"), "fichier": ("f.pdf", PDF)},
        )
        assert envoi.status_code == 200, envoi.text
        cfa.pilotage("POST", "/horloge/avancer", json={"jours": 10})
        rupture = {"numeroInterne": numero, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"}
        assert cfa.api("POST", "/v2/dossiers/rupture/employeur", json=rupture).status_code == 200
        assert autre.api("POST", "/v1/dossiers", json=contrat).status_code == 200
        assert cfa.api("GET", "/v1/status", headers={"X-API-KEY": "0" * 40}).status_code == 403
        cfa.pilotage("POST", "/horloge/liberer")
        en_avance = datetime.now(UTC) + timedelta(days=4, hours=3)
        cfa.pilotage("PUT", "/horloge", json={"instant": en_avance.isoformat()})
    finally:
        cfa.http.close()
        autre.http.close()
    return {"numero": numero, "siren": identites["cfas"][1]["siren"]}


@pytest.fixture(scope="module")
def navigateur() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _onglet(navigateur: Browser, url: str, **contexte) -> Page:
    ctx = navigateur.new_context(
        base_url=url, locale="fr-FR", viewport={"width": LARGEUR, "height": HAUTEUR}, **contexte
    )
    onglet = ctx.new_page()
    onglet.set_default_timeout(15_000)
    return onglet


@pytest.fixture(scope="module")
def connexion(navigateur, url, donnees) -> dict:
    """Log in once through the login page; every test reuses the session (browser state)."""
    onglet = _onglet(navigateur, url)
    onglet.goto("/console/")
    expect(onglet.get_by_role("heading", name="Connexion à la console")).to_be_visible()
    onglet.get_by_label("Jeton d'administration").fill(JETON)
    onglet.get_by_role("button", name="Se connecter").click()
    expect(onglet.get_by_role("heading", name="Les onze OPCO de la sandbox")).to_be_visible()
    etat = onglet.context.storage_state()
    onglet.context.close()
    return etat


@pytest.fixture
def page(navigateur, url, connexion) -> Iterator[Page]:
    onglet = _onglet(navigateur, url, storage_state=connexion)
    yield onglet
    onglet.context.close()


# --- what every page must show ----------------------------------------------------------------

_MESURES = """() => {
  const hauteur = (el) => {  // of the content itself (a cell is as high as its row)
    const r = document.createRange(); r.selectNodeContents(el);
    const b = [...r.getClientRects()].filter(b => b.width > 0);
    return Math.max(...b.map(b => b.bottom)) - Math.min(...b.map(b => b.top));
  };
  const textes = [];
  const parcours = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (parcours.nextNode()) textes.push(parcours.currentNode.nodeValue);
  const boite = (b) => ({x: b.x, y: b.y, l: b.width, h: b.height});
  return {
    largeur: document.documentElement.scrollWidth,
    insecables: [...document.querySelectorAll('.insecable')]
      .filter(el => el.getClientRects().length)
      .map(el => ({texte: el.textContent.trim(), hauteur: hauteur(el),
                   interligne: parseFloat(getComputedStyle(el).lineHeight)})),
    textes,
    icone: [...document.querySelectorAll('link[rel=icon]')].map(l => [l.href, l.type]),
    graphiques: [...document.querySelectorAll('svg.graphique')].map(svg => ({
      role: svg.getAttribute('role'), nom: svg.getAttribute('aria-label'),
      titre: svg.querySelector(':scope > title')?.textContent,
      vue: boite(svg.viewBox.baseVal),
      segments: [...svg.querySelectorAll('rect.segment')].map(r => boite(r.getBBox())),
      infobulles: [...svg.querySelectorAll('rect.segment')].filter(r => r.querySelector('title')).length,
      textes: [...svg.querySelectorAll('text')].map(t => ({texte: t.textContent, ...boite(t.getBBox())})),
    })),
  };
}"""


def _chevauchent(a: dict, b: dict, marge: float = 0.5) -> bool:
    return (
        a["x"] + marge < b["x"] + b["l"]
        and b["x"] + marge < a["x"] + a["l"]
        and a["y"] + marge < b["y"] + b["h"]
        and b["y"] + marge < a["y"] + a["h"]
    )


def _dedans(a: dict, vue: dict, marge: float = 0.5) -> bool:
    return (
        a["x"] >= -marge
        and a["y"] >= -marge
        and a["x"] + a["l"] <= vue["l"] + marge
        and a["y"] + a["h"] <= vue["h"] + marge
    )


def verifier(page: Page, nom: str, dossier: Path, graphiques: int = 0) -> dict:
    """Screenshot the page, then check what every console page owes its reader."""
    page.screenshot(path=dossier / f"{nom}.png", full_page=True)
    for i, graphique in enumerate(page.locator("svg.graphique").all()):
        graphique.screenshot(path=dossier / f"{nom}-graphique-{i}.png")
    mesures = page.evaluate(_MESURES)
    assert mesures["largeur"] <= LARGEUR, f"{nom}: the page scrolls sideways"
    for el in mesures["insecables"]:
        assert el["hauteur"] < 1.6 * el["interligne"], (nom, "wraps", el)
    for texte in mesures["textes"]:
        for montant in MONTANT.findall(texte):
            assert MONTANT_FR.fullmatch(montant.strip()), (nom, montant, texte)
    assert mesures["icone"] and mesures["icone"][0][1] == "image/svg+xml", nom
    assert mesures["icone"][0][0].endswith("/console/favicon.svg"), nom
    assert len(mesures["graphiques"]) == graphiques, nom
    for g in mesures["graphiques"]:
        assert g["role"] == "img" and g["nom"] and g["titre"] == g["nom"], (nom, g["nom"])
        assert g["segments"] and g["infobulles"] == len(g["segments"]), (nom, g["nom"])
        for i, s in enumerate(g["segments"]):
            assert _dedans(s, g["vue"]), (nom, s)
            assert not any(_chevauchent(s, t) for t in g["segments"][i + 1 :]), (nom, s)
        for i, t in enumerate(g["textes"]):
            assert _dedans(t, g["vue"]), (nom, t)
            autres = [u for u in g["textes"][i + 1 :] if _chevauchent(t, u)]
            assert not autres, (nom, t, autres)
    return mesures


# --- the pages ---------------------------------------------------------------------------------


def test_login_page_and_favicon(navigateur, url, donnees, tmp_path):
    onglet = _onglet(navigateur, url)
    demandes: list[str] = []
    onglet.on("request", lambda r: demandes.append(r.url))
    onglet.goto("/console/journal")
    expect(onglet.get_by_role("heading", name="Connexion à la console")).to_be_visible()
    verifier(onglet, "connexion", tmp_path)
    icone = onglet.request.get("/console/favicon.svg")  # no session needed
    assert icone.status == 200 and icone.headers["content-type"] == "image/svg+xml"
    assert icone.text().startswith("<svg") and "<title>" in icone.text()
    assert not any(d.endswith("/favicon.ico") for d in demandes)
    onglet.context.close()


def test_home_shows_states_per_opco_and_the_clock_offset(page, tmp_path):
    page.goto("/console/")
    verifier(page, "accueil", tmp_path, graphiques=1)
    graphique = page.locator("svg.etats-par-opco")
    expect(graphique).to_have_attribute("aria-label", re.compile(r"11 OPCO, 2 dossiers au total"))
    segment = graphique.locator(
        "a", has=page.locator("title", has_text="AKTO — Rupture : 1 dossier")
    )
    expect(segment).to_have_attribute("href", f"/console/opco/{OPCO}/dossiers?etat=RUPTURE")
    expect(page.locator("#mode-horloge")).to_contain_text(
        "décalée de 4 jours et 3 heures, en avance sur l'heure réelle"
    )
    assert "s)" not in page.locator("#mode-horloge").inner_text()


def test_opco_and_dossier_list_pages(page, tmp_path, donnees):
    page.goto(f"/console/opco/{OPCO}/")
    verifier(page, "opco", tmp_path)
    page.goto(f"/console/opco/{OPCO}/dossiers")
    verifier(page, "dossiers", tmp_path)
    expect(page.locator("td.insecable", has_text=donnees["numero"])).to_have_count(1)


def test_dossier_page_shows_the_echeancier_and_the_overpayment(page, tmp_path, donnees):
    page.goto(f"/console/opco/{OPCO}/dossiers/{donnees['numero']}")
    verifier(page, "dossier", tmp_path, graphiques=1)
    frise = page.locator("svg.echeancier")
    expect(frise).to_have_attribute("aria-label", re.compile("Trop-perçu de 194,79\u00a0€"))
    expect(frise.locator("text", has_text="Trop-perçu de 194,79\u00a0€")).to_have_count(1)
    expect(frise.locator("text", has_text="Rupture : 15/01/2027")).to_have_count(1)
    expect(page.locator("#trop-percu")).to_contain_text("Trop-perçu de 194,79\u00a0€")
    statuts = page.locator("#echeances tbody tr td:nth-child(4) .etiquette").all_inner_texts()
    assert statuts[0] == "trop-perçu" and set(statuts[1:]) == {"annulée"}
    for libelle in (
        "11 — Premier contrat d'apprentissage de l'apprenti",
        "12 — Entreprise inscrite uniquement au registre du commerce et des sociétés",
        "54 — BTS (niveau 5)",
        "41 — Baccalauréat professionnel",
        "783,91\u00a0€",
        "Back-office de l'OPCO (simulé)",
        "Réglée",
        "Avance",
    ):
        expect(page.get_by_text(libelle, exact=True).first).to_be_visible()
    for ident in ("RNCP38369", "20/08/2026", "01/09/2026", donnees["numero"]):
        assert page.locator(".insecable", has_text=ident).count() >= 1, ident
    montants = page.locator("td.nombre.insecable", has_text="€").all_inner_texts()
    assert montants and all(MONTANT_FR.fullmatch(m) for m in montants), montants


def test_journal_charts_the_statuses_over_time(page, tmp_path):
    page.goto("/console/journal")
    verifier(page, "journal", tmp_path, graphiques=1)
    graphique = page.locator("svg.statuts-journal")
    expect(graphique.locator("text", has_text="4xx erreur du client")).to_have_count(1)
    expect(graphique.locator("rect.segment title", has_text="× 4xx")).not_to_have_count(0)
    page.locator("tbody tr td a").first.click()
    expect(page.get_by_role("heading", name="Requête (secrets masqués)")).to_be_visible()
    verifier(page, "entree", tmp_path)


def test_conformance_charts_the_verdict_per_operation(page, tmp_path):
    page.goto("/console/conformite")
    verifier(page, "conformite", tmp_path, graphiques=1)
    graphique = page.locator("svg.verdicts-operations")
    ligne = graphique.locator(
        "g", has=page.locator("text", has_text="dossiers.transmettre_dossier_v1")
    )
    expect(ligne.locator("text", has_text="réussie")).to_have_count(1)
    expect(graphique.locator("text", has_text="jamais essayée").first).to_be_visible()


def test_result_and_error_pages(page, tmp_path, donnees):
    page.goto("/console/opco/inconnu/")
    verifier(page, "erreur", tmp_path)
    page.goto(f"/console/opco/{AUTRE_OPCO}/")
    page.locator("section.carte", has=page.get_by_text(donnees["siren"])).get_by_role(
        "button", name="Générer ma clé"
    ).click()
    expect(page.get_by_text("Copiez-la maintenant")).to_be_visible()
    verifier(page, "cle", tmp_path)
    page.goto(f"/console/opco/{AUTRE_OPCO}/")
    page.get_by_label("Nom", exact=True).fill("Éditeur des tests de la console")
    page.get_by_role("button", name="Créer l'éditeur").click()
    expect(page.get_by_text("Copiez le secret maintenant")).to_be_visible()
    verifier(page, "editeur", tmp_path)
