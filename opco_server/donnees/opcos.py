"""The eleven OPCOs, read from fixtures/opcos.yaml: names, numbering formats, lifetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from opco_server.donnees import yamlfile


@dataclass(frozen=True)
class Dialecte:
    """How one OPCO differs from the strict norm (fixtures/opcos.yaml, `dialecte`)."""

    erreurs: str = "norme"  # norme | atlas | ep
    dossier_inconnu: int = 404
    non_proposees: frozenset[str] = frozenset()
    scopes: tuple[str, ...] | None = None  # None: any scope accepted
    dpop: bool = False
    forme_cle: str = "opaque"  # opaque | jwt (OPCO EP)
    # Error items of POST /v1/documents carry a capitalised `Description` (SOR OPCOs, norm.md E11).
    description_capitalisee_documents: bool = False

    @classmethod
    def depuis(cls, data: dict | None) -> Dialecte:
        data = data or {}
        flat: list[str] = []
        for item in data.get("non_proposees", []):
            flat.extend(item if isinstance(item, list) else [item])
        scopes = data.get("scopes")
        return cls(
            erreurs=data.get("erreurs", "norme"),
            dossier_inconnu=int(data.get("dossier_inconnu", 404)),
            non_proposees=frozenset(flat),
            scopes=tuple(scopes) if scopes is not None else None,
            dpop=bool(data.get("dpop", False)),
            forme_cle=data.get("forme_cle", "opaque"),
            description_capitalisee_documents=bool(
                data.get("description_capitalisee_documents", False)
            ),
        )


STRICT = Dialecte()


@dataclass(frozen=True)
class Opco:
    id: str
    nom: str
    siren: str
    systeme: str
    versions: tuple[str, ...]
    format_interne: str
    format_externe: str
    duree_cle_jours: int
    duree_jeton_secondes: int
    taille_page_etats: int
    # Per-OPCO severity overrides of rule codes ("bloquant" / "avertissement").
    severites: dict[str, str] = field(default_factory=dict)
    # Simulated back office delays.
    delai_debut_instruction: timedelta = timedelta(hours=24)
    delai_decision: timedelta = timedelta(hours=72)
    delai_refus_implicite: timedelta = timedelta(days=20)
    delai_paiement: timedelta = timedelta(days=10)
    dialecte: Dialecte = STRICT

    def numero_interne(self, seq: int, at: datetime) -> str:
        return self.format_interne.format(**_fields(seq, at))

    def numero_externe(self, seq: int, at: datetime) -> str:
        return self.format_externe.format(**_fields(seq, at))


def _fields(seq: int, at: datetime) -> dict[str, object]:
    return {"seq": seq, "yy": f"{at:%y}", "mm": f"{at:%m}", "yyyy": f"{at:%Y}"}


def _delais(config: dict) -> dict[str, timedelta]:
    return {
        "delai_debut_instruction": timedelta(hours=config.get("debut_heures", 24)),
        "delai_decision": timedelta(hours=config.get("decision_heures", 72)),
        "delai_refus_implicite": timedelta(days=config.get("refus_implicite_jours", 20)),
        "delai_paiement": timedelta(days=config.get("paiement_jours", 10)),
    }


class OpcoRegistry:
    """Read-only lookup of the OPCOs by id (lower-case, as in the URL prefix)."""

    def __init__(self, opcos: list[Opco]) -> None:
        self._by_id = {o.id: o for o in opcos}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __contains__(self, opco_id: object) -> bool:
        return opco_id in self._by_id

    def get(self, opco_id: str) -> Opco | None:
        return self._by_id.get(opco_id)

    def __getitem__(self, opco_id: str) -> Opco:
        return self._by_id[opco_id]

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    @classmethod
    def load(cls, path: Path, token_ttl_seconds: int | None = None) -> OpcoRegistry:
        data = yamlfile.lire(path)
        defaults = data["defauts"]
        opcos = []
        for item in data["opcos"]:
            opcos.append(
                Opco(
                    id=item["id"],
                    nom=item["nom"],
                    siren=item["siren"],
                    systeme=item["systeme"],
                    versions=tuple(item["versions"]),
                    format_interne=item["numerotation"]["interne"],
                    format_externe=item["numerotation"]["externe"],
                    duree_cle_jours=item.get("duree_cle_jours", defaults["duree_cle_jours"]),
                    duree_jeton_secondes=token_ttl_seconds
                    if token_ttl_seconds is not None
                    else item.get("duree_jeton_secondes", defaults["duree_jeton_secondes"]),
                    taille_page_etats=item.get("taille_page_etats", defaults["taille_page_etats"]),
                    severites=dict(item.get("severites") or {}),
                    **_delais({**defaults.get("instruction", {}), **item.get("instruction", {})}),
                    dialecte=Dialecte.depuis(item.get("dialecte")),
                )
            )
        return cls(opcos)
