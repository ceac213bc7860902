"""SQLAlchemy 2 models, one module per aggregate; importing this registers them all."""

from opco_server.models.dossiers import CompteurCfa, Dossier, EvenementDossier, SequenceOpco
from opco_server.models.identites import CfaEnregistre, CleCfa, Editeur, EtablissementCfa, Jeton

__all__ = [
    "CfaEnregistre",
    "CleCfa",
    "CompteurCfa",
    "Dossier",
    "Editeur",
    "EtablissementCfa",
    "EvenementDossier",
    "Jeton",
    "SequenceOpco",
]
