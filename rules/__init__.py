"""The OPCO's business rules: pure Python, no Flask, no SQLAlchemy, no I/O.

Importing this package registers every rule. Entry points: `evaluer`, `catalogue`.
"""

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
