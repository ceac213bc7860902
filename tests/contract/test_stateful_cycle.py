"""Random sequences of client calls, clock advances and control actions keep the invariants:
échéances sum to the engagement, amounts are never negative, the history follows the table
and no transition leaves a terminal state."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule
from sqlalchemy import select

from opco_server.horloge import Horloge
from opco_server.models import Dossier
from rules.cycle_de_vie import TERMINAUX, TRANSITIONS, Etat
from tests.api.test_cycle_de_vie import PDF, convention_de
from tests.conftest import ROOT, NormClient, app_jetable

CONTRAT = json.loads((ROOT / "fixtures" / "dossiers" / "contrat-v14.json").read_text("utf-8"))
NOMS = ["MARTIN", "SANDBOX-ATTENTE", "SANDBOX-REFUS-AGE", "SANDBOX-DOUBLON", "SANDBOX-ENGAGE"]


APP = app_jetable("opco-stateful-", Horloge(figee_a=datetime(2026, 8, 25, 9, tzinfo=UTC)))
SANDBOX = APP.app.extensions["opco.sandbox"]


class CycleDeVie(RuleBasedStateMachine):
    dossiers = Bundle("dossiers")

    def __init__(self) -> None:
        super().__init__()
        from opco_server.donnees.seed import identities
        from opco_server.services.reinitialisation import reinitialiser

        SANDBOX.horloge.figer(datetime(2026, 8, 25, 9, tzinfo=UTC))
        reinitialiser(SANDBOX)
        self.client = APP.test_client()
        self.client.__enter__()
        self.cfa = NormClient(self.client, identities(SANDBOX))
        self.count = 0

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)

    @rule(target=dossiers, nom=st.sampled_from(NOMS))
    def transmettre(self, nom):
        self.count += 1
        body = copy.deepcopy(CONTRAT)
        body["cerfa"]["apprenti"]["nom"] = nom
        body["cerfa"]["apprenti"]["prenom"] = f"Prenom{self.count}"
        response = self.cfa.transmettre(body, "v2")
        assert response.status_code == 200, response.text
        return response.json()["numeroInterne"]

    @rule(numero=dossiers)
    def convention(self, numero):
        with SANDBOX.session() as session:
            dossier = session.scalar(select(Dossier).where(Dossier.numero_interne == numero))
            cerfa = {"cerfa": dossier.cerfa}
        response = self.cfa.post(
            "/v1/conventions",
            files={
                "convention": (None, json.dumps(convention_de(cerfa, numero)), "application/json"),
                "fichier": ("c.pdf", PDF, "application/pdf"),
            },
        )
        assert response.status_code in (200, 400), response.text

    @rule(heures=st.integers(min_value=1, max_value=24 * 30))
    def avancer(self, heures):
        response = self.client.post("/_sandbox/horloge/avancer", json={"heures": heures})
        assert response.status_code == 200, response.text

    @rule(numero=dossiers, etat=st.sampled_from([e.value for e in Etat if e != Etat.TRANSMIS]))
    def forcer(self, numero, etat):
        response = self.client.post(
            f"/_sandbox/opcos/akto/dossiers/{numero}/transitions",
            json={"etat": etat, "motif": "test", "dateRupture": "2027-01-31"},
        )
        assert response.status_code in (200, 409), response.text

    @rule(
        numero=consumes(dossiers),
        jour=st.dates(
            min_value=datetime(2026, 8, 1).date(), max_value=datetime(2028, 9, 30).date()
        ),
    )
    def rompre(self, numero, jour):
        response = self.cfa.post(
            "/v2/dossiers/rupture/employeur",
            json={"numeroInterne": numero, "dateRupture": jour.isoformat()},
        )
        assert response.status_code in (200, 400), response.text

    @invariant()
    def montants_et_historique(self):
        with SANDBOX.session() as session:
            for dossier in session.scalars(select(Dossier)):
                if dossier.engagement is not None:
                    total = sum((e.montant_total for e in dossier.echeances), Decimal("0"))
                    assert total == dossier.engagement, dossier.numero_interne
                    assert all(e.montant_total >= 0 for e in dossier.echeances)
                    assert dossier.engagement >= 0
                previous = None
                for event in dossier.evenements:
                    if previous is not None:
                        assert event.etat_avant == previous
                    if event.etat_avant is not None and event.etat_avant != event.etat_apres:
                        assert Etat(event.etat_avant) not in TERMINAUX
                        assert Etat(event.etat_apres) in {
                            TRANSITIONS[k] for k in TRANSITIONS if k[0] == Etat(event.etat_avant)
                        }
                    previous = event.etat_apres
                assert previous == dossier.etat


CycleDeVie.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestCycleDeVie = CycleDeVie.TestCase
