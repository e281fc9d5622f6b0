"""What the messages say, in French (NO-2)."""

from __future__ import annotations

from typing import Any

from services.common.documents import euros


def _civility(payload: dict[str, Any]) -> str:
    return "Madame" if payload.get("civility") == "MME" else "Monsieur"


def _name(payload: dict[str, Any]) -> str:
    return f"{_civility(payload)} {payload['given_names']} {payload['birth_name']}"


def candidate_activation_email(
    payload: dict[str, Any], public_url: str
) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    link = (
        f"{public_url}/candidat/activation?dossier={payload['candidate_id']}"
        f"&jeton={payload['link_token']}"
    )
    body = (
        f"Bonjour {_name(payload)},\n\n"
        "Votre auto-école a créé votre dossier d'inscription à l'examen du code "
        f"de la route (NEPH {payload['neph']}).\n\n"
        "Pour vérifier les informations saisies et confirmer votre dossier, "
        f"cliquez sur ce lien :\n{link}\n\n"
        "Sans confirmation de votre part dans les 7 jours, le dossier sera "
        "supprimé.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def candidate_activation_letter(
    payload: dict[str, Any], public_url: str
) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    body = (
        f"{_name(payload)},\n\n"
        "Votre auto-école a créé votre dossier d'inscription à l'examen du code "
        "de la route.\n\n"
        f"Pour vérifier les informations saisies et confirmer votre dossier, "
        f"rendez-vous sur {public_url}/candidat/activation et saisissez :\n"
        f"  - votre NEPH : {payload['neph']}\n"
        f"  - votre code d'activation : {payload['code']}\n\n"
        "Sans confirmation de votre part dans les 7 jours, le dossier sera "
        "supprimé. Votre convocation et vos résultats vous seront envoyés par "
        "courrier.\n\n"
        "Passer mon code"
    )
    return subject, body


def candidate_refused(payload: dict[str, Any]) -> tuple[str, str]:
    subject = f"Dossier refusé par le candidat (NEPH {payload['neph']})"
    body = (
        "Bonjour,\n\n"
        f"Le candidat dont le NEPH est {payload['neph']} a refusé les informations "
        "de son dossier. Ce dossier ne peut plus être utilisé : vous devez créer "
        "un nouveau dossier avec les informations correctes.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def candidate_expired(payload: dict[str, Any]) -> tuple[str, str]:
    subject = f"Dossier supprimé faute d'activation (NEPH {payload['neph']})"
    body = (
        "Bonjour,\n\n"
        f"Le dossier du candidat dont le NEPH est {payload['neph']} n'a pas été "
        "activé dans les 7 jours. Il a été supprimé et les données personnelles "
        "du candidat ont été effacées. Vous pouvez créer un nouveau dossier.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def account_activation(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Activez votre compte Passer mon code"
    link = (
        f"{public_url}/activation?compte={payload['account_id']}"
        f"&jeton={payload['link_token']}"
    )
    body = (
        "Bonjour,\n\n"
        "Nous avons bien pris en compte la création de votre compte La Poste.\n\n"
        "Pour activer votre compte et accéder au site « Passer mon code », "
        f"cliquez sur ce lien :\n{link}\n\n"
        "Ce lien est valable 48h.\n\n"
        "Si vous n'avez pas demandé la création de ce compte, ignorez cet e-mail.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def password_reset(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Réinitialisation de votre mot de passe Passer mon code"
    link = (
        f"{public_url}/reinitialisation?compte={payload['account_id']}"
        f"&jeton={payload['link_token']}"
    )
    body = (
        "Bonjour,\n\n"
        "Pour obtenir votre nouveau mot de passe, cliquez sur ce lien :\n"
        f"{link}\n\n"
        "Pour des raisons de sécurité ce lien n'est utilisable que pendant "
        "2 heures.\n\n"
        "Si vous n'avez pas demandé de nouveau mot de passe, ignorez cet e-mail : "
        "votre mot de passe actuel reste valable.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def school_payment_confirmed(payload: dict[str, Any]) -> tuple[str, str]:
    seats = len(payload["reservation_ids"])
    subject = "Vos inscriptions sont confirmées"
    body = (
        "Bonjour,\n\n"
        "Merci d'avoir effectué vos inscriptions sur notre site, Celles-ci sont "
        "maintenant effectives.\n\n"
        f"Places payées : {seats} — montant : {euros(payload['amount_cents'])} TTC.\n"
        "Votre facture et les convocations de vos candidats sont disponibles dans "
        "votre espace client.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def convocation(payload: dict[str, Any], when: str) -> tuple[str, str]:
    subject = "Votre convocation à l'examen du code de la route"
    body = (
        f"Bonjour {payload['candidate_name']},\n\n"
        "Votre auto-école vous a inscrit(e) à l'examen du code de la route :\n"
        f"  - le {when}\n"
        f"  - au {payload['centre_name']}, {payload['centre_address']} "
        f"{payload['centre_city']}\n"
        f"  - NEPH : {payload['neph']}\n\n"
        "Présentez-vous 15 minutes avant l'heure avec une pièce d'identité en cours "
        "de validité et cette convocation (ci-jointe en PDF).\n\n"
        "Passer mon code\n"
    )
    return subject, body
