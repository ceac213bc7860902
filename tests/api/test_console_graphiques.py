"""What the console's pictures are drawn from (on SQLite and PostgreSQL): the states per OPCO,
the journal's answers per time bucket and per operation, a dossier's échéancier and its
statuses; and the pages that show them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from opco_server.services import engagements, journal, pilotage, suivi
from opco_server.services.journal import EN_ECHEC, JAMAIS_ESSAYEE, REUSSIE
from rules.echeancier import StatutEcheance
from tests.api.test_cycle_de_vie import avancer, detail, engage, transmis  # noqa: F401 (fixtures)
from tests.api.test_factures import envoyer, facture_pour

T0 = datetime(2026, 11, 23, 9, 0, 10, tzinfo=UTC)


def _entrees(sandbox, *lignes: tuple[timedelta, int, str, str | None]) -> None:
    """Journal rows at T0 + delay, with that status, OPCO and operation."""
    with sandbox.session() as session:
        journal.enregistrer_lot(
            session,
            [
                journal.valeurs(
                    opco_id=opco,
                    methode="GET",
                    chemin=f"/{opco}/v1/status",
                    operation=operation,
                    statut=statut,
                    duree_ms=1.0,
                    horodatage=T0 + delai,
                    horodatage_reel=T0,
                    client_id=None,
                    cfa_siren="912345675" if opco == "akto" else None,
                    entetes={},
                    entetes_bruts={},
                    query={},
                    corps=None,
                    corps_brut=b"",
                    reponse_entetes={},
                    reponse_corps={},
                )
                for delai, statut, opco, operation in lignes
            ],
        )
        session.commit()


def test_answers_per_time_bucket_and_status_class(app, sandbox):
    _entrees(
        sandbox,
        (timedelta(0), 200, "akto", None),
        (timedelta(minutes=10), 404, "akto", None),
        (timedelta(hours=1, minutes=30), 500, "atlas", None),
        (timedelta(hours=24, minutes=10), 201, "akto", None),
    )
    with sandbox.session() as session:
        tranches = journal.statuts_par_tranche(session)
        # 24 h 10 min: 25 one-hour buckets would be too many, three-hour ones are round
        assert [t.debut for t in tranches] == [
            datetime(2026, 11, 23, 9, tzinfo=UTC) + timedelta(hours=3 * i) for i in range(9)
        ]
        assert tranches[0].comptes == {"2xx": 1, "4xx": 1, "5xx": 1}
        assert [t.comptes for t in tranches[1:-1]] == [{}] * 7
        assert tranches[-1].comptes == {"2xx": 1}
        akto = journal.statuts_par_tranche(session, opco="akto", tranches_max=30)
        assert sum(sum(t.comptes.values()) for t in akto) == 3
        assert len(akto) == 25 and akto[0].fin - akto[0].debut == timedelta(hours=1)
        assert journal.statuts_par_tranche(session, cfa="912345675", tranches_max=1)[0].comptes == {
            "2xx": 2,
            "4xx": 1,
        }
        assert journal.statuts_par_tranche(session, opco="sante") == []


def test_verdict_per_operation_whatever_the_client(app, sandbox):
    _entrees(
        sandbox,
        (timedelta(0), 401, "akto", "systeme.consulter_statut"),
        (timedelta(0), 200, "atlas", "systeme.consulter_statut"),
        (timedelta(0), 403, "akto", "dossiers.transmettre_dossier_v1"),
        (timedelta(0), 200, "akto", "operation.hors_norme"),
    )
    with sandbox.session() as session:
        verdicts = {v.operation: v for v in journal.verdicts_par_operation(session, sandbox)}
    assert (
        verdicts["systeme.consulter_statut"].succes,
        verdicts["systeme.consulter_statut"].echecs,
    ) == (1, 1)
    assert verdicts["systeme.consulter_statut"].verdict == REUSSIE
    assert verdicts["dossiers.transmettre_dossier_v1"].verdict == EN_ECHEC
    assert verdicts["factures.deposer_facture"].verdict == JAMAIS_ESSAYEE
    assert list(verdicts)[-1] == "operation.hors_norme"  # after the norm's, in spec order


def test_states_per_opco(app, sandbox, transmis):
    with sandbox.session() as session:
        assert suivi.comptes_par_opco(session) == {"akto": {"TRANSMIS": 1}}


def test_the_echeancier_with_its_statuses(app, sandbox, cfa, client, engage):
    with sandbox.session() as session:
        d = pilotage.trouver(session, "akto", engage)
        e = engagements.echeancier(d, sandbox.horloge.aujourdhui())
        assert (e.debut, e.fin, e.rupture, e.trop_percu) == (
            date(2026, 9, 1),
            date(2028, 8, 31),
            None,
            0,
        )
        assert e.lignes[0].statut == StatutEcheance.OUVERTE  # E1 opened on 01/09/2026
        assert {lg.statut for lg in e.lignes[1:]} == {StatutEcheance.A_VENIR}
    assert envoyer(cfa, facture_pour(detail(cfa, engage), "FAC-1", [1])).status_code == 200
    avancer(client, jours=10)
    rupture = {"numeroInterne": engage, "dateRupture": "2027-01-15", "motif": "ACCORD_COMMUN"}
    assert cfa.post("/v2/dossiers/rupture/employeur", json=rupture).status_code == 200
    with sandbox.session() as session:
        d = pilotage.trouver(session, "akto", engage)
        e = engagements.echeancier(d, sandbox.horloge.aujourdhui())
    assert e.rupture == date(2027, 1, 15) and e.trop_percu == Decimal("194.79")
    assert e.lignes[0].statut == StatutEcheance.TROP_PERCU
    assert {lg.statut for lg in e.lignes[1:]} == {StatutEcheance.ANNULEE}


def test_the_pages_show_their_pictures(client, cfa, engage):
    assert cfa.get("/v1/status").status_code == 200
    pages = {
        "/console/": ['class="graphique etats-par-opco"', "1 dossier au total"],
        "/console/journal": ['class="graphique statuts-journal"'],
        "/console/conformite": ['class="graphique verdicts-operations"', "réussie"],
        f"/console/opco/akto/dossiers/{engage}": [
            'class="graphique echeancier"',
            "ouverte</span>",
            "à venir</span>",
            "11 — Premier contrat d&#39;apprentissage de l&#39;apprenti",
            "54 — BTS (niveau 5)",
            "783,91\u00a0€",
        ],
    }
    for url, attendus in pages.items():
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.text.count('role="img"') == 1, url
        for attendu in attendus:
            assert attendu in page.text, (url, attendu)


def test_the_console_serves_its_icon(client):
    icone = client.get("/console/favicon.svg")
    assert icone.status_code == 200 and icone.headers["content-type"] == "image/svg+xml"
    assert icone.text.startswith("<svg")
    assert (
        'rel="icon" href="/console/favicon.svg" type="image/svg+xml"'
        in client.get("/console/").text
    )
