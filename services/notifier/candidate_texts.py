"""What candidates' accounts' messages say (ID-6): the codes that prove the
e-mail address (by e-mail) and the phone (by SMS)."""

from __future__ import annotations

from typing import Any


def code_email(payload: dict[str, Any]) -> tuple[str, str]:
    subject = "Votre code de vérification"
    body = (
        "Bonjour,\n\n"
        "Pour vérifier l'adresse e-mail de votre compte personnel Passer mon "
        f"code, saisissez ce code : {payload['code']}\n\n"
        "Il est valable 15 minutes.\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def code_sms(payload: dict[str, Any]) -> str:
    return (
        f"Passer mon code : votre code de vérification est {payload['code']}. "
        "Il est valable 15 minutes. Ne le communiquez à personne."
    )
