"""`pmc timeline` (OP-1): one reservation's, candidate's or payment's story
across every service, oldest event first, joined by ids and by correlation ids.

What concerns the subject, in three bounded steps (pmc/timeline_search.py
reads the logs):
1. its own events, and every event of every service that names its id; an
   aggregate whose first event names it (a checkout of the reservation, its
   refund, its convocation) with all its events;
2. one hop through the ids those events name that belong to the same story
   (FOLLOWED: a reservation's checkout, a checkout's reservations, a
   candidate's reservations and checkouts): the same search for those ids,
   leaving out what is about reservations of other stories (the cart's other
   line and its refund);
3. every event of every service saved under the correlation id of one of the
   events found (what each request and each message caused: the cancellation
   e-mails, which name no reservation), not followed further, except to the
   end of an aggregate such a request created that no other request took up
   since (a message and its sending, which runs under no request's id).
In steps 2 and 3, an aggregate that is about another reservation is left out
(the cart's other line's refund, its convocation's sending): it shows only
through the requests both shared (the payment confirming the cart's lines).
At most CORRELATION_CAP (pmc/timeline_search.py) events of one correlation id
are taken: more would be a batch job's, not a request's.

This module is the pure part: which ids an event names, which events are kept,
and how a line is written. Only safe fields are shown (pmc/event_rows.py's
choice: ids, numbers, times, statuses); personal data stays sealed and is never
opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from pmc.event_rows import exported_fields
from services.booking.rules import PARIS

# Each subject: its name, "of it" and "for it" in French.
SUBJECTS = {
    "reservation": ("réservation", "de la réservation", "pour cette réservation"),
    "candidate": ("candidat", "du candidat", "pour ce candidat"),
    "checkout": ("paiement", "du paiement", "pour ce paiement"),
}

# The fields through which the hop goes, by subject: ids of the same story.
FOLLOWED: dict[str, tuple[str, ...]] = {
    "reservation": ("checkout_id",),
    "checkout": ("reservation_id", "reservation_ids"),
    "candidate": ("reservation_id", "reservation_ids", "checkout_id"),
}

# Fields that name reservations, and the aggregates whose id is a reservation's.
RESERVATION_FIELDS = ("reservation_id", "reservation_ids")
RESERVATION_AGGREGATES = ("Reservation", "ExamResult")

# The few fields a line shows, when the event has them (safe ones only).
LINE_FIELDS = (
    "status",
    "amount_cents",
    "price_cents",
    "refund_cents",
    "method",
    "channel",
    "invoice_number",
    "credit_note_number",
    "number",
    "reason_code",
    "outcome",
    "cancelled_by",
    "changed_by",
    "refunded_by",
    "sent_by",
)
# Texts shown though event_rows leaves texts out: numbers of documents.
SAFE_TEXTS = ("credit_note_number",)


def as_uuid(value: Any) -> UUID | None:
    """A UUID, or a text spelling one as str(uuid) does; None otherwise."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str) and len(value) == 36:
        try:
            found = UUID(value)
        except ValueError:
            return None
        return found if str(found) == value.lower() else None
    return None


def named_ids(fields: Mapping[str, Any]) -> dict[str, set[UUID]]:
    """The ids an event's fields name, by field (lists of ids included)."""
    named: dict[str, set[UUID]] = {}
    for name, value in fields.items():
        values = value if isinstance(value, list | tuple) else [value]
        ids = {found for v in values if (found := as_uuid(v)) is not None}
        if ids:
            named[name] = ids
    return named


def search_patterns(ids: Iterable[UUID]) -> list[bytes]:
    """What an id looks like inside a stored event's JSON state: a UUID field
    as its hex digits, a text field as its usual spelling."""
    patterns = []
    for one in sorted(ids):
        patterns += [one.hex.encode(), str(one).encode()]
    return patterns


def correlation_pattern(correlation_id: str) -> bytes:
    """How the store writes a correlation id beside an event's fields
    (services/common/store.py, eventsourcing's compact JSON)."""
    from services.common.store import CORRELATION_KEY

    return f"{json.dumps(CORRELATION_KEY)}:{json.dumps(correlation_id)}".encode()


@dataclass(frozen=True)
class Entry:
    """One stored event as the timeline shows it."""

    service: str
    position: int
    aggregate_type: str
    aggregate_id: UUID
    version: int
    event_type: str
    at: datetime
    correlation_id: str | None
    fields: dict[str, Any] = field(compare=False)
    # Every id its fields name (not shown: what the search follows).
    names: dict[str, set[UUID]] = field(compare=False, default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return self.service, self.position

    def mentions(self, ids: set[UUID]) -> bool:
        return self.aggregate_id in ids or any(v & ids for v in self.names.values())

    def reservations(self) -> set[UUID]:
        """The reservations this event is about, as far as it says."""
        found = set().union(*(self.names.get(f, set()) for f in RESERVATION_FIELDS))
        if self.aggregate_type in RESERVATION_AGGREGATES:
            found.add(self.aggregate_id)
        return found


def entry(service: str, position: int, event: Any, correlation_id: str | None) -> Entry:
    """A decoded domain event as an Entry: its safe fields only."""
    qualname = type(event).__qualname__
    aggregate_type, _, event_type = qualname.rpartition(".")
    own = {
        k: v
        for k, v in vars(event).items()
        if not k.startswith(("_", "originator_")) and k != "timestamp"
    }
    fields = exported_fields(own)
    for name in SAFE_TEXTS:
        if isinstance(own.get(name), str):
            fields[name] = own[name]
    return Entry(
        service=service,
        position=position,
        aggregate_type=aggregate_type or qualname,
        aggregate_id=event.originator_id,
        version=event.originator_version,
        event_type=event_type,
        at=event.timestamp,
        correlation_id=correlation_id,
        fields=fields,
        names=named_ids(own),
    )


def followed_ids(entries: Iterable[Entry], subject: str) -> set[UUID]:
    """The ids the hop goes through, from these events' FOLLOWED fields."""
    found: set[UUID] = set()
    for one in entries:
        for name in FOLLOWED[subject]:
            found |= one.names.get(name, set())
    return found


def of_story(one: Entry, reservations: set[UUID]) -> bool:
    """Whether an event found through a hop belongs to the story: it names no
    reservation, or one of the story's (not the cart's other line)."""
    named = one.reservations()
    return not named or bool(named & reservations)


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    """Oldest first; events of the same instant in their logs' order."""
    return sorted(entries, key=lambda e: (e.at, e.service, e.position))


def short(value: UUID | str | None) -> str:
    return "-" if value is None else str(value)[:8]


def summary(one: Entry) -> str:
    """The few safe fields a line shows."""
    shown = []
    for name in LINE_FIELDS:
        value = one.fields.get(name)
        if value is not None:
            shown.append(f"{name}={value}")
    return " ".join(shown)


def line(one: Entry) -> str:
    at = one.at.astimezone(PARIS)
    return (
        f"{at:%d/%m/%Y %H:%M:%S}.{at.microsecond // 1000:03d}  "
        f"{one.service:<10}  {one.aggregate_type} {short(one.aggregate_id)}  "
        f"{one.event_type:<18}  corr {short(one.correlation_id)}  {summary(one)}"
    ).rstrip()


def json_line(one: Entry) -> str:
    """One event for tools: times in UTC ISO 8601, full ids."""
    return json.dumps(
        {
            "at": one.at.isoformat(),
            "service": one.service,
            "position": one.position,
            "aggregate_type": one.aggregate_type,
            "aggregate_id": str(one.aggregate_id),
            "version": one.version,
            "event_type": one.event_type,
            "correlation_id": one.correlation_id,
            "fields": one.fields,
        },
        default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
        ensure_ascii=False,
        sort_keys=True,
    )
