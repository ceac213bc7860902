"""The referential: YAML fixtures, loader (opco_server.donnees.referentiel) and look-ups."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
import yaml
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from opco_server.donnees.referentiel import charger_referentiel, lire_fichiers
from rules.referentiel import Referentiel
from rules.registry import Moment
from tests.unit.rules.conftest_referentiel import REFERENTIEL, ROOT, contexte, nos_violations

DOSSIER = ROOT / "fixtures" / "referentiel"
FICHIERS = sorted(DOSSIER.glob("*.yaml"))
MAGIQUES = re.compile(r"^#\s+(99\d{12})\s")


def test_every_expected_file_is_shipped():
    assert {f.stem for f in FICHIERS} == {
        "smic",
        "grille_remuneration",
        "conventions_collectives",
        "certifications",
        "npec",
        "naf",
        "etablissements",
    }


@pytest.mark.parametrize("fichier", FICHIERS, ids=lambda f: f.stem)
def test_every_file_has_a_header(fichier):
    data = yaml.safe_load(fichier.read_text("utf-8"))
    assert data["source"]
    assert date.fromisoformat(str(data["valide_au"]))
    assert isinstance(data["version"], int)


def test_loader_reads_every_file():
    assert set(lire_fichiers(ROOT / "fixtures")) == {f.stem for f in FICHIERS}
    assert charger_referentiel(ROOT / "fixtures") == REFERENTIEL


@pytest.mark.parametrize(
    ("jour", "mayotte", "montant"),
    [
        (date(2023, 1, 1), False, "1709.28"),
        (date(2023, 4, 30), True, "1290.68"),
        (date(2023, 5, 1), False, "1747.20"),
        (date(2024, 1, 1), True, "1334.67"),
        (date(2024, 11, 1), False, "1801.80"),
        (date(2025, 6, 30), False, "1801.80"),  # no revaluation on 2025-01-01
        (date(2025, 12, 31), True, "1361.97"),
        (date(2026, 1, 1), False, "1823.03"),
        (date(2026, 1, 1), True, "1415.05"),
    ],
)
def test_smic_matches_rules_md(jour, mayotte, montant):
    assert REFERENTIEL.smic_au(jour, mayotte) == Decimal(montant)


def test_smic_before_the_history_is_unknown():
    assert REFERENTIEL.smic_au(date(2022, 12, 31)) is None


def test_smic_hourly_amounts_are_exact_decimals():
    (p,) = [p for p in REFERENTIEL.smic if p.debut == date(2026, 1, 1)]
    assert (p.horaire, p.horaire_mayotte) == (Decimal("12.02"), Decimal("9.33"))


@pytest.mark.parametrize(
    ("annee", "tranche", "taux"),
    [
        (1, "moins_18", "27"),
        (2, "moins_18", "39"),
        (3, "moins_18", "55"),
        (1, "18_20", "43"),
        (2, "18_20", "51"),
        (3, "18_20", "67"),
        (1, "21_25", "53"),
        (2, "21_25", "61"),
        (3, "21_25", "78"),
        (1, "26_plus", "100"),
        (4, "21_25", "78"),  # 4th year: 3rd-year rate
    ],
)
def test_grid_matches_d6222_26(annee, tranche, taux):
    assert REFERENTIEL.taux_minimal(annee, tranche) == Decimal(taux)


def test_naf_is_the_full_list_of_sub_classes():
    assert len(REFERENTIEL.naf) == 732
    assert {"5510Z", "1071C", "6202A", "4729Z", "4322A"} <= REFERENTIEL.naf
    assert all(re.fullmatch(r"\d{4}[A-Z]", c) for c in REFERENTIEL.naf)


def test_demo_identifiers_are_in_the_referential():
    demo = yaml.safe_load((ROOT / "fixtures" / "demo.yaml").read_text("utf-8"))
    for employeur in demo["employeurs"]:
        convention = REFERENTIEL.convention(employeur["codeIdcc"])
        assert convention is not None and convention.opco == employeur["opco"]
        assert employeur["naf"].replace(".", "") in REFERENTIEL.naf
        assert REFERENTIEL.etablissement(employeur["siret"]).etat == "actif"


def test_every_convention_maps_to_a_sandbox_opco():
    opcos = {
        o["id"] for o in yaml.safe_load((ROOT / "fixtures" / "opcos.yaml").read_text())["opcos"]
    }
    assert {c.opco for c in REFERENTIEL.conventions.values()} == opcos
    assert all(re.fullmatch(r"\d{4}", code) for code in REFERENTIEL.conventions)


def test_magic_sirets_are_luhn_valid_documented_and_not_demo_identifiers():
    texte = (DOSSIER / "etablissements.yaml").read_text("utf-8")
    documentes = {m[1] for ligne in texte.splitlines() if (m := MAGIQUES.match(ligne))}
    magiques = {s for s in REFERENTIEL.etablissements if s.startswith("99")}
    assert magiques == documentes and len(magiques) == 7
    assert all(stdnum_siret.is_valid(s) and luhn.is_valid(s[:9]) for s in magiques)
    demo = (ROOT / "fixtures" / "demo.yaml").read_text("utf-8") + (
        ROOT / "fixtures" / "opcos.yaml"
    ).read_text("utf-8")
    assert not any(s[:9] in demo for s in magiques)


def test_every_stub_siret_is_valid():
    assert all(stdnum_siret.is_valid(s) for s in REFERENTIEL.etablissements)


@pytest.mark.parametrize(
    ("siret", "attendu"),
    [
        ("99000001000019", {"ID_SIRET_CLOSED"}),
        ("99000002800011", {"ID_SIRET_UNKNOWN"}),
        ("99000003600014", {"ID_SIRET_NON_DIFFUSIBLE"}),
        ("99000004400018", {"ELIG_EMPLOYER_OPPOSITION"}),
    ],
)
def test_each_magic_employer_siret_triggers_exactly_its_effect(cerfa, siret, attendu):
    cerfa["employeur"]["siret"] = siret
    assert {v.code for v in nos_violations(cerfa, moment=Moment.INSTRUCTION)} == attendu


@pytest.mark.parametrize(
    ("siret", "attendu"),
    [
        ("99000005100013", {"ELIG_CFA_NOT_QUALIOPI"}),
        ("99000006900015", {"ELIG_CFA_NOT_HABILITATED"}),
    ],
)
def test_each_magic_cfa_siret_triggers_exactly_its_effect(cerfa, siret, attendu):
    cerfa["organismeFormation"]["siret"] = siret
    assert {v.code for v in nos_violations(cerfa)} == attendu


@pytest.mark.parametrize(
    ("rncp", "attendu"),
    [
        ("RNCP99999", {"ELIG_RNCP_UNKNOWN"}),
        ("RNCP99998", {"ELIG_RNCP_INACTIVE"}),
        ("RNCP99996", {"ELIG_RNCP_INACTIVE"}),
        ("RNCP99997", {"ELIG_RNCP_NOT_APPRENTICESHIP"}),
    ],
)
def test_each_magic_rncp_triggers_exactly_its_effect(cerfa, rncp, attendu):
    cerfa["formation"].update(rncp=rncp, codeDiplome="")
    codes = {v.code for v in nos_violations(cerfa, moment=Moment.INSTRUCTION)}
    assert codes == attendu


def test_certification_outside_the_sample_is_active_and_open():
    c = REFERENTIEL.certification("RNCP12345")
    assert c is not None
    assert (c.apprentissage, c.niveau, c.actif_du, c.actif_au, c.codes_diplome) == (
        True,
        None,
        None,
        None,
        (),
    )
    assert REFERENTIEL.certification("RNCP99999") is None


def test_idcc_look_ups():
    assert REFERENTIEL.idcc_connu("9999") and REFERENTIEL.idcc_connu("9998")
    assert REFERENTIEL.idcc_connu("2691")  # sample: outside it, accepted
    assert not REFERENTIEL.idcc_connu("0000")
    complet = Referentiel(idcc_liste_complete=True)
    assert not complet.idcc_connu("2691") and complet.idcc_connu("9999")


def test_npec_by_date_of_applicability():
    avant = REFERENTIEL.npec_au("RNCP38369", "1979", date(2024, 7, 14))
    apres = REFERENTIEL.npec_au("RNCP38369", "1979", date(2024, 7, 15))
    assert avant is not None and avant.montant == Decimal("8282.00")
    assert apres is not None and apres.montant == Decimal("7900.00")
    assert REFERENTIEL.npec_au("RNCP38369", "1979", date(2023, 1, 1)) is None
    assert REFERENTIEL.npec_au("RNCP38369", "1486", date(2026, 1, 1)) is None
    assert REFERENTIEL.valeur_amorcage == Decimal("4000.00")


def test_depuis_accepts_missing_files_and_yaml_floats():
    vide = Referentiel.depuis({})
    assert vide == Referentiel()
    assert vide.naf_connu("9999Z")  # no list loaded: nothing is unknown
    ref = Referentiel.depuis(
        {
            "smic": {
                "periodes": [
                    {
                        "debut": date(2026, 1, 1),
                        "horaire": 12.02,
                        "mensuel": 1823.03,
                        "horaire_mayotte": 9.33,
                        "mensuel_mayotte": 1415.05,
                    }
                ]
            },
            "conventions_collectives": {"conventions": {843: {"libelle": "x", "etat": "ABROGE"}}},
        }
    )
    assert ref.smic_au(date(2026, 2, 1)) == Decimal("1823.03")
    assert ref.convention("0843").opco is None


def test_empty_referential_keeps_the_demo_free_of_violations(cerfa):
    assert nos_violations(cerfa, contexte(Referentiel())) == []
