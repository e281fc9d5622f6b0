"""`pmc timeline`'s search over logs kept in memory: what one reservation's
story holds, what the payment's adds, and what stays out (the cart's other
line's cancellation, its refund, its e-mails; the school's cart's later lines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from pmc.timeline import Entry
from pmc.timeline_search import gather

START = datetime(2026, 6, 1, 8, tzinfo=UTC)


class MemoryLog:
    """A service's log as `gather` reads it, from Entries."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.entries: list[Entry] = []
        self.versions: dict[UUID, int] = {}

    def event(self, aggregate: str, aggregate_id: UUID, kind: str, corr, **names):
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        at = START + timedelta(seconds=len(self.entries))
        one = Entry(
            self.service,
            len(self.entries) + 1,
            aggregate,
            aggregate_id,
            version,
            kind,
            at,
            corr,
            fields={},
            names={k: set(v) for k, v in names.items()},
        )
        self.entries.append(one)
        return one

    def naming(self, ids):
        return [e for e in self.entries if e.mentions(ids)]

    def aggregates(self, ids):
        return [e for e in self.entries if e.aggregate_id in ids]

    def correlated(self, correlation_ids):
        return [e for e in self.entries if e.correlation_id in correlation_ids]

    def first_events(self, ids):
        return [e for e in self.entries if e.aggregate_id in ids and e.version == 1]


def _two_lines_one_cancelled_each():
    booking, billing, notifier = (
        MemoryLog(s) for s in ("booking", "billing", "notifier")
    )
    mine, other, checkout, cart = uuid4(), uuid4(), uuid4(), uuid4()
    sequence, my_mail, other_mail = uuid4(), uuid4(), uuid4()
    # The credit notes' sequence, opened long before by another story; its
    # numbers are events of the invoices' class, which it inherits.
    billing.event("CreditNoteSequence", sequence, "Opened", "an-earlier-refund")
    booking.event("SchoolCart", cart, "Opened", "hold-1")
    booking.event("SchoolCart", cart, "LineAdded", "hold-1", reservation_id=[mine])
    booking.event("Reservation", mine, "Held", "hold-1", reservation_id=[mine])
    booking.event("SchoolCart", cart, "LineAdded", "hold-2", reservation_id=[other])
    booking.event("Reservation", other, "Held", "hold-2", reservation_id=[other])
    billing.event("Checkout", checkout, "Started", "pay", reservation_ids=[mine, other])
    invoices = uuid4()
    billing.event(
        "InvoiceSequence", invoices, "NumberIssued", "pay", checkout_id=[checkout]
    )
    for line in (mine, other):
        booking.event("Reservation", line, "Confirmed", "pay", checkout_id=[checkout])
    for line, mail, corr in (
        (mine, my_mail, "cancel-1"),
        (other, other_mail, "cancel-2"),
    ):
        booking.event("Reservation", line, "Cancelled", corr, checkout_id=[checkout])
        billing.event(
            "Refund",
            uuid4(),
            "Issued",
            corr,
            reservation_id=[line],
            checkout_id=[checkout],
        )
        billing.event(
            "InvoiceSequence", sequence, "NumberIssued", corr, checkout_id=[checkout]
        )
        notifier.event("Message", mail, "Queued", corr)
        notifier.event("Message", mail, "Sent", None)
    ids = {"mine": mine, "other": other, "checkout": checkout, "cart": cart}
    return [booking, billing, notifier], ids


def _kinds(story, aggregate_id: UUID) -> list[str]:
    return [e.event_type for e in story.entries() if e.aggregate_id == aggregate_id]


def test_a_reservations_story_holds_its_payment_and_what_its_requests_caused():
    logs, ids = _two_lines_one_cancelled_each()
    story = gather(logs, "reservation", ids["mine"])
    assert story.followed == {ids["checkout"]}
    assert _kinds(story, ids["mine"]) == ["Held", "Confirmed", "Cancelled"]
    # The other line: only its confirmation, under the payment both shared.
    assert _kinds(story, ids["other"]) == ["Confirmed"]
    kinds = [
        (e.aggregate_type, e.event_type, e.correlation_id) for e in story.entries()
    ]
    assert ("InvoiceSequence", "NumberIssued", "pay") in kinds
    assert [k for k in kinds if k[0] == "Refund"] == [("Refund", "Issued", "cancel-1")]
    # Named by its first event, read though no request of this story made it.
    assert ("CreditNoteSequence", "NumberIssued", "cancel-1") in kinds
    assert ("CreditNoteSequence", "Opened", "an-earlier-refund") not in kinds
    # Its cancellation e-mail, followed to its sending; not the other's.
    assert [k[1:] for k in kinds if k[0] == "Message"] == [
        ("Queued", "cancel-1"),
        ("Sent", None),
    ]
    # The cart, taken up by another hold later: only what this story did to it.
    assert _kinds(story, ids["cart"]) == ["Opened", "LineAdded"]
    times = [e.at for e in story.entries()]
    assert times == sorted(times)


def test_the_payments_story_holds_both_lines():
    logs, ids = _two_lines_one_cancelled_each()
    story = gather(logs, "checkout", ids["checkout"])
    assert story.followed == {ids["mine"], ids["other"]}
    for line in (ids["mine"], ids["other"]):
        assert _kinds(story, line) == ["Held", "Confirmed", "Cancelled"]
    refunds = [e for e in story.entries() if e.aggregate_type == "Refund"]
    assert len(refunds) == 2
    sent = [e for e in story.entries() if e.event_type == "Sent"]
    assert len(sent) == 2


def test_nothing_found_for_an_unknown_id():
    logs, _ = _two_lines_one_cancelled_each()
    assert gather(logs, "reservation", uuid4()).entries() == []
