"""The console's Jinja filters: dates, instants, amounts and states the French way."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import flask

from rules.cycle_de_vie import Etat

ETATS = [e.value for e in Etat]
LIBELLES_ETATS = {
    "TRANSMIS": "Transmis",
    "EN_COURS_INSTRUCTION": "En cours d'instruction",
    "ENGAGE": "Engagé",
    "REFUSE": "Refusé",
    "ANNULE": "Annulé",
    "RUPTURE": "Rupture",
    "SOLDE": "Soldé",
}


def date_fr(value: date | datetime | str | None) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value:%d/%m/%Y}"


def instant_fr(value: datetime | str | None) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(UTC):%d/%m/%Y %H:%M:%S} UTC"


def montant_fr(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    texte = f"{Decimal(str(value)):,.2f}".replace(",", " ").replace(".", ",")
    return f"{texte} €"


def etat_fr(value: str | None) -> str:
    return LIBELLES_ETATS.get(value or "", value or "—")


def json_lisible(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


FILTRES = {
    "console_date": date_fr,
    "console_instant": instant_fr,
    "console_montant": montant_fr,
    "console_etat": etat_fr,
    "console_json": json_lisible,
}


def installer(bp: flask.Blueprint) -> None:
    for nom, filtre in FILTRES.items():
        bp.add_app_template_filter(filtre, nom)
