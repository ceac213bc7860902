"""The duplicate key of the OPCO FAQ ("appairage"): one contract, one dossier."""

from __future__ import annotations

from rules.cerfa import CerfaVue
from rules.champs import normaliser_nom


def cle_doublon(cerfa: CerfaVue) -> str | None:
    """The matching key of the FAQ: apprentice names and birth date, employer SIRET, start.

    Names compare as normaliser_nom writes them (case, accents, hyphens and spacing left out),
    dates whatever their wire form (a date or a date-time of that day). Avenants (types 31-38)
    amend an existing contract: their key adds the type and effect date, so an avenant is not
    a duplicate of the contract it amends. None when a name or the SIRET is not text (never
    for a Cerfa the schema accepted).
    """
    nom, prenom, siret = cerfa.apprenti_nom, cerfa.apprenti_prenom, cerfa.siret_employeur
    if nom is None or prenom is None or siret is None:
        return None
    parts = [
        normaliser_nom(nom),
        normaliser_nom(prenom),
        str(cerfa.apprenti_date_naissance),
        siret,
        str(cerfa.date_debut_contrat),
    ]
    if cerfa.avenant:
        parts += [str(cerfa.type_contrat_app), str(cerfa.date_effet_avenant)]
    return "|".join(parts)
