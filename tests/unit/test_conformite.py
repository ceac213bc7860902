"""Conformance report computed from journal entries (plain dataclasses, no database)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from opco_server.services.conformite import (
    OPERATIONS_NORME,
    operations_norme,
    rapport,
    rapport_html,
)
from tests.conftest import ROOT

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LISTE = "dossiers.lister_etats_v2"
FACTURES = "factures.lister_etats_factures"
JETON = "authentification.obtenir_jeton"
POST_V1 = "dossiers.transmettre_dossier_v1"


@dataclass
class E:
    id: int
    operation: str | None
    statut: int = 200
    codes: list[str] = field(default_factory=list)
    opco_id: str = "akto"
    client_id: str | None = "client-a"
    editeur: str | None = "Éditeur A"
    logiciel: str | None = "GestCFA"
    version: str | None = "1.0"
    cfa_siren: str | None = "123456789"
    methode: str = "GET"
    chemin: str = "/akto/v1/x"
    requete: dict[str, Any] = field(default_factory=dict)
    reponse: dict[str, Any] = field(default_factory=dict)
    retry_after: int | None = None
    horodatage_reel: datetime = T0
    horodatage: datetime = T0
    empreinte: str | None = None


class Journal:
    """Builds entries with increasing ids and a wall clock advancing 1 s per entry by default."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.t = T0
        self.entrees: list[E] = []

    def add(self, operation: str | None, statut: int = 200, *, apres: float = 1, **kw: Any) -> E:
        self.t += timedelta(seconds=apres)
        e = E(next(self.ids), operation, statut, horodatage_reel=self.t, horodatage=self.t, **kw)
        self.entrees.append(e)
        return e

    def jeton(self, statut: int = 200, **kw: Any) -> E:
        kw.setdefault("logiciel", None)
        kw.setdefault("version", None)
        kw.setdefault("editeur", None)
        return self.add(JETON, statut, **kw)

    def page(self, operation: str, page: int, n: int, total: int, **kw: Any) -> E:
        cle = "EtatDossierResult" if operation == LISTE else "factures"
        corps = {"total": total, "count": n, "page": page, cle: [{}] * n}
        return self.add(
            operation,
            requete={"entetes": {}, "query": {"numeroPage": str(page)}, "corps": None},
            reponse={"entetes": {}, "corps": corps},
            **kw,
        )

    def rapport(self) -> dict[str, Any]:
        (r,) = rapport(self.entrees)
        return r


def _seul(operation: str) -> dict[str, Any]:
    j = Journal()
    j.add(operation)
    return j.rapport()


def statut(r: dict[str, Any], critere: str) -> str:
    (c,) = [c for c in r["comportements"] if c["critere"].startswith(critere)]
    return c["statut"]


# ---------------------------------------------------------------- operations


def test_operations_norme_match_the_spec():
    assert operations_norme(ROOT / "spec" / "openapi.yaml") == OPERATIONS_NORME
    assert len(OPERATIONS_NORME) == 16


def test_operations_never_tried_and_error_counts():
    j = Journal()
    j.jeton()
    j.add(POST_V1, 201, methode="POST")
    j.add(POST_V1, 400, codes=["FIELD_INVALID", "FIELD_REQUIRED"])
    j.add(POST_V1, 400, codes=["FIELD_INVALID"])
    j.add("systeme.consulter_statut")
    j.add(None, 404, codes=["NOT_FOUND"])
    r = j.rapport()
    assert r["requetes"] == 6
    assert r["operations"] == [
        {"operation": JETON, "appels": 1, "succes": 1, "echecs": 0, "codes": {}},
        {
            "operation": "systeme.consulter_statut",
            "appels": 1,
            "succes": 1,
            "echecs": 0,
            "codes": {},
        },
        {
            "operation": POST_V1,
            "appels": 3,
            "succes": 1,
            "echecs": 2,
            "codes": {"FIELD_INVALID": 2, "FIELD_REQUIRED": 1},
        },
    ]
    assert set(r["jamaisEssayees"]) == set(OPERATIONS_NORME) - {
        JETON,
        POST_V1,
        "systeme.consulter_statut",
    }
    assert r["erreurs"] == {"FIELD_INVALID": 2, "FIELD_REQUIRED": 1, "NOT_FOUND": 1}
    assert r["periode"] == {
        "debut": (T0 + timedelta(seconds=1)).isoformat(),
        "fin": (T0 + timedelta(seconds=6)).isoformat(),
    }
    assert (r["opco"], r["clientId"], r["editeur"], r["logiciel"], r["version"]) == (
        "akto",
        "client-a",
        "Éditeur A",
        "GestCFA",
        "1.0",
    )


def test_grouping_by_opco_client_logiciel_version():
    j = Journal()
    j.add("systeme.consulter_statut")
    j.add("systeme.consulter_statut", opco_id="atlas")
    j.add("systeme.consulter_statut", client_id="client-b", editeur="Éditeur B")
    j.add("systeme.consulter_statut", logiciel="Autre")
    j.add("systeme.consulter_statut", version="2.0")
    j.add("systeme.consulter_cle_cfa", version="2.0")
    rs = rapport(j.entrees)
    cles = {(r["opco"], r["clientId"], r["logiciel"], r["version"]): r["requetes"] for r in rs}
    assert cles == {
        ("akto", "client-a", "GestCFA", "1.0"): 1,
        ("atlas", "client-a", "GestCFA", "1.0"): 1,
        ("akto", "client-b", "GestCFA", "1.0"): 1,
        ("akto", "client-a", "Autre", "1.0"): 1,
        ("akto", "client-a", "GestCFA", "2.0"): 2,
    }


def test_grouping_without_client_id_falls_back_to_editeur():
    j = Journal()
    j.add("systeme.consulter_statut", client_id=None, editeur="Sans jeton")
    (r,) = rapport(j.entrees)
    assert r["clientId"] is None and r["editeur"] == "Sans jeton"


def test_entry_without_client_id_joins_its_unique_client():
    j = Journal()
    j.add("systeme.consulter_statut")
    j.add("systeme.consulter_statut", 401, client_id=None, codes=["AUTH_TOKEN_INVALID"])
    assert j.rapport()["requetes"] == 2


def test_token_request_without_headers_joins_every_group_of_its_client():
    j = Journal()
    j.jeton()
    j.add("systeme.consulter_statut", version="1.0")
    j.add("systeme.consulter_statut", version="2.0")
    rs = rapport(j.entrees)
    assert [r["requetes"] for r in rs] == [2, 2]
    assert all(r["operations"][0]["operation"] == JETON for r in rs)


def test_token_request_identified_by_its_form_body():
    j = Journal()
    j.add(LISTE, 401, codes=["AUTH_TOKEN_EXPIRED"])
    j.jeton(
        client_id=None, requete={"entetes": {}, "query": {}, "corps": {"client_id": "client-a"}}
    )
    j.add(LISTE, 200)
    r = j.rapport()
    assert r["requetes"] == 3 and r["clientId"] == "client-a"
    assert statut(r, "Renouvelle") == "conforme"


def test_empty_journal_gives_no_report():
    assert rapport([]) == []


# ---------------------------------------------------------------- behaviours


def test_token_renewal_conforme():
    j = Journal()
    j.add(LISTE, 401, codes=["AUTH_TOKEN_EXPIRED"])
    j.jeton()
    j.add(LISTE, 200)
    assert statut(j.rapport(), "Renouvelle") == "conforme"


def test_token_renewal_non_conforme():
    j = Journal()
    j.add(LISTE, 401, codes=["AUTH_TOKEN_EXPIRED"])
    j.add("systeme.consulter_statut")
    j.add(LISTE, 401, codes=["AUTH_TOKEN_EXPIRED"])
    assert statut(j.rapport(), "Renouvelle") == "non conforme"


def test_token_renewal_non_observe():
    j = Journal()
    j.add(LISTE, 401, codes=["AUTH_TOKEN_MISSING"])  # not an expired/invalid token
    j.add(LISTE, 200)
    assert statut(j.rapport(), "Renouvelle") == "non observé"
    j = Journal()
    j.add(LISTE, 401, codes=["AUTH_TOKEN_INVALID"])  # seen but never retried
    assert statut(j.rapport(), "Renouvelle") == "non observé"


def test_retry_after_conforme():
    j = Journal()
    j.add(POST_V1, 429, retry_after=5, codes=["RATE_LIMITED"])
    j.add(POST_V1, 201, apres=5)
    assert statut(j.rapport(), "Respecte Retry-After") == "conforme"


def test_retry_after_non_conforme():
    j = Journal()
    j.add(POST_V1, 429, retry_after=5)
    j.add(POST_V1, 429, retry_after=5, apres=4.9)
    j.add(POST_V1, 201, apres=6)
    assert statut(j.rapport(), "Respecte Retry-After") == "non conforme"


def test_retry_after_non_observe():
    j = Journal()
    j.add(POST_V1, 201)
    j.add(POST_V1, 429, retry_after=5)  # nothing after it
    assert statut(j.rapport(), "Respecte Retry-After") == "non observé"


@pytest.mark.parametrize("operation", [LISTE, FACTURES])
def test_pagination_conforme_stops_after_empty_page(operation):
    j = Journal()
    j.page(operation, 1, 10, 25)
    j.page(operation, 2, 10, 25)
    j.page(operation, 3, 5, 25)
    j.page(operation, 4, 0, 25)
    j.page(operation, 1, 10, 25)  # a later polling pass starts over
    j.page(operation, 2, 10, 25)
    j.page(operation, 3, 5, 25)  # stops when total is reached
    assert statut(j.rapport(), "S'arrête") == "conforme"


def test_pagination_conforme_on_empty_listing_polled_again():
    j = Journal()
    j.page(LISTE, 1, 0, 0)
    j.page(LISTE, 1, 0, 0)
    assert statut(j.rapport(), "S'arrête") == "conforme"


@pytest.mark.parametrize("operation", [LISTE, FACTURES])
def test_pagination_non_conforme_keeps_paging_after_empty_page(operation):
    j = Journal()
    j.page(operation, 1, 10, 15)
    j.page(operation, 2, 5, 15)
    j.page(operation, 3, 0, 15)
    j.page(operation, 4, 0, 15)
    assert statut(j.rapport(), "S'arrête") == "non conforme"


def test_pagination_non_conforme_jumps_beyond_last_page():
    j = Journal()
    j.page(LISTE, 1, 10, 15)
    j.page(LISTE, 2, 5, 15)
    j.page(LISTE, 4, 0, 15)  # ceil(15 / 10) + 1 = 3
    assert statut(j.rapport(), "S'arrête") == "non conforme"


def test_pagination_series_are_per_cfa():
    j = Journal()
    j.page(LISTE, 1, 0, 0, cfa_siren="111111111")
    j.page(LISTE, 2, 0, 0, cfa_siren="222222222")  # odd but a different CFA's listing
    assert statut(j.rapport(), "S'arrête") == "conforme"


def test_pagination_non_observe():
    j = Journal()
    j.page(LISTE, 1, 10, 30)  # never reached the end
    j.add(LISTE, 401, codes=["AUTH_TOKEN_EXPIRED"])
    assert statut(j.rapport(), "S'arrête") == "non observé"
    assert statut(_seul("systeme.consulter_statut"), "S'arrête") == "non observé"


def test_duplicate_non_conforme():
    j = Journal()
    j.add(POST_V1, 400, codes=["DOSSIER_DUPLICATE"], empreinte="abc", methode="POST")
    j.add(POST_V1, 201, empreinte="def", methode="POST")
    j.add("dossiers.transmettre_dossier_v2", 400, codes=["DOSSIER_DUPLICATE"], empreinte="abc")
    assert statut(j.rapport(), "Ne renvoie") == "non conforme"


def test_duplicate_conforme():
    j = Journal()
    j.add(POST_V1, 201, empreinte="abc")
    j.add(POST_V1, 400, codes=["DOSSIER_DUPLICATE"], empreinte="abc")
    j.add(POST_V1, 201, empreinte="def")
    assert statut(j.rapport(), "Ne renvoie") == "conforme"


def test_duplicate_non_observe():
    j = Journal()
    j.add(POST_V1, 201, empreinte="abc")
    j.add(POST_V1, 201, empreinte="def")
    assert statut(j.rapport(), "Ne renvoie") == "non observé"


def test_headers_non_conforme_and_conforme():
    j = Journal()
    j.add(LISTE, 400, codes=["HEADER_MISSING"])
    assert statut(j.rapport(), "Envoie") == "non conforme"
    j = Journal()
    j.add(LISTE, 400, codes=["FIELD_INVALID"])
    assert statut(j.rapport(), "Envoie") == "conforme"


# ---------------------------------------------------------------- verdict


def _toutes_operations(j: Journal) -> None:
    for op in OPERATIONS_NORME:
        j.jeton() if op == JETON else j.add(op)


def test_verdict_conforme_when_everything_tried_and_nothing_wrong():
    j = Journal()
    _toutes_operations(j)
    r = j.rapport()
    assert r["jamaisEssayees"] == []
    assert r["verdict"] == "conforme"


def test_operations_the_opco_does_not_offer_are_neither_missing_nor_required():
    j = Journal()
    for op in OPERATIONS_NORME:
        if op != "certificats.deposer_certificat":
            j.jeton() if op == JETON else j.add(op)
    (r,) = rapport(j.entrees, {"akto": frozenset({"certificats.deposer_certificat"})})
    assert r["jamaisEssayees"] == []
    assert r["nonProposees"] == ["certificats.deposer_certificat"]
    assert r["verdict"] == "conforme"
    assert "Non proposées par cet OPCO (hors verdict) : certificats.deposer_certificat" in (
        rapport_html([r])
    )
    # Another OPCO's dialect does not apply; without dialects the norm is the measure.
    (autre,) = rapport(j.entrees, {"atlas": frozenset({"certificats.deposer_certificat"})})
    assert autre["jamaisEssayees"] == ["certificats.deposer_certificat"]
    assert autre["verdict"] == "incomplet"
    assert j.rapport()["verdict"] == "incomplet"


def test_verdict_incomplet_when_an_operation_was_never_tried():
    assert _seul("systeme.consulter_statut")["verdict"] == "incomplet"


def test_verdict_a_corriger_wins_over_incomplet_and_conforme():
    j = Journal()
    _toutes_operations(j)
    j.add(LISTE, 400, codes=["HEADER_MISSING"])
    assert j.rapport()["verdict"] == "à corriger"
    j = Journal()
    j.add(LISTE, 400, codes=["HEADER_MISSING"])  # also wins over "incomplet"
    assert j.rapport()["verdict"] == "à corriger"


# ---------------------------------------------------------------- HTML


def test_html_is_french_printable_and_has_every_section():
    j = Journal()
    j.add(LISTE, 400, codes=["HEADER_MISSING"])
    page = rapport_html(rapport(j.entrees))
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in page
    assert "<title>Rapport de conformité — OPCO Sandbox</title>" in page
    assert "@media print" in page and "A4" in page
    assert "<script" not in page
    for titre in (
        "Opérations appelées",
        "Opérations jamais essayées",
        "Codes d'erreur reçus",
        "Comportements",
        "Verdict",
    ):
        assert titre in page
    assert "HEADER_MISSING" in page
    assert 'class="non-conforme"' in page and "à corriger" in page


def test_html_escapes_every_value():
    j = Journal()
    j.add(
        "systeme.consulter_statut",
        400,
        codes=["<b>CODE</b>"],
        logiciel="<script>alert(1)</script>",
        editeur='"Éditeur" & <i>fils</i>',
        version="<1.0>",
    )
    page = rapport_html(rapport(j.entrees))
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;Éditeur&quot; &amp; &lt;i&gt;fils&lt;/i&gt;" in page
    assert "&lt;b&gt;CODE&lt;/b&gt;" in page
    assert "&lt;1.0&gt;" in page


def test_html_without_reports():
    assert "Aucune requête journalisée." in rapport_html([])
