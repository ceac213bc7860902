"""`opco-server seed`: bulk dossiers that the norm's API cannot tell from service-made ones."""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from opco_server.cli import main
from opco_server.config import Settings
from opco_server.outils import copies, generation
from opco_server.outils.plan import ETATS, RUPTURES, Plan, repartir
from opco_server.services import controles, fabrique, personnes, ruptures
from rules.cerfa import CerfaVue
from rules.cycle_de_vie import Etat
from rules.doublon import cle_doublon
from tests.api.test_cycle_de_vie import PDF, convention_de, detail, pilotage
from tests.api.test_factures import envoyer, facture_pour
from tests.conftest import HOTES_DE_TEST, ROOT, NormClient, _postgres_database

N = 300
CHAMPS_OPCO = ("numeroInterne", "numeroExterne", "numeroDeca", "etat", "commentaireEtat")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory):
    """A database seeded with N dossiers by the command, and the app serving it."""
    if request.param == "sqlite":
        urls = iter([f"sqlite:///{tmp_path_factory.mktemp('seed') / 'seed.sqlite3'}"])
    else:
        urls = _postgres_database()
    url = next(urls)
    assert main(["seed", "--dossiers", str(N), "--database", url]) == 0

    from opco_server import create_app
    from opco_server.donnees.seed import identities

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = create_app(Settings(database_url=url, validate_responses=True, hotes=HOTES_DE_TEST))
    sandbox = app.app.extensions["opco.sandbox"]
    with app.test_client() as client:
        yield url, client, NormClient(client, identities(sandbox))
    sandbox.fermer()
    next(urls, None)  # PostgreSQL: drop the database


def etats(cfa) -> tuple[int, list[dict]]:
    """Every page of /v2/dossiers/etats until an empty one: (total, items in order)."""
    items, page = [], 1
    while True:
        body = cfa.get("/v2/dossiers/etats", params={"numeroPage": page}).json()
        if not body["EtatDossierResult"]:
            return body["total"], items
        assert body["count"] == len(body["EtatDossierResult"])
        items += body["EtatDossierResult"]
        page += 1


def copie(cfa, numero: str, prenom: str) -> tuple[dict, str]:
    """POST the seeded dossier's Cerfa again for another apprentice (through the API)."""
    cerfa = {k: v for k, v in detail(cfa, numero)["cerfa"].items() if k not in CHAMPS_OPCO}
    cerfa["apprenti"] = {**cerfa["apprenti"], "prenom": prenom}
    cerfa["contrat"] = {k: v for k, v in cerfa["contrat"].items() if k != "dateRupture"}
    response = cfa.transmettre({"cerfa": cerfa})
    assert response.status_code == 200, response.text
    return cerfa, response.json()["numeroInterne"]


def engager(client, cfa, cerfa: dict, numero: str) -> None:
    """Convention (as the demo scenario's) then instruction now, through the sandbox."""
    convention = convention_de(
        {"cerfa": cerfa},
        numero,
        couts={"coutTotalPedagogieCFA": 15800},
        dateSignature=cerfa["contrat"]["dateConclusion"],
    )
    response = cfa.post(
        "/v1/conventions",
        files={
            "convention": (None, json.dumps(convention), "application/json"),
            "fichier": ("convention.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 200, response.text
    response = client.post(f"/_sandbox/opcos/akto/dossiers/{numero}/instruction")
    assert response.status_code == 200, response.text


def factures_etats(cfa) -> tuple[int, list[dict]]:
    """Every page of /v2/factures/etats until an empty one: (total, items in rank order)."""
    items, page = [], 1
    while True:
        body = cfa.get("/v2/factures/etats", params={"numeroPage": page}).json()
        if not body["factures"]:
            return body["total"], items
        items += body["factures"]
        page += 1


def montant(valeur: float) -> Decimal:
    return Decimal(str(valeur)).quantize(Decimal("0.01"))


def financement(dossier: dict) -> dict:
    return {
        k: dossier[k]
        for k in ("engagement", "echeances", "engagementsFraisAnnexe", "detailsFacturation")
    }


def test_seed_lists_every_dossier_once_in_every_state(seeded):
    _, _, cfa = seeded
    total, items = etats(cfa)
    assert total == len(items) >= N
    premiers = items[:N]  # the other tests may add after them
    assert len({d["numeroInterne"] for d in premiers}) == N
    assert {d["etat"] for d in premiers} == set(ETATS)
    assert all(d["numeroDeca"] for d in premiers if d["etat"] in ("ENGAGE", "RUPTURE", "SOLDE"))
    par_etat = {e: sum(d["etat"] == e for d in premiers) for e in ETATS}
    assert par_etat == repartir(N)


def test_seeded_engagement_and_rupture_are_what_the_services_compute(seeded):
    _, client, cfa = seeded
    _, items = etats(cfa)
    engage = next(d["numeroInterne"] for d in items if d["etat"] == "ENGAGE")
    rompu = next(d["numeroInterne"] for d in items if d["etat"] == "RUPTURE")

    cerfa, numero = copie(cfa, engage, "Zélie")
    engager(client, cfa, cerfa, numero)
    fait = detail(cfa, numero)
    assert fait["cerfa"]["etat"] == "ENGAGE"
    assert financement(fait) == financement(detail(cfa, engage))
    assert fait["echeances"] and fait["engagement"] > 0

    seme = detail(cfa, rompu)
    cerfa, numero = copie(cfa, rompu, "Maïwenn")
    engager(client, cfa, cerfa, numero)
    libelle = seme["comment"].split(" : ", 1)[1].rstrip(".")
    motif = next(k for k, v in ruptures.MOTIFS.items() if v == libelle)
    response = cfa.post(
        "/v2/dossiers/rupture/employeur",
        json={
            "numeroInterne": numero,
            "dateRupture": seme["cerfa"]["contrat"]["dateRupture"],
            "motif": motif,
        },
    )
    assert response.status_code == 200, response.text
    fait = detail(cfa, numero)
    assert fait["cerfa"]["etat"] == "RUPTURE"
    assert fait["comment"] == seme["comment"]
    assert financement(fait) == financement(seme)
    transitions = [
        [(h["etatAvant"], h["etatApres"]) for h in pilotage(client, n)["historique"]]
        for n in (numero, rompu)
    ]
    assert transitions[0] == transitions[1]


def test_post_after_seed_gets_the_next_rank_and_seeding_again_appends(seeded, capsys):
    url, _, cfa = seeded
    total, items = etats(cfa)
    numeros = {d["numeroInterne"] for d in items}
    contrat = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
    response = cfa.transmettre(contrat)
    assert response.status_code == 200, response.text  # no duplicate, no IntegrityError
    nouveau = response.json()["numeroInterne"]
    assert nouveau not in numeros
    assert int(nouveau) == max(int(n) for n in numeros) + 1
    apres, items = etats(cfa)
    assert apres == total + 1 and items[total]["numeroInterne"] == nouveau

    capsys.readouterr()
    assert main(["seed", "--dossiers", "20", "--database", url, "--progress"]) == 0
    sortie = capsys.readouterr()
    assert f"(rangs {total + 2} à {total + 21})" in sortie.out
    assert "20/20 100,0 %" in sortie.err and "dossiers/s" in sortie.err  # the progress bar
    fin, items = etats(cfa)
    assert fin == total + 21 and items[total]["numeroInterne"] == nouveau
    ajoutes = [d["numeroInterne"] for d in items[total + 1 :]]
    assert len(set(ajoutes)) == 20 and not set(ajoutes) & (numeros | {nouveau})
    assert [int(n) for n in ajoutes] == list(range(int(nouveau) + 1, int(nouveau) + 21))


def test_seeded_soldes_are_paid_by_their_own_invoices(seeded):
    """SOLDE as at a real OPCO: every échéance paid by a REGLE invoice of the dossier's own,
    and the payment, not the control API, soldes it."""
    _, client, cfa = seeded
    _, dossiers_ = etats(cfa)
    soldes = [d["numeroInterne"] for d in dossiers_ if d["etat"] == "SOLDE"]
    total, factures = factures_etats(cfa)
    assert soldes and total == len(factures) >= len(soldes)
    par_dossier = defaultdict(list)
    for f in factures:
        for d in f["dossiers"]:
            par_dossier[d["numeroInterneDossier"]].append((f, montant(d["montant"])))
    assert set(soldes) <= set(par_dossier)
    seme = [f for f in factures if f["referenceFactureCFA"].startswith("FA-")]  # by the seed
    assert {d["numeroInterneDossier"] for f in seme for d in f["dossiers"]} == set(soldes)
    for numero in soldes:
        dossier = detail(cfa, numero)
        echeances = dossier["echeances"]
        paye = sum(montant(e["montantRegle"]) for e in echeances)
        assert paye == sum(montant(e["montantTotal"]) for e in echeances) > 0
        assert all(e["montantEnCoursInstruction"] == 0 for e in echeances)
        assert paye == sum(m for _, m in par_dossier[numero])
        for f, _ in par_dossier[numero]:
            assert f["etatFacture"] == "REGLE" and f["typeFacture"] == "FACTURE"
            assert f["referenceVirement"].startswith("VIR-AKTO-") and f["dateReglement"]
        dernier = pilotage(client, numero)["historique"][-1]
        assert (dernier["etatAvant"], dernier["etatApres"]) == ("RUPTURE", "SOLDE")
        assert (dernier["acteur"], dernier["cause"]) == (
            "simulateur",
            "Toutes les échéances sont réglées.",
        )
        assert dernier["horodatage"][:10] == max(f["dateReglement"] for f, _ in par_dossier[numero])
        assert dossier["cerfa"]["contrat"]["dateRupture"] <= dernier["horodatage"][:10]
    for champ in ("numeroInterneFacture", "referenceFactureCFA", "referenceVirement"):
        assert len({f[champ] for f in factures}) == len(factures), champ


def test_seeded_invoices_have_their_own_ranks_numbers_and_files(seeded):
    from sqlalchemy import create_engine, func, select

    from opco_server.models import Certificat, Dossier, Facture, Fichier, LigneFacture

    url, client, _ = seeded
    moteur = create_engine(url)
    with moteur.connect() as connexion:
        rangs = connexion.execute(select(Facture.rang).order_by(Facture.rang)).scalars().all()
        fichiers = [
            *connexion.execute(select(Facture.fichier_id)).scalars(),
            *connexion.execute(select(Certificat.fichier_id)).scalars(),
        ]
        numeros = connexion.execute(select(Fichier.numero)).scalars().all()
        lignes = connexion.execute(  # of the seed's invoices (the other tests may add some)
            select(LigneFacture.dossier_id, Dossier.etat, func.count())
            .join(Dossier, Dossier.id == LigneFacture.dossier_id)
            .join(Facture, Facture.id == LigneFacture.facture_id)
            .where(Facture.numero.like("FA-%"))
            .group_by(LigneFacture.dossier_id, Dossier.etat)
        ).all()
        finals = set(
            connexion.execute(
                select(Certificat.dossier_id).where(Certificat.type_certificat == "Final")
            ).scalars()
        )
    moteur.dispose()
    assert rangs == list(range(1, len(rangs) + 1))  # contiguous: /v2/factures/etats pages
    assert len(set(fichiers)) == len(fichiers) and len(set(numeros)) == len(numeros)
    assert {etat for _, etat, _ in lignes} == {"SOLDE"}
    assert {d for d, _, _ in lignes} <= finals  # the final certificat came with the balance
    facture = factures_etats(seeded[2])[1][0]
    response = client.get(f"/_sandbox/opcos/akto/factures/{facture['numeroInterneFacture']}")
    assert response.status_code == 200, response.text
    document = response.json()["numeroInterneDocument"]
    pdf = client.get(f"/_sandbox/opcos/akto/fichiers/{document}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_post_invoice_after_seed_gets_the_next_numbers(seeded):
    """No collision with the seeded invoices: the next internal number, rank and transfer."""
    _, client, cfa = seeded
    total, factures = factures_etats(cfa)
    _, items = etats(cfa)
    engage = next(d["numeroInterne"] for d in items if d["etat"] == "ENGAGE")
    cerfa, numero = copie(cfa, engage, "Apolline")
    engager(client, cfa, cerfa, numero)
    deja = factures[0]["referenceFactureCFA"]  # a CFA number the seed used: already known
    response = envoyer(cfa, facture_pour(detail(cfa, numero), deja, [1]))
    assert response.status_code == 400 and "INV_DUPLICATE" in response.text
    response = envoyer(cfa, facture_pour(detail(cfa, numero), "FAC-APRES-SEED", [1]))
    assert response.status_code == 200, response.text
    interne = response.json()["numeroInterneFacture"]
    assert interne == f"F{max(int(f['numeroInterneFacture'][1:]) for f in factures) + 1:09d}"
    paye = client.post(f"/_sandbox/opcos/akto/factures/{interne}/reglement")
    assert paye.status_code == 200, paye.text
    virement = paye.json()["referenceVirement"]
    assert virement not in {f["referenceVirement"] for f in factures}
    assert int(virement.rsplit("-", 1)[1]) == 1 + max(
        int(f["referenceVirement"].rsplit("-", 1)[1]) for f in factures
    )
    apres, items = factures_etats(cfa)
    assert apres == total + 1 and items[total]["numeroInterneFacture"] == interne


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dossiers", "0"], "au moins 1"),
        (["--dossiers", "5", "--opco", "nope"], "OPCO inconnu"),
        (["--dossiers", "5", "--cfa", "123456789"], "CFA inconnu"),
    ],
)
def test_seed_refuses_bad_arguments(tmp_path, capsys, args, message):
    url = f"sqlite:///{tmp_path / 'seed.sqlite3'}"
    assert main(["seed", *args, "--database", url]) == 2
    assert message in capsys.readouterr().err


# --- Unit level: the generated Cerfas and apprentices ---------------------------------------


@pytest.fixture(scope="module")
def regles():
    from opco_server.donnees.opcos import OpcoRegistry
    from opco_server.donnees.referentiel import charger_referentiel

    settings = Settings(database_url="sqlite://")
    referentiel = charger_referentiel(settings.fixtures_dir)
    akto = OpcoRegistry.load(settings.fixtures_dir / "opcos.yaml")["akto"]
    base = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
    return referentiel, akto, base["cerfa"]


def _verdict(violations) -> list[tuple[str, str, str]]:
    return sorted((v.code, v.severite.value, v.message) for v in violations)


def test_a_sample_of_generated_cerfas_passes_the_rules_like_its_cohort(regles):
    """Over a year of reception days and many apprentices: no transmission finding at all,
    and at instruction exactly the verdict of the cohort's contract (which blocks nothing)."""
    import rules
    from rules.registry import Moment

    referentiel, akto, base = regles
    identites = personnes.Identites("hotel-du-port.example")
    jour = date(2025, 11, 3)
    for k in range(0, 400, 3):
        reception = jour + timedelta(days=k)
        debut, conclusion = fabrique.dates_contrat(reception)
        formation, tranche = k % 3, k // 3 % 3  # every training and age bracket
        cohorte = fabrique.cerfa_cohorte(referentiel, base, debut, conclusion, formation, tranche)
        ctx = controles.contexte(
            referentiel,
            akto,
            reception + timedelta(days=4),
            date_reception=reception,
        )
        modele = fabrique.appliquer_identite(
            cohorte, identites.modele(k, debut, tranche), identites.maitre(0)
        )  # the generator's template for this day
        assert controles.controler_transmission(modele, ctx) == []
        attendu = _verdict(rules.evaluer(modele, ctx, Moment.INSTRUCTION))
        assert not [v for v in attendu if v[1] == "bloquant"]
        for n in (k, 7 * k + 1, 1_000_003 * k + 5):
            cerfa = fabrique.appliquer_identite(
                cohorte, identites.apprenti(n, debut, 0, tranche), identites.maitre(n)
            )
            assert controles.controler_transmission(cerfa, ctx) == [], (n, reception)
            assert _verdict(rules.evaluer(cerfa, ctx, Moment.INSTRUCTION)) == attendu, n


def test_generated_apprentices_have_distinct_duplicate_keys(regles):
    referentiel, _, base = regles
    identites = personnes.Identites("hotel-du-port.example")
    debut = date(2026, 10, 1)
    cohorte = fabrique.cerfa_cohorte(referentiel, base, debut, date(2026, 9, 19))
    cles = set()
    for n in range(30_000):
        apprenti = identites.apprenti(n, debut)
        cerfa = fabrique.appliquer_identite(cohorte, apprenti, {})
        cles.add(cle_doublon(CerfaVue.de(cerfa)))
    assert len(cles) == 30_000
    assert "MARTIN" not in personnes.NOMS  # the demo contract can always be sent after a seed
    beyond = identites.apprenti(identites.taille + 5, debut)
    assert "-" in beyond["prenom"]  # past the name space: compound first names, still distinct
    assert beyond != identites.apprenti(5, debut)


@pytest.mark.parametrize(
    "now", ["2026-11-23T09:00", "2026-12-01T00:30", "2027-03-01T23:00", "2027-02-06T12:00"]
)
def test_plan_counts_and_chronology(now):
    from datetime import UTC, datetime

    from opco_server.donnees.opcos import OpcoRegistry
    from rules.calculs import ajouter_mois

    akto = OpcoRegistry.load(Settings(database_url="sqlite://").fixtures_dir / "opcos.yaml")["akto"]
    now = datetime.fromisoformat(now).replace(tzinfo=UTC)
    plan = Plan(akto, now, repartir(1_000))
    positions = list(plan.positions())
    assert len(positions) == 1_000
    assert {e: sum(p.etat == e for p in positions) for e in ETATS} == plan.comptes
    receptions = [p.reception for p in positions]
    assert receptions == sorted(receptions) and receptions[-1] < now
    for p in positions:
        fin = p.etapes[
            {"TRANSMIS": "reception", "EN_COURS_INSTRUCTION": "instruction"}.get(
                p.etat, {"REFUSE": "refus", "ANNULE": "annulation"}.get(p.etat, "decision")
            )
        ]
        assert fin <= now
        if p.etat == Etat.TRANSMIS:  # the instruction is still ahead
            assert p.reception + akto.delai_debut_instruction > now
        if p.etat in (Etat.RUPTURE, Etat.SOLDE):
            debut, _ = fabrique.dates_contrat(p.reception.date())
            assert debut < p.date_rupture < now.date() and p.etapes["rupture"] <= now
            assert p.etapes["decision"] < p.etapes["rupture"]
        if p.etat == Etat.SOLDE:  # invoiced after the rupture, in time for the balance; paid
            assert p.etapes["rupture"] < p.etapes["facture"] < p.etapes["solde"] <= now
            assert p.etapes["facture"].date() <= ajouter_mois(p.date_rupture, 4)
    # Over the months of a large run, soldé contracts were broken off at every stage.
    grand = Plan(akto, now, repartir(60_000))
    soldes = {
        (p.date_rupture - fabrique.dates_contrat(p.reception.date())[0]).days
        for p in grand.positions()
        if p.etat == Etat.SOLDE
    }
    assert len(soldes & {j for j, _ in RUPTURES}) >= 4


@pytest.mark.parametrize("opco", ["opcoep", "afdas"])
def test_seed_works_at_an_opco_with_or_without_a_demo_employer(tmp_path, capsys, opco):
    url = f"sqlite:///{tmp_path / 'seed.sqlite3'}"
    assert main(["seed", "--dossiers", "8", "--opco", opco, "--database", url]) == 0
    assert f"8 dossiers générés chez {opco}" in capsys.readouterr().out


def test_an_apprentice_the_opco_already_holds_is_renamed(tmp_path, monkeypatch):
    from sqlalchemy import select

    from opco_server.donnees.seed import preparer_base
    from opco_server.models import Dossier
    from opco_server.sandbox import Sandbox

    sandbox = Sandbox(Settings(database_url=f"sqlite:///{tmp_path / 'seed.sqlite3'}"))
    preparer_base(sandbox)
    generation.generer(sandbox, 10)
    apprenti = personnes.Identites.apprenti

    def deja_vus(self, n, debut, variante=0, tranche=0):  # the next run draws the first run's
        return apprenti(  # apprentices
            self, n - 10 if variante == 0 and n >= 10 else n, debut, variante, tranche
        )

    monkeypatch.setattr(personnes.Identites, "apprenti", deja_vus)
    assert generation.generer(sandbox, 10).premier_rang == 11
    with sandbox.session() as session:
        prenoms = session.scalars(select(Dossier.apprenti_prenom).where(Dossier.rang > 10)).all()
    assert len(prenoms) == 10 and any("-" in p for p in prenoms)
    sandbox.fermer()


def test_an_invoice_number_the_cfa_already_used_gets_a_suffix(tmp_path, monkeypatch):
    from sqlalchemy import select

    from opco_server.donnees.seed import preparer_base
    from opco_server.models import Facture
    from opco_server.sandbox import Sandbox

    sandbox = Sandbox(Settings(database_url=f"sqlite:///{tmp_path / 'seed.sqlite3'}"))
    preparer_base(sandbox)
    generation.generer(sandbox, 20)  # one SOLDE dossier, one invoice
    with sandbox.session() as session:
        (premier,) = session.scalars(select(Facture.numero)).all()

    def deja_pris(jour, rang, suffixe=None):  # the next run draws the first run's number
        return premier + (f"-{suffixe}" if suffixe else "")

    monkeypatch.setattr(copies, "numero_facture_cfa", deja_pris)
    generation.generer(sandbox, 20)
    with sandbox.session() as session:
        numeros = session.scalars(select(Facture.numero).order_by(Facture.rang)).all()
    assert numeros == [premier, f"{premier}-1"]
    sandbox.fermer()


def test_seeded_apprentices_have_distinct_valid_nirs_and_ruptures_in_the_past(seeded):
    from sqlalchemy import create_engine, select
    from stdnum.fr import nir as stdnum_nir

    from opco_server.models import Dossier

    url, client, _ = seeded
    aujourdhui = client.get("/_sandbox/horloge").json()["maintenant"][:10]
    engine = create_engine(url)
    with engine.connect() as connexion:
        lignes = connexion.execute(
            select(Dossier.etat, Dossier.cerfa, Dossier.apprenti_nir).order_by(Dossier.id).limit(N)
        ).all()
    engine.dispose()
    apprentis = [cerfa["apprenti"] for _, cerfa, _ in lignes]
    assert len({a["nir"] for a in apprentis}) == len(apprentis) == N
    assert len({(a["prenom"], a["nom"]) for a in apprentis}) == N
    assert len({a["telephone"] for a in apprentis}) == N
    assert len({a["departementNaissance"] for a in apprentis}) > 1
    for (_, _, colonne), a in zip(lignes, apprentis, strict=True):
        nir = a["nir"]
        assert stdnum_nir.is_valid(nir) and colonne == nir[:13]
        assert nir[0] == ("1" if a["sexe"] == "M" else "2")
        assert nir[1:5] == a["dateNaissance"][2:4] + a["dateNaissance"][5:7]
        assert nir[5:7] == a["departementNaissance"]
    from stdnum.fr import siret

    employeurs = {c["employeur"]["siret"]: c["employeur"] for _, c, _ in lignes}
    assert len(employeurs) > 4 and all(siret.is_valid(s) for s in employeurs)
    assert len({e["adresse"]["codePostal"][:2] for e in employeurs.values()}) > 4
    ruptures = [c["contrat"]["dateRupture"] for etat, c, _ in lignes if etat == Etat.RUPTURE]
    assert len(set(ruptures)) > 1
    assert max(ruptures) <= aujourdhui


def test_seeded_trainings_and_salaries_vary_and_pay_at_least_the_legal_minimum(seeded, regles):
    """Several trainings and age brackets; every pay period at or above the D6222-26 grid."""
    from sqlalchemy import create_engine, text

    from rules.calculs import annee_execution, en_decimal, tranche_au

    referentiel = regles[0]
    moteur = create_engine(seeded[0])
    with moteur.connect() as connexion:
        cerfas = [
            c if isinstance(c, dict) else json.loads(c)
            for c in connexion.scalars(text("SELECT cerfa FROM dossiers"))
        ]
    moteur.dispose()
    assert len({c["formation"]["rncp"] for c in cerfas}) >= 3
    assert len({c["contrat"]["salaireEmbauche"] for c in cerfas}) >= 3
    for cerfa in cerfas:
        naissance = date.fromisoformat(cerfa["apprenti"]["dateNaissance"])
        debut = date.fromisoformat(cerfa["contrat"]["dateDebutContrat"])
        for ligne in cerfa["contrat"]["remunerationsAnnuelles"]:
            jour = date.fromisoformat(ligne["dateDebut"])
            minimum = referentiel.taux_minimal(
                annee_execution(debut, jour), tranche_au(naissance, jour)
            )
            assert en_decimal(ligne["taux"]) >= minimum, (cerfa["apprenti"], ligne)
