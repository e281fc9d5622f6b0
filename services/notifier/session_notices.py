"""SC-2: the operator cancelled an exam session. For each paid reservation
in it (`ReservationCancelled` by the « centre d'examen »), the candidate (by
e-mail when they have an address) and the school are told, in one save; the
school's credit note follows with the refund (`RefundIssued`)."""

from __future__ import annotations

from typing import Any

from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.notifier import cancellation_texts
from services.notifier.domain import EMAIL, Message


def messages(app: Any, event: Delivered, contact: dict[str, Any]) -> list[Message]:
    """The candidate's e-mail and the school's, as the contact allows."""
    payload = event.payload
    found = []
    if contact.get("email"):
        subject, body = cancellation_texts.session_cancelled_to_candidate(payload)
        found.append(
            app.compose(
                event,
                EMAIL,
                "candidat",
                payload["candidate_id"],
                contact["email"],
                subject,
                body,
            )
        )
    if contact.get("school_email"):
        subject, body = cancellation_texts.session_cancelled_to_school(payload)
        found.append(
            app.compose(
                event,
                EMAIL,
                "auto-ecole",
                school_subject(payload["school_id"]),
                contact["school_email"],
                subject,
                body,
            )
        )
    return found
