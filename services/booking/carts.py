"""A school's cart, as booking counts it: the unpaid holds it has at once.

Counted in an aggregate of its own, changed in the same commit as each hold,
release and payment, so that the cap on a school's holds (issue 12) meets one
version check: two replicas, or two clicks at once, never pass it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.booking.rules import cart_full
from services.booking.seats import CopiedCheaply


class SchoolCart(CopiedCheaply, Aggregate):
    """The reservations a school holds unpaid, each with when it expires."""

    @staticmethod
    def create_id(school_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-cart:{school_id}")

    class Opened(Aggregate.Created):
        school_id: str

    @event(Opened)
    def __init__(self, id: UUID, school_id: str) -> None:
        self.school_id = school_id
        # Reservation id → when it expires (ISO). A dict of strings: snapshots
        # are JSON.
        self.lines: dict[str, str] = {}

    @classmethod
    def of(cls, school_id: str) -> SchoolCart:
        """A school's first cart."""
        return cls(id=cls.create_id(school_id), school_id=school_id)

    def unpaid(self, now: datetime) -> int:
        """The lines that still hold a seat: one past its deadline is freed by
        the next sweep (a few seconds), and no longer counts."""
        return sum(
            1 for ends in self.lines.values() if datetime.fromisoformat(ends) > now
        )

    class LineAdded(Aggregate.Event):
        reservation_id: UUID
        expires_at: datetime

    def add(
        self, reservation_id: UUID, expires_at: datetime, now: datetime, cap: int
    ) -> None:
        if self.unpaid(now) >= cap:
            raise cart_full(cap)
        self._line_added(reservation_id=reservation_id, expires_at=expires_at)

    @event(LineAdded)
    def _line_added(self, reservation_id: UUID, expires_at: datetime) -> None:
        self.lines[str(reservation_id)] = expires_at.isoformat()

    class LineLeft(Aggregate.Event):
        reservation_id: UUID

    def remove(self, reservation_id: UUID) -> None:
        """The line was paid, removed, moved or expired (nothing if the cart
        never counted it: held before carts were)."""
        if str(reservation_id) in self.lines:
            self._line_left(reservation_id=reservation_id)

    @event(LineLeft)
    def _line_left(self, reservation_id: UUID) -> None:
        self.lines.pop(str(reservation_id), None)
