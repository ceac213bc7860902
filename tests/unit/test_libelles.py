"""What the console writes for a French reader (opco_server.console.libelles): the code lists
are the spec's, amounts, dates and durations are written the French way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import yaml

from opco_server.console import libelles
from rules.echeancier import StatutEcheance
from tests.conftest import ROOT

NNBSP, NBSP = "\u202f", "\u00a0"


def _enum(schema: str, champ: str) -> dict:
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text("utf-8"))
    propriete = spec["components"]["schemas"][schema]["properties"][champ]
    return {
        code: libelle
        for code, libelle in zip(propriete["enum"], propriete["x-enum-descriptions"], strict=True)
        if code is not None
    }


@pytest.mark.parametrize(
    ("liste", "schema", "champ"),
    [
        (libelles.TYPES_CONTRAT, "Contrat", "typeContratApp"),
        (libelles.DEROGATIONS, "Contrat", "typeDerogation"),
        (libelles.MODES_CONTRACTUELS, "Contrat", "modeContractuel"),
        (libelles.TYPES_EMPLOYEUR, "Employeur", "typeEmployeur"),
        (libelles.SITUATIONS, "Apprenti", "situationAvantContrat"),
        (libelles.DIPLOMES, "Apprenti", "diplome"),
        (libelles.DIPLOMES, "Apprenti", "diplomePrepare"),
        (libelles.DIPLOMES, "Formation", "typeDiplome"),
        (libelles.NIVEAUX, "Maitre", "niveauDiplomeObtenu"),
        (libelles.ETATS_DOSSIER, "EtatDossier", "etat"),
    ],
)
def test_code_lists_are_the_specs(liste, schema, champ):
    assert liste == _enum(schema, champ)


def test_every_echeance_status_and_invoice_state_has_words():
    assert set(libelles.STATUTS_ECHEANCE) == set(StatutEcheance)
    assert set(libelles.ETATS_FACTURE) == set(_enum("EtatFacture", "etatFacture"))
    assert libelles.etat_facture("REGLE") == "Réglée"
    assert libelles.etat_facture("REGLE", est_avoir=True) == "Imputé"
    assert libelles.statut_echeance("TROP_PERCU") == "trop-perçu"


@pytest.mark.parametrize(
    ("valeur", "texte"),
    [
        (Decimal("783.91"), f"783,91{NBSP}€"),
        (Decimal("3160"), f"3{NNBSP}160,00{NBSP}€"),
        (Decimal("-194.79"), f"-194,79{NBSP}€"),
        (1234567.891, f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (Decimal("0.005"), f"0,01{NBSP}€"),  # half up, as the schedule rounds
        (Decimal("-0.001"), f"0,00{NBSP}€"),
        ("12.5", f"12,50{NBSP}€"),
        (None, "—"),
        ("n/a", "n/a"),
    ],
)
def test_amounts_read_the_french_way(valeur, texte):
    assert libelles.montant(valeur) == texte


def test_the_overpayment_phrase():
    assert libelles.trop_percu(Decimal("194.79")) == f"Trop-perçu de 194,79{NBSP}€"


@pytest.mark.parametrize(
    ("secondes", "texte"),
    [
        (345_600, "4 jours"),
        (345_600 + 3 * 3_600, "4 jours et 3 heures"),
        (4 * 86_400 + 2 * 3_600 + 59 * 60 + 59.6, "4 jours et 3 heures"),
        (86_400 + 60, "1 jour"),
        (90_061, "1 jour et 1 heure"),
        (-7_200, "2 heures"),
        (3_599.6, "1 heure"),
        (59, "59 secondes"),
        (1, "1 seconde"),
        (0, "0 seconde"),
        (1_000 * 86_400, f"1{NNBSP}000 jours"),
    ],
)
def test_durations_in_days_and_hours(secondes, texte):
    assert libelles.duree(secondes) == texte


def test_the_clock_offset_in_words_not_seconds():
    assert libelles.decalage(356_400) == (
        "décalée de 4 jours et 3 heures, en avance sur l'heure réelle"
    )
    assert libelles.decalage(-3_600) == "décalée de 1 heure, en retard sur l'heure réelle"


def test_dates_and_instants_to_the_second():
    assert libelles.date_fr("2026-08-20") == "20/08/2026"
    assert libelles.date_fr(date(2026, 8, 20)) == "20/08/2026"
    assert libelles.date_fr("bientôt") == "bientôt"
    instant = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert libelles.instant(instant) == "23/11/2026 09:00:00 UTC"
    assert libelles.instant("2026-11-23T09:00:00.999999") == "23/11/2026 09:00:00 UTC"
    assert libelles.instant(datetime(2026, 11, 23, 9, tzinfo=UTC)) == "23/11/2026 09:00:00 UTC"
    assert libelles.instant(None) == "—"


def test_codes_come_with_their_labels():
    assert libelles.code(11, "contrat.typeContratApp") == (
        "11 — Premier contrat d'apprentissage de l'apprenti"
    )
    assert libelles.code(54, "formation.typeDiplome") == "54 — BTS (niveau 5)"
    assert libelles.code(41, "apprenti.diplome") == "41 — Baccalauréat professionnel"
    assert libelles.code(99, "formation.typeDiplome") == "99"  # unknown: as received
    assert libelles.code(True, "contrat.typeContratApp") == "True"
    assert libelles.code(None, "contrat.typeDerogation") == "—"


def test_cerfa_values_the_french_way():
    assert libelles.valeur_cerfa("contrat.salaireEmbauche", 783.91) == f"783,91{NBSP}€"
    assert libelles.valeur_cerfa("contrat.dateDebutContrat", "2026-09-01") == "01/09/2026"
    assert libelles.valeur_cerfa("contrat.typeContratApp", 11).startswith("11 — ")
    assert libelles.valeur_cerfa("formation.rncp", "RNCP38369") == "RNCP38369"
    assert libelles.valeur_cerfa("employeur.nombreDeSalaries", 18) == 18


def test_every_filter_is_a_function_of_the_module():
    assert all(callable(f) and f.__module__ == libelles.__name__ for f in libelles.FILTRES.values())
