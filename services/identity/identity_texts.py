"""What a digital identity tells its user (ID-7): why a request ends, and why
a step is not possible now (keyed by the identity's status)."""

from __future__ import annotations

# Why a request ends, in the words told to the user.
POST_OFFICE_MISSED = (
    "Le délai de 15 jours pour présenter votre pièce d'identité et votre code "
    "au bureau de poste est dépassé."
)
ONLINE_MISSED = (
    "Votre vérification en ligne n'a pas pu être examinée dans les 48 heures "
    "ouvrées : recommencez votre demande."
)
ONLINE_FILES_MISSED = (
    "Vous n'avez pas envoyé les photos de votre pièce et votre vidéo dans les "
    "15 jours suivant la lettre recommandée électronique : recommencez votre "
    "demande."
)
CARRIER_MISSED = "Le facteur n'a pas pu vérifier votre identité à la date choisie."

NOT_NOW = {
    "demandee": "Choisissez d'abord un mode de vérification.",
    "en_attente_fichiers": (
        "Envoyez d'abord les photos de votre pièce et votre vidéo, comme "
        "l'explique la lettre recommandée électronique reçue."
    ),
    "en_verification": "La vérification de votre identité est en cours.",
    "verifiee": "Votre identité est vérifiée : saisissez le code d'activation reçu.",
    "active": "Votre Identité Numérique est déjà active.",
    "verrouillee": "Votre Identité Numérique est verrouillée.",
    "terminee": "Cette demande est terminée : faites une nouvelle demande.",
}
