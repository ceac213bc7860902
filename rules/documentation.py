"""`python -m rules.documentation` renders the rule catalogue (docs/regles.md) from the registry."""

from __future__ import annotations

import rules
from rules.registry import Moment, Regle

_MOMENTS = {
    Moment.TRANSMISSION: "Transmission — contrôles synchrones de `POST /dossiers` (réponse 400)",
    Moment.INSTRUCTION: "Instruction — vérifications de l'OPCO à l'instruction (refus motivé)",
    Moment.FACTURATION: "Facturation — contrôles de `POST /v1/factures` (réponse 400)",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(regles: list[Regle] | None = None) -> str:
    regles = regles if regles is not None else rules.catalogue()
    lines = [
        "# Catalogue des règles métier",
        "",
        "Généré depuis le registre `rules/` par `python -m rules.documentation > docs/regles.md` ;",
        "un test échoue si ce fichier n'est plus à jour. Les codes sont stables : un code publié",
        "n'est jamais réutilisé. Sévérité : **bloquant** = refus (400 à la transmission, état",
        "`REFUSE` à l'instruction) ; **avertissement** = accepté, signalé dans `commentaireEtat`.",
        "Certains OPCO changent la sévérité d'un code (`severites` dans `fixtures/opcos.yaml`).",
        "",
        f"{len(regles)} règles.",
    ]
    for moment, titre in _MOMENTS.items():
        selection = [r for r in regles if r.moment == moment]
        lines += ["", f"## {titre}", "", "| Code | Sévérité | Règle | Base |", "|---|---|---|---|"]
        lines += [
            f"| `{r.code}` | {r.severite.value} | {_cell(r.resume)} | {_cell(r.base)} |"
            for r in selection
        ]
    assouplies = [r for r in regles if r.assouplissement]
    if assouplies:
        lines += [
            "",
            "## Règles assouplies",
            "",
            "Ce que les OPCO acceptent en production l'emporte sur une lecture plus stricte des",
            "textes : ces règles ont été adoucies (avertissement, ou contrôle renvoyé à",
            "l'instruction) et voici pourquoi.",
            "",
            "| Code | Sévérité | Moment | Pourquoi |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{r.code}` | {r.severite.value} | {r.moment.value} | {_cell(r.assouplissement)} |"
            for r in assouplies
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
