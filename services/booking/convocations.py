"""What a convocation prints (NO-4), from a confirmed reservation or from the
event that confirmed it (both carry the same names) and its candidate, opened.
Booking adds what only it can: the verification code (under the platform's
secret) and the last day on which the school may still change or cancel the
seat (BO-6, BO-7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The rule lives in deadlines.py; re-exported here, where it was first.
from services.booking.deadlines import change_deadline
from services.common.documents import verification_code

__all__ = ["change_deadline", "convocation_fields"]


def convocation_fields(
    source: Any, who: Mapping[str, str], reservation_id: Any, secret: str
) -> dict:
    """The convocation's data; `source` is a Reservation or its Confirmed
    event, `who` its candidate as opened (services/booking/sealed.py)."""
    deadline = change_deadline(source.exam_starts_at, source.departement)
    return {
        "reservation_id": str(reservation_id),
        "candidate_name": who["candidate_name"],
        "birth_date": who["birth_date"] or None,
        "neph": who["neph"],
        "school_name": source.school_name or None,
        "centre_name": source.centre_name,
        "centre_address": source.centre_address,
        "centre_city": source.centre_city,
        "exam_starts_at": source.exam_starts_at.isoformat(),
        "change_deadline": deadline.isoformat() if deadline else None,
        "verification_code": verification_code(secret, reservation_id),
    }
