"""The e-mail to a school when a seat freed on a full session is held in its
cart for a candidate it queued (EX-2): pay before the offer ends, or the seat
goes to the next in line."""

from __future__ import annotations

from typing import Any

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.notifier.domain import EMAIL


def seat_offered(payload: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    names = (contact.get("given_names"), contact.get("birth_name"))
    who = " ".join(n for n in names if n) or "votre candidat"
    exam = when(str(payload["exam_starts_at"]))
    subject = f"Une place s'est libérée : examen du {exam}"
    body = (
        "Bonjour,\n\n"
        f"Une place s'est libérée pour l'examen du {exam} au "
        f"{payload['centre_name']} ({payload['centre_city']}), sur lequel "
        f"{who} était en liste d'attente.\n\n"
        "Elle est réservée dans votre panier jusqu'au "
        f"{when(str(payload['expires_at']))} : payez-la avant cette heure, "
        "sinon elle sera proposée à l'auto-école suivante de la liste.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def tell_the_school(app: Any, event: Delivered, contact: dict[str, Any]) -> None:
    """One e-mail to the school, once (saved with the event's tracking)."""
    if not contact.get("school_email"):
        app.record_processed(event.tracking)  # nobody to tell
        return
    subject, body = seat_offered(event.payload, contact)
    school = school_subject(str(event.payload["school_id"]))
    app.queue(
        event, EMAIL, "auto-ecole", school, contact["school_email"], subject, body
    )
