"""The OPCO's business rules: pure Python, no Flask, no SQLAlchemy, no I/O.

Importing this package registers every rule. Entry points: `evaluer`, `catalogue`.
"""

# Importing the rule modules registers their rules.
from rules import (  # noqa: F401
    age,
    calendrier,
    eligibilite,
    facturation,
    facturation_frais,
    facturation_solde,
    formats,
    identifiants,
    maitres,
    remuneration,
)
from rules.registry import (
    Contexte,
    Moment,
    Regle,
    Severite,
    Violation,
    catalogue,
    evaluer,
    regle,
)

__all__ = [
    "Contexte",
    "Moment",
    "Regle",
    "Severite",
    "Violation",
    "catalogue",
    "evaluer",
    "regle",
]
