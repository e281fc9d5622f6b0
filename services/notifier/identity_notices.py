"""What a candidate's digital identity tells its owner (ID-7), by e-mail and
by SMS to a mobile: the post office code, the activation code, a request
ended with its reason, a locked identity. The online check goes by
registered e-letter, as La Poste's with AR24 (seeds 001, 003): a first letter
explains the procedure and gives the 3 digits to say in the video; once an
agent accepted it, the activation code comes by a second letter and by SMS,
not by ordinary e-mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.validation import is_french_mobile
from services.notifier.domain import EMAIL, REGISTERED_LETTER, SMS, Message

SIGNATURE = "\n\nPasser mon code\n"


def _until(payload: dict[str, Any]) -> str:
    expires = payload.get("expires_at")
    if isinstance(expires, datetime):
        expires = expires.isoformat()
    return when(expires) if expires else ""


def texts(payload: dict[str, Any]) -> tuple[str, str, str]:
    """The e-mail's subject and body, and the SMS."""
    notice, code = payload["notice"], payload.get("code")
    if notice == "code_bureau_de_poste":
        return (
            "Votre code pour le bureau de poste",
            "Bonjour,\n\nPour faire vérifier votre Identité Numérique, présentez "
            "votre pièce d'identité et ce code dans un bureau de poste avant le "
            f"{_until(payload)} : {code}" + SIGNATURE,
            f"Passer mon code : présentez votre pièce d'identité et le code {code} "
            f"au bureau de poste avant le {_until(payload)}.",
        )
    if notice == "procedure_en_ligne":
        return (
            "Vérification de votre identité en ligne",
            _online_procedure(payload),
            "",
        )
    if notice == "code_activation":
        return (
            "Votre code d'activation d'Identité Numérique",
            "Bonjour,\n\nVotre identité est vérifiée. Pour activer votre Identité "
            f"Numérique, saisissez ce code avant le {_until(payload)} : {code}\n\n"
            "Vous choisirez ensuite votre code secret à 4 chiffres." + SIGNATURE,
            f"Passer mon code : votre code d'activation d'Identité Numérique est "
            f"{code}. Ne le communiquez à personne.",
        )
    if notice == "demande_terminee":
        reason = payload.get("reason") or ""
        return (
            "Votre demande d'Identité Numérique est terminée",
            "Bonjour,\n\nVotre demande d'Identité Numérique est terminée.\n\n"
            f"Motif : {reason}\n\nVous pouvez faire une nouvelle demande "
            "depuis votre espace." + SIGNATURE,
            f"Passer mon code : votre demande d'Identité Numérique est terminée. "
            f"Motif : {reason}",
        )
    return (
        "Votre Identité Numérique est verrouillée",
        "Bonjour,\n\nVotre Identité Numérique est verrouillée après 5 codes "
        "secrets erronés. Si ce n'était pas vous, quelqu'un a essayé de se "
        "connecter à votre place. Faites une nouvelle demande depuis votre "
        "espace." + SIGNATURE,
        "Passer mon code : votre Identité Numérique est verrouillée après 5 "
        "codes secrets erronés.",
    )


def _online_procedure(payload: dict[str, Any]) -> str:
    digits = " ".join(payload.get("code") or "")
    return (
        "Bonjour,\n\nVous avez choisi de faire vérifier votre Identité Numérique "
        f"en ligne. Voici comment faire, avant le {_until(payload)} :\n\n"
        "1. Prenez en photo votre pièce d'identité en cours de validité, recto "
        "et verso.\n"
        "2. Filmez une courte vidéo de votre visage, votre pièce d'identité "
        f"devant vous, en prononçant ces trois chiffres : {digits}\n"
        "3. Envoyez les photos et la vidéo depuis votre espace candidat, "
        "rubrique « Identité Numérique ».\n\n"
        "Un agent examinera votre demande dans les 48 heures ouvrées (hors "
        "week-end). Vous recevrez ensuite votre code d'activation par lettre "
        "recommandée électronique et par SMS.\n\n"
        "Ne communiquez ces chiffres à personne." + SIGNATURE
    )


def _by_registered_letter(payload: dict[str, Any]) -> bool:
    """The online check's letters go registered, as the seeds describe."""
    notice = payload["notice"]
    return notice == "procedure_en_ligne" or (
        notice == "code_activation" and payload.get("mode") == "en_ligne"
    )


def messages(app: Any, event: Delivered) -> list[Message]:
    """The e-mail (or registered e-letter) and the SMS (to a mobile) one
    notice causes."""
    payload = event.payload
    account = payload["account_id"]
    subject, body, sms = texts(payload)
    channel = REGISTERED_LETTER if _by_registered_letter(payload) else EMAIL
    found: list[Message] = []
    if payload.get("email"):
        found.append(
            app.compose(
                event, channel, "compte", account, payload["email"], subject, body
            )
        )
    phone = payload.get("phone")
    if sms and phone and is_french_mobile(phone):
        found.append(app.compose(event, SMS, "compte", account, phone, "", sms))
    return found
