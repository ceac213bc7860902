"""Where an instalment stands on a day (rules.echeancier.statut_echeance): the status column
and the timeline of the console's dossier page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from rules.echeancier import StatutEcheance, statut_echeance

OUVERTURE = date(2027, 3, 1)
AVANT, APRES = date(2027, 2, 28), date(2027, 3, 1)


@pytest.mark.parametrize(
    ("total", "regle", "jour", "rompu", "annule", "statut"),
    [
        ("3160", "0", AVANT, False, False, StatutEcheance.A_VENIR),
        ("3160", "0", APRES, False, False, StatutEcheance.OUVERTE),
        ("3160", "1000", APRES, False, False, StatutEcheance.OUVERTE),
        ("3160", "3160", APRES, False, False, StatutEcheance.REGLEE),
        ("3160", "3160", AVANT, False, False, StatutEcheance.REGLEE),
        ("2965.21", "3160", APRES, True, False, StatutEcheance.TROP_PERCU),
        ("0", "3160", AVANT, True, False, StatutEcheance.TROP_PERCU),
        ("0", "0", AVANT, True, False, StatutEcheance.ANNULEE),  # cancelled by the rupture
        ("0", "0", APRES, True, False, StatutEcheance.ANNULEE),
        ("1580", "0", APRES, True, False, StatutEcheance.OUVERTE),  # prorated, still due
        ("3160", "0", APRES, False, True, StatutEcheance.ANNULEE),  # dossier cancelled
        ("3160", "3160", APRES, False, True, StatutEcheance.REGLEE),
        ("0", "0", AVANT, False, False, StatutEcheance.A_VENIR),  # nothing due (participation)
        ("0", "0", APRES, False, False, StatutEcheance.REGLEE),
    ],
)
def test_status_of_an_instalment(total, regle, jour, rompu, annule, statut):
    assert statut_echeance(D(total), D(regle), OUVERTURE, jour, rompu, annule) == statut
