"""The candidate's reminder two days before the exam (EX-3), from booking's
`ReminderDue` (ids and the exam; who the candidate is and how to reach them
asked of candidates, as for the convocation).

By e-mail only. A candidate without e-mail is not written to again: a letter
posted two days before the exam would reach them on the day at best, and the
letter they received at confirmation holds their convocation already.
A reminder whose exam has passed by the time it is read (a long outage) is
not sent: it would remind of nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.common.documents import EXAM_NAME, when
from services.common.envelope import Delivered
from services.notifier.domain import EMAIL


def _starts_at(payload: dict[str, Any]) -> datetime:
    starts = payload["exam_starts_at"]
    return starts if isinstance(starts, datetime) else datetime.fromisoformat(starts)


def exam_reminder(payload: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    names = (contact.get("given_names"), contact.get("birth_name"))
    who = " ".join(n for n in names if n)
    exam = when(_starts_at(payload).isoformat())
    subject = f"Rappel : votre examen du code de la route le {exam}"
    body = (
        f"Bonjour{' ' + who if who else ''},\n\n"
        "Nous vous rappelons votre examen du code de la route, "
        f"{EXAM_NAME} :\n"
        f"  - le {exam}\n"
        f"  - au {payload['centre_name']}, {payload['centre_address']} "
        f"{payload['centre_city']}\n\n"
        "Présentez-vous 15 minutes avant l'heure avec une pièce d'identité en "
        "cours de validité et votre convocation, imprimée ou sur votre "
        "téléphone.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def remind(app: Any, event: Delivered, contact: dict[str, Any]) -> None:
    """One e-mail to the candidate, once (saved with the event's tracking);
    nothing when they have no e-mail or the exam has passed."""
    payload = event.payload
    if not contact.get("email") or _starts_at(payload) <= app.clock.now():
        app.record_processed(event.tracking)
        return
    subject, body = exam_reminder(payload, contact)
    candidate = payload["candidate_id"]
    app.queue(event, EMAIL, "candidat", candidate, contact["email"], subject, body)
