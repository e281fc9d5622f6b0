"""A payment confirmed after its line had left the cart (the hold expired, or
the school removed or moved it, in the meantime): booking gives the seat to
nobody and has it refunded (`ReservationCancelled` by the « plateforme »).
The school is told why; the candidate, who never had that seat, is not. The
credit note follows with the refund (`RefundIssued`)."""

from __future__ import annotations

from typing import Any

from services.common.documents import euros, when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.notifier.cancellation_texts import HOW_REFUNDED
from services.notifier.domain import EMAIL, Message

# `ReservationCancelled.cancelled_by` for a payment given back by the platform.
BY_PLATFORM = "plateforme"


def to_school(payload: dict[str, Any]) -> tuple[str, str]:
    """Why a seat the school paid for is not booked, and that it is refunded."""
    exam = when(str(payload["exam_starts_at"]))
    refund = payload.get("refund_cents")
    amount = f" ({euros(refund)})" if refund else ""
    subject = f"Place non réservée, paiement remboursé : examen du {exam}"
    body = (
        "Bonjour,\n\n"
        f"Votre paiement est arrivé après la libération de la place réservée "
        f"pour l'examen du {exam} au {payload['centre_name']} "
        f"({payload['centre_city']}) : la place n'était plus dans votre panier "
        f"(réservation n° {payload['reservation_id']}). Elle n'est donc pas "
        "réservée pour votre candidat.\n\n"
        f"Ce paiement vous est remboursé en totalité{amount} ; la "
        f"{HOW_REFUNDED} Vous pouvez réserver une autre place depuis votre "
        "espace.\n\n"
        "Passer mon code\n"
    )
    return subject, body


def messages(app: Any, event: Delivered, contact: dict[str, Any]) -> list[Message]:
    """The school's e-mail, when its address is known."""
    if not contact.get("school_email"):
        return []
    subject, body = to_school(event.payload)
    return [
        app.compose(
            event,
            EMAIL,
            "auto-ecole",
            school_subject(event.payload["school_id"]),
            contact["school_email"],
            subject,
            body,
        )
    ]
