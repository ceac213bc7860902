"""SQLAlchemy 2 models, one module per aggregate; importing this registers them all."""

from opco_server.models.acces import EchecConnexion, SessionConsole
from opco_server.models.dossiers import CompteurCfa, Dossier, EvenementDossier, SequenceOpco
from opco_server.models.factures import Certificat, DocumentLie, Facture, LigneFacture
from opco_server.models.identites import (
    CfaEnregistre,
    CleCfa,
    Editeur,
    EtablissementCfa,
    RevocationJetons,
)
from opco_server.models.journal import EntreeJournal
from opco_server.models.pieces import Convention, Echeance, Fichier, FraisAnnexeEngage
from opco_server.models.simulation import EtatHorloge, EtatPartage, JtiDPoP, Panne, Parametre

__all__ = [
    "Certificat",
    "CfaEnregistre",
    "CleCfa",
    "CompteurCfa",
    "Convention",
    "DocumentLie",
    "Dossier",
    "Echeance",
    "EchecConnexion",
    "Editeur",
    "EntreeJournal",
    "EtablissementCfa",
    "EtatHorloge",
    "EtatPartage",
    "EvenementDossier",
    "Facture",
    "Fichier",
    "FraisAnnexeEngage",
    "JtiDPoP",
    "LigneFacture",
    "Panne",
    "Parametre",
    "RevocationJetons",
    "SequenceOpco",
    "SessionConsole",
]
