"""Whether a school may still pay by SEPA direct debit (BI-1).

A returned debit leaves the school's seats unpaid: until the back office has
settled it with the school (`pmc sepa-lift`), the school pays by card only, so
that it cannot hold seats again and again with debits that come back. A later
card payment does not lift it by itself: one card payment for one seat would
otherwise reopen SEPA for the whole next cart.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.billing.domain import CheckoutError

CARD_ONLY = (
    "Un prélèvement SEPA de votre auto-école a été rejeté par la banque : "
    "le paiement par prélèvement n'est plus possible tant que la situation "
    "n'est pas régularisée auprès de nos services. Vous pouvez payer par "
    "carte bancaire."
)


class SepaStanding(Aggregate):
    """A school's unresolved returned debits."""

    @staticmethod
    def create_id(school_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-sepa-standing:{school_id}")

    class Opened(Aggregate.Created):
        school_id: str

    @event(Opened)
    def __init__(self, school_id: str) -> None:
        self.school_id = school_id
        # Checkout ids of the returns not settled yet. A list: JSON snapshots.
        self.unresolved: list[str] = []

    class ReturnNoted(Aggregate.Event):
        checkout_id: str
        reason_code: str

    def note_return(self, checkout_id: UUID, reason_code: str) -> None:
        if str(checkout_id) not in self.unresolved:
            self._return_noted(checkout_id=str(checkout_id), reason_code=reason_code)

    @event(ReturnNoted)
    def _return_noted(self, checkout_id: str, reason_code: str) -> None:
        self.unresolved.append(checkout_id)

    class Lifted(Aggregate.Event):
        checkout_ids: list[str]
        lifted_at: datetime
        note: str

    def lift(self, at: datetime, note: str) -> list[str]:
        """The back office settled every return so far: SEPA again. What it
        lifted, empty if there was nothing to lift (and nothing is written)."""
        settled = list(self.unresolved)
        if settled:
            self._lifted(checkout_ids=settled, lifted_at=at, note=note)
        return settled

    @event(Lifted)
    def _lifted(self, checkout_ids: list[str], lifted_at: datetime, note: str) -> None:
        self.unresolved = [c for c in self.unresolved if c not in checkout_ids]

    def check_sepa_allowed(self) -> None:
        if self.unresolved:
            raise CheckoutError(CARD_ONLY)
