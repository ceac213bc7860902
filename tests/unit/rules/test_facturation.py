"""Invoice controls (POST /factures): one triggering and one just-inside case per code."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rules.facturation  # noqa: F401  (registers the rules)
from rules.facturation_vues import DossierVue, EcheanceVue, FactureVue, FraisEngage, LigneVue
from rules.registry import Contexte, Moment, Severite, catalogue, evaluer

CTX = Contexte(aujourdhui=date(2025, 10, 15), referentiel=None)
IBAN = "FR7630004000010001234567830"
SIRET = "91234567500017"
L0 = "facture.lignes[0]"
CODES = {
    "INV_DUPLICATE",
    "INV_IBAN_MISMATCH",
    "INV_FRAIS_ANNEXES_EXCEEDED",
    "INV_IBAN_MISSING",
    "INV_ECHEANCE_AMOUNT_MISMATCH",
    "INV_SIRET_UNKNOWN",
    "INV_SIRET_MISMATCH",
    "INV_DOSSIER_NUMBER_MISSING",
    "INV_ECHEANCE_NOT_OPEN",
    "INV_AMOUNT_MISMATCH",
    "INV_TOTAL_MISMATCH",
    "INV_ECHEANCE_UNKNOWN",
    "INV_DOSSIER_UNKNOWN",
    "INV_DOSSIER_NOT_ENGAGED",
    "INV_AFTER_RUPTURE",
    "INV_BALANCE_NO_ATTESTATION",
    "INV_BALANCE_LATE",
    "INV_PARTICIPATION_COPY_MISSING",
    "FIN_RQTH_MAJORATION_CAP",
    "FIN_FRAIS_ANNEXES_CAP",
    "INV_CREDIT_NOTE_EXCEEDS",
}


def ech(numero: int, nature: str, annee: int, montant: str, ouverture: str, debut: str, fin: str):
    return EcheanceVue(
        numero=numero,
        codification=f"E{numero}",
        nature=nature,
        annee=annee,
        montant_total=D(montant),
        montant_regle=D("0.00"),
        montant_en_cours=D("0.00"),
        date_ouverture=date.fromisoformat(ouverture),
        date_debut=date.fromisoformat(debut),
        date_fin=date.fromisoformat(fin),
        iban=IBAN,
    )


# Contract 2025-09-01 -> 2027-08-31, regime 2025, 7 900 € per year (40/30/20/10).
ECHEANCES = (
    ech(1, "AVANCE", 1, "3160.00", "2025-09-01", "2025-09-01", "2026-02-28"),
    ech(2, "M7", 1, "2370.00", "2026-03-01", "2026-03-01", "2026-05-31"),
    ech(3, "M10", 1, "1580.00", "2026-06-01", "2026-06-01", "2026-08-31"),
    ech(4, "SOLDE", 1, "790.00", "2026-09-01", "2025-09-01", "2026-08-31"),
    ech(5, "AVANCE", 2, "3160.00", "2026-09-01", "2026-09-01", "2027-02-28"),
    ech(6, "M7", 2, "2370.00", "2027-03-01", "2027-03-01", "2027-05-31"),
    ech(7, "M10", 2, "1580.00", "2027-06-01", "2027-06-01", "2027-08-31"),
    ech(8, "SOLDE", 2, "790.00", "2027-08-31", "2026-09-01", "2027-08-31"),
)
FRAIS = {
    "HEBERGEMENT": FraisEngage("HEBERGEMENT", 100, D("6.00"), D("600.00")),
    "RESTAURATION": FraisEngage("RESTAURATION", 200, D("3.00"), D("600.00")),
    "PREMIER_EQUIPEMENT": FraisEngage("PREMIER_EQUIPEMENT", 1, D("500.00"), D("500.00")),
}
DOSSIER = DossierVue(
    numero_interne="D-0001",
    numero_externe="EXT-0001",
    numero_deca="075202509000001",
    etat="ENGAGE",
    siret_cfa=SIRET,
    regime="2025",
    date_conclusion=date(2025, 8, 20),
    date_fin_contrat=date(2027, 8, 31),
    date_rupture=None,
    niveau=5,
    rqth=False,
    participation_employeur=D("0.00"),
    echeances=ECHEANCES,
    frais=FRAIS,
)


def dossier(**champs) -> DossierVue:
    return replace(DOSSIER, **champs)


def avec_echeance(numero: int, base: DossierVue = DOSSIER, **champs) -> DossierVue:
    """The dossier with échéance `numero` changed."""
    echeances = tuple(replace(e, **champs) if e.numero == numero else e for e in base.echeances)
    return replace(base, echeances=echeances)


def avec_frais(nature: str, base: DossierVue = DOSSIER, **champs) -> DossierVue:
    frais = dict(base.frais)
    if champs:
        frais[nature] = replace(frais.get(nature, FraisEngage(nature, 1, D(0), D(0))), **champs)
    else:
        del frais[nature]
    return replace(base, frais=frais)


def ligne(nature="PEDAGOGIE", montant="3160.00", *, index=0, echeance=1, quantite="1", **champs):
    valeurs = {
        "numero_dossier": "EXT-0001",
        "numero_deca": "075202509000001",
        "dossier": DOSSIER,
        "codification": None if echeance is None else f"E{echeance}",
        **champs,
    }
    quantite = None if quantite is None else D(quantite)
    return LigneVue(index, nature, D(montant), quantite, echeance, **valeurs)


def facture(*lignes: LigneVue, **champs) -> FactureVue:
    lignes = lignes or (ligne(),)
    valeurs = {
        "numero": "F-2025-001",
        "type_facture": "FACTURE",
        "date_emission": date(2025, 10, 15),
        "montant_total": sum((li.montant for li in lignes), D("0.00")),
        "iban_emetteur": IBAN,
        "siret_emetteur": SIRET,
        "siret_connu": True,
        "siren_cle": SIRET[:9],
        "deja_connue": False,
        **champs,
    }
    return FactureVue(lignes=lignes, **valeurs)


def avoir(*lignes: LigneVue, **champs) -> FactureVue:
    return facture(*lignes, **{"type_facture": "AVOIR", "iban_emetteur": None, **champs})


def violations(f: FactureVue, ctx: Contexte = CTX) -> list[tuple[str, str]]:
    return [(v.code, v.champ) for v in evaluer(f, ctx, Moment.FACTURATION) if v.code in CODES]


def champs(code: str, f: FactureVue, ctx: Contexte = CTX) -> list[str]:
    return [champ for c, champ in violations(f, ctx) if c == code]


def le(jour: str) -> Contexte:
    return replace(CTX, aujourdhui=date.fromisoformat(jour))


# --- catalogue and valid invoices ------------------------------------------------------------


def test_every_code_is_a_blocking_invoice_control():
    regles = {r.code: r for r in catalogue() if r.code in CODES}
    assert set(regles) == CODES
    assert {(r.moment, r.severite) for r in regles.values()} == {
        (Moment.FACTURATION, Severite.BLOQUANT)
    }
    assert all(r.resume and r.base and "{champ}" in r.message for r in regles.values())


def test_a_cerfa_has_no_invoice_to_check(cerfa):
    """`evaluer(cerfa, ctx)` without a moment (offline checker) runs the invoice rules too."""
    assert [v for r in catalogue() if r.code in CODES for v in r.appliquer(cerfa, CTX)] == []


def test_valid_first_advance_has_no_violation():
    assert violations(facture()) == []


def test_valid_invoice_with_frais_annexes_has_no_violation():
    f = facture(
        ligne(),
        ligne("HEBERGEMENT", "60.00", index=1, quantite="10"),
        ligne("RESTAURATION", "60.00", index=2, quantite="20"),
        ligne("PREMIEREQUIPEMENT", "500.00", index=3),
    )
    assert violations(f) == []


def test_valid_credit_note_has_no_violation_even_where_invoice_checks_would_fire():
    """AVOIR: no IBAN, paid / closed échéance after the rupture, frais and RQTH above caps."""
    d = avec_echeance(1, dossier(etat="RUPTURE", date_rupture=date(2025, 9, 20)))
    d = replace(avec_echeance(1, d, montant_regle=D("3160.00")), trop_percu=D("2000.00"))
    f = avoir(
        ligne("PEDAGOGIE", "1000.00", dossier=d),
        ligne("PEDAGOGIE", "500.00", index=1, echeance=2, dossier=d),
        ligne("HEBERGEMENT", "100.00", index=2, quantite="1", dossier=d),
        ligne("MOBILITE", "100.00", index=3, dossier=d),
        ligne("MAJORATION_RQTH", "100.00", index=4, dossier=d),
        ligne("PEDAGOGIE", "100.00", index=5, echeance=None, dossier=d),
    )
    assert violations(f) == []


# --- FAQ rejection reasons -------------------------------------------------------------------


def test_duplicate_invoice_number():
    assert champs("INV_DUPLICATE", facture(deja_connue=True)) == ["facture.numero"]
    assert champs("INV_DUPLICATE", avoir(deja_connue=True)) == ["facture.numero"]


@pytest.mark.parametrize(
    ("regle", "en_cours", "montant", "attendu"),
    [
        ("0.00", "3160.00", "3160.00", [f"{L0}.numeroEcheance"]),  # already invoiced
        ("0.00", "0.01", "3159.99", [f"{L0}.numeroEcheance"]),
        ("3160.00", "0.00", "3160.00", [f"{L0}.numeroEcheance"]),  # fully paid
        ("3159.99", "0.00", "0.01", []),  # one cent still to invoice
    ],
)
def test_duplicate_echeance(regle, en_cours, montant, attendu):
    d = avec_echeance(1, montant_regle=D(regle), montant_en_cours=D(en_cours))
    assert champs("INV_DUPLICATE", facture(ligne(montant=montant, dossier=d))) == attendu


def test_same_echeance_twice_in_one_invoice():
    f = facture(ligne(montant="3160.00"), ligne(montant="3160.00", index=1))
    assert champs("INV_DUPLICATE", f) == ["facture.lignes[1].numeroEcheance"]


def test_credit_note_on_a_paid_echeance_is_no_duplicate():
    d = avec_echeance(1, dossier(etat="RUPTURE", trop_percu=D("100")), montant_regle=D(3160))
    assert champs("INV_DUPLICATE", avoir(ligne(montant="100.00", dossier=d))) == []


@pytest.mark.parametrize(
    ("iban", "attendu"),
    [
        ("FR7630006000011234567890189", ["facture.ibanEmetteur"]),
        ("fr76 3000 4000 0100 0123 4567 830", []),  # same IBAN, other spelling
    ],
)
def test_iban_differs_from_the_echeance(iban, attendu):
    f = facture(ligne(), ligne("HEBERGEMENT", "6.00", index=1), iban_emetteur=iban)
    assert champs("INV_IBAN_MISMATCH", f) == attendu  # once per échéance


def test_echeance_without_iban_is_not_compared():
    f = facture(ligne(dossier=avec_echeance(1, iban=None)), iban_emetteur="FR76300060000112345")
    assert champs("INV_IBAN_MISMATCH", f) == []


@pytest.mark.parametrize(
    ("deja", "montants", "attendu"),
    [
        ("540.00", ["60.01"], [f"{L0}.montant"]),
        ("540.00", ["60.00"], []),
        ("0.00", ["300.00", "300.01"], ["facture.lignes[1].montant"]),  # running total
        ("0.00", ["300.00", "300.00"], []),
    ],
)
def test_frais_above_what_remains_engaged(deja, montants, attendu):
    d = avec_frais("HEBERGEMENT", deja_facture=D(deja))
    lignes = [
        ligne("HEBERGEMENT", m, index=i, quantite=None, dossier=d) for i, m in enumerate(montants)
    ]
    assert champs("INV_FRAIS_ANNEXES_EXCEEDED", facture(*lignes)) == attendu


@pytest.mark.parametrize("nature", ["PREMIEREQUIPEMENT", "MOBILITE"])
def test_frais_without_engagement(nature):
    sans = avec_frais("PREMIER_EQUIPEMENT") if nature == "PREMIEREQUIPEMENT" else DOSSIER
    engage = avec_frais(nature.replace("PREMIERE", "PREMIER_E"), montant_total=D("300.00"))
    f = facture(ligne(nature, "300.00", dossier=sans))
    assert champs("INV_FRAIS_ANNEXES_EXCEEDED", f) == [f"{L0}.montant"]
    assert (
        champs("INV_FRAIS_ANNEXES_EXCEEDED", facture(ligne(nature, "300.00", dossier=engage))) == []
    )


@pytest.mark.parametrize(
    ("iban", "attendu"),
    [
        (None, ["facture.ibanEmetteur"]),
        ("FR7630004000010001234567831", ["facture.ibanEmetteur"]),  # bad key
        (IBAN, []),
    ],
)
def test_iban_missing_or_invalid(iban, attendu):
    assert champs("INV_IBAN_MISSING", facture(iban_emetteur=iban)) == attendu
    assert champs("INV_IBAN_MISSING", avoir(iban_emetteur=iban)) == []


@pytest.mark.parametrize(
    ("regle", "montant", "attendu"),
    [
        ("0.00", "3160.01", [f"{L0}.montant"]),
        ("0.00", "3159.99", [f"{L0}.montant"]),
        ("0.00", "3160.00", []),
        ("1000.00", "2160.00", []),  # partly paid: the rest
        ("3160.00", "10.00", []),  # nothing left: INV_DUPLICATE reports it
    ],
)
def test_pedagogie_amount_is_what_remains(regle, montant, attendu):
    d = avec_echeance(1, montant_regle=D(regle))
    f = facture(ligne(montant=montant, dossier=d))
    assert champs("INV_ECHEANCE_AMOUNT_MISMATCH", f) == attendu


@pytest.mark.parametrize(("connu", "attendu"), [(False, ["facture.siretEmetteur"]), (True, [])])
def test_siret_unknown(connu, attendu):
    assert champs("INV_SIRET_UNKNOWN", facture(siret_connu=connu)) == attendu


@pytest.mark.parametrize(
    ("siret", "attendu"), [("91234567500025", ["facture.siretEmetteur"]), (SIRET, [])]
)
def test_siret_differs_from_the_dossier(siret, attendu):
    f = facture(ligne(), ligne("HEBERGEMENT", "6.00", index=1), siret_emetteur=siret)
    assert champs("INV_SIRET_MISMATCH", f) == attendu  # once per dossier


@pytest.mark.parametrize(
    ("numero", "attendu"),
    [(None, [f"{L0}.numeroDossier"]), ("  ", [f"{L0}.numeroDossier"]), ("EXT-0001", [])],
)
def test_dossier_number_missing(numero, attendu):
    f = facture(ligne(numero_dossier=numero, dossier=None if attendu else DOSSIER))
    assert champs("INV_DOSSIER_NUMBER_MISSING", f) == attendu
    assert champs("INV_DOSSIER_UNKNOWN", f) == []


@pytest.mark.parametrize(
    ("jour", "attendu"), [("2026-02-28", [f"{L0}.numeroEcheance"]), ("2026-03-01", [])]
)
def test_echeance_not_open(jour, attendu):
    f = facture(ligne(montant="2370.00", echeance=2))
    assert champs("INV_ECHEANCE_NOT_OPEN", f, le(jour)) == attendu


@pytest.mark.parametrize(
    ("nature", "prix", "quantite", "montant", "attendu"),
    [
        ("HEBERGEMENT", "6.00", "10", "60.01", [f"{L0}.montant"]),
        ("HEBERGEMENT", "6.00", "10", "60.00", []),
        ("RESTAURATION", "2.50", "20", "60.00", [f"{L0}.montant"]),  # engaged below the ceiling
        ("RESTAURATION", "2.50", "20", "50.00", []),
        ("RESTAURATION", "2.50", None, "60.00", []),  # no quantity: nothing to multiply
    ],
)
def test_unit_priced_amount(nature, prix, quantite, montant, attendu):
    d = avec_frais(nature, prix_unitaire=D(prix))
    f = facture(ligne(nature, montant, quantite=quantite, dossier=d))
    assert champs("INV_AMOUNT_MISMATCH", f) == attendu


@pytest.mark.parametrize(
    ("total", "attendu"), [("3160.01", ["facture.montantTotal"]), ("3160.00", [])]
)
def test_total_is_the_sum_of_lines(total, attendu):
    assert champs("INV_TOTAL_MISMATCH", facture(montant_total=D(total))) == attendu


@pytest.mark.parametrize(
    ("nature", "numero", "attendu"),
    [
        ("PEDAGOGIE", 9, [f"{L0}.numeroEcheance"]),
        ("PEDAGOGIE", 8, []),
        ("PEDAGOGIE", None, [f"{L0}.numeroEcheance"]),
        ("HEBERGEMENT", 9, [f"{L0}.numeroEcheance"]),
        ("HEBERGEMENT", None, []),
    ],
)
def test_echeance_unknown(nature, numero, attendu):
    f = facture(ligne(nature, "6.00", echeance=numero))
    assert champs("INV_ECHEANCE_UNKNOWN", f) == attendu


def test_echeance_of_an_unknown_dossier_is_not_reported_twice():
    f = facture(ligne(echeance=9, numero_dossier="EXT-9999", dossier=None))
    assert violations(f) == [("INV_DOSSIER_UNKNOWN", f"{L0}.numeroDossier")]


# --- rules.md 5.7 ----------------------------------------------------------------------------


@pytest.mark.parametrize(("resolu", "attendu"), [(None, [f"{L0}.numeroDossier"]), (DOSSIER, [])])
def test_dossier_unknown_for_this_cfa(resolu, attendu):
    f = facture(ligne(numero_dossier="EXT-9999", dossier=resolu))
    assert champs("INV_DOSSIER_UNKNOWN", f) == attendu


@pytest.mark.parametrize(
    ("etat", "type_facture", "attendu"),
    [
        ("EN_COURS_INSTRUCTION", "FACTURE", [f"{L0}.numeroDossier"]),
        ("SOLDE", "FACTURE", [f"{L0}.numeroDossier"]),
        ("ANNULE", "AVOIR", [f"{L0}.numeroDossier"]),
        ("ENGAGE", "FACTURE", []),
        ("RUPTURE", "FACTURE", []),
        ("SOLDE", "AVOIR", []),
    ],
)
def test_dossier_not_engaged(etat, type_facture, attendu):
    f = facture(ligne(dossier=dossier(etat=etat)), type_facture=type_facture)
    assert champs("INV_DOSSIER_NOT_ENGAGED", f) == attendu


@pytest.mark.parametrize(
    ("rupture", "attendu"), [("2026-02-28", [f"{L0}.numeroEcheance"]), ("2026-03-01", [])]
)
def test_echeance_starting_after_the_rupture(rupture, attendu):
    d = dossier(etat="RUPTURE", date_rupture=date.fromisoformat(rupture))
    f = facture(ligne(montant="2370.00", echeance=2, dossier=d))
    assert champs("INV_AFTER_RUPTURE", f, le("2026-03-10")) == attendu


@pytest.mark.parametrize(
    ("debut", "attendu"), [("2026-03-02", [f"{L0}.dateDebutPeriode"]), ("2026-03-01", [])]
)
def test_period_starting_after_the_rupture(debut, attendu):
    d = dossier(etat="RUPTURE", date_rupture=date(2026, 3, 1))
    periode = date.fromisoformat(debut)
    f = facture(ligne("HEBERGEMENT", "6.00", echeance=None, dossier=d, date_debut_periode=periode))
    assert champs("INV_AFTER_RUPTURE", f) == attendu


FIN = "2027-09-15"  # the final balance E8 is open
E8 = f"{L0}.numeroEcheance"


def solde(d: DossierVue = DOSSIER, numero: int = 8, montant: str = "790.00") -> FactureVue:
    return facture(ligne(montant=montant, echeance=numero, dossier=d))


@pytest.mark.parametrize(
    ("d", "numero", "attendu"),
    [
        (DOSSIER, 8, [E8]),
        (dossier(certificat_final=True), 8, []),
        (DOSSIER, 4, []),  # year-1 balance, paid with the year-2 advance
        (dossier(regime="2020"), 8, []),
    ],
)
def test_final_balance_needs_the_certificate(d, numero, attendu):
    assert champs("INV_BALANCE_NO_ATTESTATION", solde(d, numero), le(FIN)) == attendu


def test_final_balance_after_a_rupture_is_the_last_echeance_with_an_amount():
    d = dossier(etat="RUPTURE", date_rupture=date(2026, 8, 15))
    for numero in range(5, 9):
        d = avec_echeance(numero, d, montant_total=D("0.00"))
    assert champs("INV_BALANCE_NO_ATTESTATION", solde(d, 4), le("2026-09-15")) == [E8]
    d = avec_echeance(8, d, montant_total=D("1.00"))  # E4 is no longer the last
    assert champs("INV_BALANCE_NO_ATTESTATION", solde(d, 4), le("2026-09-15")) == []


@pytest.mark.parametrize(
    ("rupture", "numero", "jour", "attendu"),
    [
        (None, 8, "2028-01-01", [E8]),  # 4 months after 2027-08-31 is 2027-12-31
        (None, 8, "2027-12-31", []),
        ("2026-01-15", 1, "2026-05-16", [E8]),
        ("2026-01-15", 1, "2026-05-15", []),
    ],
)
def test_final_balance_late(rupture, numero, jour, attendu):
    d = dossier(certificat_final=True)
    if rupture:
        d = replace(d, etat="RUPTURE", date_rupture=date.fromisoformat(rupture))
        for n in range(2, 9):
            d = avec_echeance(n, d, montant_total=D("0.00"))
        d = avec_echeance(1, d, nature="SOLDE")  # the rupture year's balance
    assert champs("INV_BALANCE_LATE", solde(d, numero), le(jour)) == attendu


@pytest.mark.parametrize(
    ("niveau", "copie", "attendu"),
    [(6, False, [E8]), (7, False, [E8]), (5, False, []), (6, True, []), (None, False, [])],
)
def test_final_balance_needs_the_participation_copy(niveau, copie, attendu):
    d = dossier(niveau=niveau, copie_participation=copie, certificat_final=True)
    assert champs("INV_PARTICIPATION_COPY_MISSING", solde(d), le(FIN)) == attendu


@pytest.mark.parametrize(
    ("rqth", "deja", "numero", "montant", "attendu"),
    [
        (False, {}, 1, "100.00", [f"{L0}.montant"]),
        (True, {1: D("3500.00")}, 1, "500.01", [f"{L0}.montant"]),
        (True, {1: D("3500.00")}, 1, "500.00", []),
        (True, {1: D("4000.00")}, 5, "4000.00", []),  # year 2 has its own ceiling
        (True, {}, None, "4000.01", [f"{L0}.montant"]),  # year unknown: this invoice alone
    ],
)
def test_rqth_majoration_cap(rqth, deja, numero, montant, attendu):
    d = dossier(rqth=rqth, majoration_rqth_facturee=deja)
    f = facture(ligne("MAJORATION_RQTH", montant, echeance=numero, dossier=d))
    assert champs("FIN_RQTH_MAJORATION_CAP", f) == attendu


@pytest.mark.parametrize(
    ("nature", "quantite", "montant", "attendu"),
    [
        ("HEBERGEMENT", "10", "60.01", [f"{L0}.montant"]),
        ("HEBERGEMENT", "10", "60.00", []),
        ("RESTAURATION", "20", "60.01", [f"{L0}.montant"]),
        ("RESTAURATION", "20", "60.00", []),
        ("PREMIEREQUIPEMENT", "1", "100.01", [f"{L0}.montant"]),  # 400 € already invoiced
        ("PREMIEREQUIPEMENT", "1", "100.00", []),
        ("MOBILITE", "1", "300.00", [f"{L0}.montant"]),  # no mobility engaged
    ],
)
def test_frais_annexes_regulatory_ceilings(nature, quantite, montant, attendu):
    d = avec_frais("PREMIER_EQUIPEMENT", deja_facture=D("400.00"))
    f = facture(ligne(nature, montant, quantite=quantite, dossier=d))
    assert champs("FIN_FRAIS_ANNEXES_CAP", f) == attendu


def test_declared_mobility_is_within_the_ceilings():
    d = avec_frais("MOBILITE", montant_total=D("300.00"))
    assert champs("FIN_FRAIS_ANNEXES_CAP", facture(ligne("MOBILITE", "300.00", dossier=d))) == []


@pytest.mark.parametrize(
    ("montants", "attendu"),
    [
        (["197.27"], [f"{L0}.montant"]),
        (["197.26"], []),
        (["100.00", "97.27"], ["facture.lignes[1].montant"]),
        (["100.00", "97.26"], []),
    ],
)
def test_credit_note_exceeds_what_was_overpaid(montants, attendu):
    d = dossier(etat="RUPTURE", date_rupture=date(2026, 1, 15), trop_percu=D("197.26"))
    lignes = [ligne(montant=m, index=i, dossier=d) for i, m in enumerate(montants)]
    assert champs("INV_CREDIT_NOTE_EXCEEDS", avoir(*lignes)) == attendu
    assert champs("INV_CREDIT_NOTE_EXCEEDS", facture(*lignes)) == []


# --- properties ------------------------------------------------------------------------------

MONTANTS = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


@given(st.lists(MONTANTS, min_size=1, max_size=8), st.sampled_from([D("0.01"), D("-0.01")]))
def test_total_equal_to_the_sum_never_mismatches(montants, ecart):
    lignes = [ligne(montant=str(m), index=i) for i, m in enumerate(montants)]
    juste = facture(*lignes, montant_total=sum(montants, D("0.00")))
    assert champs("INV_TOTAL_MISMATCH", juste) == []
    faux = replace(juste, montant_total=juste.montant_total + ecart)
    assert champs("INV_TOTAL_MISMATCH", faux) == ["facture.montantTotal"]


@given(MONTANTS, MONTANTS, MONTANTS)
def test_pedagogie_line_equal_to_restant_never_mismatches(total, regle, en_cours):
    d = avec_echeance(1, montant_total=total, montant_regle=regle, montant_en_cours=en_cours)
    restant = d.echeance(1).restant
    assert (
        champs("INV_ECHEANCE_AMOUNT_MISMATCH", facture(ligne(montant=str(restant), dossier=d)))
        == []
    )
    attendu = [f"{L0}.montant"] if restant > 0 else []
    f = facture(ligne(montant=str(restant + D("0.01")), dossier=d))
    assert champs("INV_ECHEANCE_AMOUNT_MISMATCH", f) == attendu


@given(st.sampled_from([("HEBERGEMENT", D(6)), ("RESTAURATION", D(3))]), st.integers(1, 2000))
def test_frais_ceilings_are_exact(nature_prix, quantite):
    nature, prix = nature_prix
    au_plafond = facture(ligne(nature, str(prix * quantite), quantite=str(quantite)))
    assert champs("FIN_FRAIS_ANNEXES_CAP", au_plafond) == []
    dessus = facture(ligne(nature, str(prix * quantite + D("0.01")), quantite=str(quantite)))
    assert champs("FIN_FRAIS_ANNEXES_CAP", dessus) == [f"{L0}.montant"]
