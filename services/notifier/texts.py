"""What the messages say, in French (NO-2)."""

from __future__ import annotations

from typing import Any


def candidate_file_created(payload: dict[str, Any], public_url: str) -> tuple[str, str]:
    subject = "Votre dossier d'inscription à l'examen du code de la route"
    link = f"{public_url}/candidats/{payload['candidate_id']}/activation"
    civility = "Madame" if payload["civility"] == "MME" else "Monsieur"
    body = (
        f"Bonjour {civility} {payload['given_names']} {payload['birth_name']},\n\n"
        "Votre auto-école a créé votre dossier d'inscription à l'examen du code "
        f"de la route (NEPH {payload['neph']}).\n\n"
        "Pour vérifier les informations saisies et confirmer votre dossier, "
        f"cliquez sur ce lien :\n{link}\n\n"
        "Ce lien est valable 7 jours. Sans confirmation de votre part, le dossier "
        "sera supprimé.\n\n"
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
