"""How a stored event becomes a row of the analysts' export (`pmc
export-events`): the Parquet schema, and which of an event's fields leave the
platform.

What leaves is chosen field by field, by default nothing: an event's field is
exported when its value is an identifier (a UUID), a number, a yes/no or a
time, or when it is one of the few texts named in TEXT_FIELDS (schools,
centres, methods, statuses). Everything else stays in: the sealed copies of
personal data (`personal`, `contact`: unreadable without the candidate's key,
and useless to analysts), and every other text (NEPH, e-mail addresses,
password hashes, nonces, messages, free-text reasons), dates without a time
(a birth date would be one), and nested structures. A new field added to an
event is therefore not exported until someone names it here.

People appear only through random identifiers (candidate_id, file ids):
pseudonymised, as in the services' own read models. Some identifiers are not
random but derived from a name (UUID versions 3 and 5): from a NEPH
(`NephClaim`, `BookableCandidate`), which anyone knowing a NEPH could
recompute and follow to the candidate's id. Every such identifier is exported
as a keyed hash of itself (`Pseudonyms`): the same in every file and every
export (joins still hold), recomputable only with the export's key, kept in the
key store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pyarrow as pa

from services.common.keystore import KeyStore

# The key store's entry of the export's key.
EXPORT_SUBJECT = uuid5(NAMESPACE_URL, "pmc-export:pseudonyms")
EXPORT_OWNER = "export"

# An identifier as exported: its text, or its pseudonym's.
IdText = Callable[[UUID], str]

# Texts that name organisations, places or states, never a person.
TEXT_FIELDS = frozenset(
    {
        "school_id",
        "school_name",
        "centre_name",
        "centre_city",
        "centre_address",
        "previous_centre_name",
        "departement",
        "kind",
        "mode",
        "method",
        "channel",
        "status",
        "outcome",
        "reason_code",
        "valid_until",
        "cancelled_by",
        "changed_by",
        "refunded_by",
        "sent_by",
    }
)

# eventsourcing's own attributes, exported as the columns of every row.
_ENVELOPE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)

_TIME = pa.timestamp("us", tz="UTC")

# The columns every file has, whatever its service; `data` holds every
# exported field of the event as JSON, the typed columns repeat those most
# analyses need (null when the event does not carry them).
SCHEMA = pa.schema(
    [
        pa.field("position", pa.int64(), nullable=False),
        pa.field("aggregate_id", pa.string(), nullable=False),
        pa.field("aggregate_version", pa.int64(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("recorded_at", _TIME, nullable=False),
        pa.field("school_id", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("candidate_id", pa.string()),
        pa.field("centre_name", pa.string()),
        pa.field("centre_city", pa.string()),
        pa.field("departement", pa.string()),
        pa.field("exam_starts_at", _TIME),
        pa.field("price_cents", pa.int64()),
        pa.field("refund_cents", pa.int64()),
        pa.field("amount_cents", pa.int64()),
        pa.field("method", pa.string()),
        pa.field("data", pa.string()),
    ]
)

TYPED = tuple(
    name
    for name in SCHEMA.names
    if name
    not in (
        "position",
        "aggregate_id",
        "aggregate_version",
        "event_type",
        "recorded_at",
        "data",
    )
)

# A field whose value is not to be exported (see `exported`).
_LEFT_OUT = object()


class Pseudonyms:
    """Name-based identifiers replaced by a keyed hash of themselves (HMAC-SHA256
    under the export's key, shaped as a UUID); random ones kept as they are."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_keystore(cls, keystore: KeyStore) -> Pseudonyms:
        key = keystore.key(EXPORT_SUBJECT, create=True, owner=EXPORT_OWNER)
        assert key is not None
        return cls(key)

    def __call__(self, value: UUID) -> str:
        if value.version not in (3, 5):
            return str(value)
        digest = hmac.new(self._key, value.bytes, hashlib.sha256).digest()
        return str(UUID(bytes=digest[:16], version=4))


def event_type(topic: str) -> str:
    """The event's short name: `services.booking.domain:Reservation.Confirmed`
    gives `Reservation.Confirmed`."""
    return topic.rpartition(":")[2]


def _utc(value: datetime) -> datetime:
    # Every time the services record is aware; a naive one would be UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _uuid_text(value: Any, ids: IdText) -> str | None:
    if isinstance(value, UUID):
        return ids(value)
    if isinstance(value, str):
        try:
            as_id = UUID(value)
        except ValueError:
            return None
        # Only a UUID's own spelling: UUID() also reads 32 hex digits, which
        # is what a digest (an e-mail address's keyed hash) looks like.
        return ids(as_id) if str(as_id) == value.lower() else None
    return None


def exported(name: str, value: Any, ids: IdText = str) -> Any:
    """The value as exported, or _LEFT_OUT when it stays in the platform."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return _LEFT_OUT  # a day without a time: a birth date would be one
    if isinstance(value, UUID):
        return ids(value)
    if isinstance(value, str):
        if name in TEXT_FIELDS:
            return value
        # An identifier kept as text (a reservation's id in a message).
        as_id = _uuid_text(value, ids)
        return _LEFT_OUT if as_id is None else as_id
    if isinstance(value, list | tuple):
        items = [_uuid_text(item, ids) for item in value]
        return _LEFT_OUT if None in items else items
    return _LEFT_OUT


def exported_fields(fields: Mapping[str, Any], ids: IdText = str) -> dict[str, Any]:
    """An event's own fields that leave the platform, as exported."""
    kept = {}
    for name, value in fields.items():
        if name in _ENVELOPE or name.startswith("_"):
            continue
        value = exported(name, value, ids)
        # A null says nothing, and would name a field that is never exported
        # when it holds something (`school_email`, `invoice`).
        if value is not _LEFT_OUT and value is not None:
            kept[name] = value
    return kept


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not exported: {type(value).__name__}")


def _typed(name: str, value: Any) -> Any:
    """The typed column's value: null when the field's value is not of its type."""
    field_type = SCHEMA.field(name).type
    if field_type == _TIME:
        return value if isinstance(value, datetime) else None
    if field_type == pa.int64():
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return value if is_int else None
    return value if isinstance(value, str) else None


def row(position: int, topic: str, event: Any, ids: IdText = str) -> dict[str, Any]:
    """The export's row of one decoded domain event, its identifiers as `ids`
    gives them (a Pseudonyms)."""
    fields = exported_fields(vars(event), ids)
    return {
        "position": position,
        "aggregate_id": ids(event.originator_id),
        "aggregate_version": event.originator_version,
        "event_type": event_type(topic),
        "recorded_at": _utc(event.timestamp),
        **{name: _typed(name, fields.get(name)) for name in TYPED},
        "data": json.dumps(
            fields, default=_json_default, ensure_ascii=False, sort_keys=True
        ),
    }


def record_batch(rows: Iterable[Mapping[str, Any]]) -> pa.RecordBatch:
    """Rows as one Arrow record batch of SCHEMA."""
    rows = list(rows)
    return pa.RecordBatch.from_pydict(
        {name: [r[name] for r in rows] for name in SCHEMA.names}, schema=SCHEMA
    )
