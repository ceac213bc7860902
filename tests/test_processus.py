"""Real processes over loopback: `opco-server run --workers 2` on SQLite and on PostgreSQL,
hit by concurrent clients, then killed with SIGKILL in the middle of a write load and restarted
(issue: production on PostgreSQL with several workers; faults).

One server per database for the whole module (its start is the slow part); each test works on
its own contracts (distinct apprentice names) or on its own OPCO, so they do not interfere. The
SIGKILL test comes last: it kills that server.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from bench import durabilite, outils
from tests.conftest import _postgres_database

CLIENTS = 16
WORKERS = 2


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("processus") / "sandbox.sqlite3")
    else:
        yield from _postgres_database()


@pytest.fixture(scope="module")
def serveur(database_url: str, tmp_path_factory) -> Iterator[outils.Serveur]:
    journal = tmp_path_factory.mktemp("journal") / "serveur.log"
    with outils.serveur(database_url, workers=WORKERS, journal=journal) as srv:
        outils.figer_horloge(srv)
        yield srv


@pytest.fixture
def cfa(serveur) -> outils.ClientNorme:
    return outils.ClientNorme(serveur)


def en_parallele(fonction: Callable, arguments: Iterable, clients: int = CLIENTS) -> list:
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(fonction, arguments))


def codes(body: object) -> list[str]:
    return [e["code"] for e in body["errors"]] if isinstance(body, dict) else []


def engager(cfa: outils.ClientNorme, prenom: str) -> dict:
    """An engaged dossier with its échéancier (magic name SANDBOX-ENGAGE, instructed now)."""
    status, cree = cfa.transmettre(outils.contrat_pour("SANDBOX-ENGAGE", prenom))
    assert status == 200, cree
    status, body = cfa.engager(cree["numeroInterne"])
    assert status == 200, body
    status, dossier = cfa.dossier(cree["numeroInterne"])
    assert status == 200 and dossier["cerfa"]["etat"] == "ENGAGE", dossier
    return dossier


def test_same_contract_from_every_client_makes_one_dossier(cfa):
    body = outils.contrat_pour(outils.nom_unique(1))
    reponses = en_parallele(lambda _: cfa.transmettre(body), range(CLIENTS))
    statuts = Counter(status for status, _ in reponses)
    assert statuts == {200: 1, 400: CLIENTS - 1}, reponses
    refus = [b for status, b in reponses if status == 400]
    assert all(codes(b) == ["DOSSIER_DUPLICATE"] for b in refus), refus


def test_distinct_contracts_get_contiguous_numbers_and_ranks(serveur):
    # A fresh OPCO for this CFA: its états hold exactly these dossiers.
    cfa = outils.ClientNorme(serveur, "opcommerce")
    n = 120
    contrats = [outils.contrat_pour(outils.nom_unique(1000 + i)) for i in range(n)]
    reponses = en_parallele(cfa.transmettre, contrats)
    assert [s for s, _ in reponses] == [200] * n, [b for s, b in reponses if s != 200][:3]
    numeros = [b["numeroInterne"] for _, b in reponses]
    assert sorted(int(x) for x in numeros) == list(range(1, n + 1))  # no duplicate, no gap
    assert len({b["numeroExterne"] for _, b in reponses}) == n

    etats, total = cfa.etats_dossiers()
    assert total == n and sorted(e["numeroInterne"] for e in etats) == sorted(numeros)
    pages = [etats[i : i + 50] for i in range(0, n, 50)]
    assert [len(p) for p in pages] == [50, 50, 20]  # ranks 1..120, no hole in a page

    # No lost write: each one reads back as sent.
    lus = en_parallele(cfa.dossier, numeros)
    for (status, detail), contrat, numero in zip(lus, contrats, numeros, strict=True):
        assert status == 200, detail
        assert detail["cerfa"]["numeroInterne"] == numero
        assert detail["cerfa"]["apprenti"]["nom"] == contrat["cerfa"]["apprenti"]["nom"]


def test_concurrent_invoices_are_all_kept_and_never_billed_twice(cfa):
    jour = outils.INSTANT_BENCH[:10]
    dossiers = en_parallele(lambda i: engager(cfa, outils.nom_unique(5000 + i)), range(12))
    uniques, (meme_facture, meme_echeance, croise1, croise2) = dossiers[:8], dossiers[8:]
    taches = [("unique", outils.facture_pour(d, f"FAC-U{i}", jour)) for i, d in enumerate(uniques)]
    taches += [("meme-facture", outils.facture_pour(meme_facture, "FAC-MEME", jour))] * 8
    taches += [
        ("meme-echeance", outils.facture_pour(meme_echeance, f"FAC-E{i}", jour)) for i in range(8)
    ]
    # The same invoice number on two dossiers: the dossier locks do not serialize these.
    premier = outils.facture_pour(croise1, "FAC-CROISE", jour)
    second = outils.facture_pour(croise2, "FAC-CROISE", jour)
    taches += [("croise", premier), ("croise", second)] * 4
    random.Random(7).shuffle(taches)

    reponses = en_parallele(lambda t: (t[0], t[1], *cfa.deposer_facture(t[1])), taches)
    assert not [r for r in reponses if r[2] >= 500], reponses
    par_groupe: dict[str, Counter] = {}
    acceptees = {}
    for groupe, facture, status, body in reponses:
        par_groupe.setdefault(groupe, Counter())[status] += 1
        if status == 200:
            acceptees[body["numeroInterneFacture"]] = facture
        else:
            assert status == 400 and "INV_DUPLICATE" in codes(body), body
    assert par_groupe["unique"] == {200: 8}
    assert par_groupe["meme-facture"] == {200: 1, 400: 7}
    assert par_groupe["meme-echeance"] == {200: 1, 400: 7}
    assert par_groupe["croise"] == {200: 1, 400: 7}

    # Every acknowledged invoice is stored as sent, and each échéance is billed exactly once.
    etats, total = cfa.etats_factures()
    par_numero = {f["numeroInterneFacture"]: f for f in etats}
    assert total == len(etats) == len(par_numero)
    for numero, facture in acceptees.items():
        assert par_numero[numero]["referenceFactureCFA"] == facture["numero"]
        assert par_numero[numero]["montantFacture"] == facture["montantTotal"]
    for dossier in dossiers:
        _, relu = cfa.dossier(dossier["cerfa"]["numeroInterne"])
        externe, e1 = relu["cerfa"]["numeroExterne"], relu["echeances"][0]
        factures = [f for f in acceptees.values() if f["lignes"][0]["numeroDossier"] == externe]
        assert len(factures) <= 1, factures
        attendu = e1["montantTotal"] if factures else 0.0
        assert e1["montantEnCoursInstruction"] == attendu, (externe, factures)


def test_clock_and_profile_are_the_same_in_every_worker(serveur):
    pilotage = f"{serveur.base_url}/_sandbox"
    depart = datetime.fromisoformat(outils.INSTANT_BENCH)
    outils.figer_horloge(serveur)
    # Dossiers of its own, at an OPCO no other test of this module uses (xdist may run the
    # tests of this module in any order, on any of its workers).
    ocapiat = outils.ClientNorme(serveur, "ocapiat")
    for i in range(3):
        status, body = ocapiat.transmettre(outils.contrat_pour(outils.nom_unique(5000 + i)))
        assert status == 200, body
    # 16 × 2 h: one of the advances crosses the 24 h after which the OPCO instructs every
    # dossier received so far, while the other requests run the back office too.
    avances = en_parallele(
        lambda _: outils.envoyer_json("POST", f"{pilotage}/horloge/avancer", {"heures": 2}),
        range(CLIENTS),
    )
    assert [s for s, _ in avances] == [200] * CLIENTS, avances
    lues = en_parallele(lambda _: outils.lire_json(f"{pilotage}/horloge"), range(2 * CLIENTS))
    attendu = (depart + timedelta(hours=2 * CLIENTS)).isoformat()
    assert {b["maintenant"] for _, b in lues} == {attendu}  # no advance lost, none seen late
    # Each dossier instructed once, whichever worker got there first (the claims).
    transitions = Counter(
        (t["opco"], t["numeroInterne"], t["etatApres"])
        for _, b in avances
        for t in b["transitions"]
    )
    assert set(transitions.values()) <= {1}, transitions.most_common(3)
    etats, _ = ocapiat.etats_dossiers()
    assert len(etats) == 3 and {e["etat"] for e in etats} == {"EN_COURS_INSTRUCTION"}
    assert not [e for e in etats if "impossible" in (e["commentaireEtat"] or "")]

    # The profile, seen through the norm: OPCO 2i serves no V2 in its dialect.
    opco2i = outils.ClientNorme(serveur, "opco2i")
    url = f"{opco2i.base}/v2/dossiers/etats?numeroPage=1"
    try:
        for profil, statut in (("norme-stricte", 200), ("dialectes", 404)):
            status, _ = outils.envoyer_json("PUT", f"{pilotage}/profil", {"profil": profil})
            assert status == 200
            vus = en_parallele(lambda _: outils.lire_json(url, opco2i.entetes)[0], range(32))
            assert set(vus) == {statut}, (profil, Counter(vus))
    finally:
        outils.envoyer_json("PUT", f"{pilotage}/profil", {"profil": "dialectes"})
        outils.figer_horloge(serveur)


def test_sigkill_during_writes_loses_nothing_acknowledged(serveur, database_url):
    """Last test of the module: it kills the module's server (and restarts it once)."""
    coupure = durabilite.charger_puis_tuer(serveur, duree=2.0, clients=8, rng=random.Random())
    assert coupure.acquittes.dossiers and coupure.acquittes.factures, coupure.acquittes.statuts
    bilan = durabilite.redemarrer_et_verifier(database_url, WORKERS, coupure)
    assert not bilan.dossiers_perdus and not bilan.factures_perdues, bilan
    assert not bilan.alterations and not bilan.anomalies, bilan
