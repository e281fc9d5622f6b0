"""RE-2: a released result (`ResultPublished`) told to the school by e-mail
(the candidate's name and outcome), and to the candidate with the result
document: attached to an e-mail or, without e-mail, enclosed in a letter
(the print queue), as convocations are (NO-4); both say where the candidate
finds it again: their space, /candidat/espace.

Each event's messages are queued together with its tracking: a result
delivered again (a lost acknowledgement, a restart) is told once. A result
released with nothing readable (its candidate erased before the release) is
told to nobody: there is nobody left to write about."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.common.documents import EXAM_NAME, PASSED, short_date, when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.notifier import texts
from services.notifier.domain import EMAIL, LETTER, Message

RESULT_ENCLOSED = (
    "Le document de votre résultat est joint à ce courrier (page suivante) : "
    "conservez-le."
)
RESULT_ATTACHED = "Le document de votre résultat est joint à ce message (PDF)."
# Where the candidate finds it again: their space (RE-2), which asks them to
# sign in; the link carries no secret.
SPACE = "/candidat/espace"
# What the result document prints (services/common/documents.py).
DOCUMENT = (
    "reservation_id",
    "candidate_name",
    "birth_date",
    "neph",
    "centre_name",
    "centre_city",
    "exam_starts_at",
    "score",
    "outcome",
    "valid_until",
)


def result_document(payload: dict[str, Any]) -> dict[str, Any]:
    """The result document's data: texts, the score a number (or None)."""
    data = {k: payload.get(k) for k in DOCUMENT}
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif value is not None and key != "score":
            data[key] = str(value)
    return data


def _exam(payload: dict[str, Any]) -> str:
    starts = payload["exam_starts_at"]
    return when(starts.isoformat() if isinstance(starts, datetime) else str(starts))


def _verdict(payload: dict[str, Any]) -> str:
    """« admis (37/40), valable jusqu'au 07/12/2031 », « absent »…"""
    text = str(payload["outcome"])
    if payload.get("score") is not None:
        text += f" ({payload['score']}/40)"
    if payload["outcome"] == PASSED and payload.get("valid_until"):
        text += f", valable jusqu'au {short_date(payload['valid_until'])}"
    return text


def to_the_school(payload: dict[str, Any]) -> tuple[str, str]:
    name = payload["candidate_name"]
    subject = f"Résultat à l'examen du code de la route : {name}"
    body = (
        "Bonjour,\n\n"
        f"Le résultat de {name} (NEPH {payload.get('neph') or ''}) à l'examen "
        f"du code de la route du {_exam(payload)}, au {payload['centre_name']} "
        f"({payload['centre_city']}), est publié :\n"
        f"  {_verdict(payload)}\n\n"
        "Vous le retrouvez, avec son document en PDF, dans votre Espace client, "
        "rubrique Résultats.\n"
        f"{texts.SIGNATURE}"
    )
    return subject, body


def in_the_space(public_url: str) -> str:
    """Where the result can be seen again, with the candidate's account."""
    return (
        "Vous pouvez aussi consulter votre résultat et le télécharger dans votre "
        f"espace candidat, si vous avez créé un compte : {public_url}{SPACE}"
    )


def to_the_candidate(
    payload: dict[str, Any], sentence: str, public_url: str
) -> tuple[str, str]:
    subject = "Votre résultat à l'examen du code de la route"
    body = (
        f"Bonjour {payload['candidate_name']},\n\n"
        f"Voici votre résultat à l'examen du code de la route, {EXAM_NAME}, "
        f"du {_exam(payload)} au {payload['centre_name']} "
        f"({payload['centre_city']}) :\n"
        f"  {_verdict(payload)}\n\n"
        f"{sentence}\n\n"
        f"{in_the_space(public_url)}\n"
        f"{texts.SIGNATURE}"
    )
    return subject, body


def messages(app: Any, event: Delivered, contact: dict[str, Any]) -> list[Message]:
    """The school's e-mail and the candidate's e-mail or letter; none when
    nothing of the result can be read."""
    payload = event.payload
    if not payload.get("candidate_name") or not payload.get("outcome"):
        return []
    told: list[Message] = []
    if contact.get("school_email"):
        subject, body = to_the_school(payload)
        school = school_subject(str(payload["school_id"]))
        told.append(
            app.compose(
                event,
                EMAIL,
                "auto-ecole",
                school,
                contact["school_email"],
                subject,
                body,
            )
        )
    candidate = payload["candidate_id"]
    document = ("result", result_document(payload))
    url = app.settings.public_url
    if contact.get("email"):
        subject, body = to_the_candidate(payload, RESULT_ATTACHED, url)
        told.append(
            app.compose(
                event,
                EMAIL,
                "candidat",
                candidate,
                contact["email"],
                subject,
                body,
                document,
            )
        )
    elif contact.get("address"):
        subject, body = to_the_candidate(payload, RESULT_ENCLOSED, url)
        recipient = {"name": payload["candidate_name"], **contact["address"]}
        told.append(
            app.compose(
                event, LETTER, "candidat", candidate, recipient, subject, body, document
            )
        )
    return told
