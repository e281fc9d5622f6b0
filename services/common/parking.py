"""Parked events: what a log follower could not apply, kept aside (TR-2).

One event that a read model cannot store (a NUL character PostgreSQL text
refuses, a value its table forbids) must not stop the read model for every
school. The follower that fails on it deterministically parks it (which
follower, the event's position and topic, the error, when, how many attempts)
and goes on; the parked row doubles as the follower's position, so the event
is never silently skipped. `pmc parked retry` applies it again once its cause
is fixed.

Outages (PostgreSQL, RabbitMQ, SMTP unreachable) are not the event's fault:
parking on them would set aside every event of the outage, so the follower
pauses and retries the same batch as before.
"""

from __future__ import annotations

import smtplib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing import persistence
from eventsourcing.postgres import PostgresDatastore
from psycopg import errors as pg_errors
from psycopg import sql

from services.common import logs

# Raised by the event's content or by what the read model makes of it: applying
# the same event again fails the same way.
EVENT_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,  # UnicodeError and json.JSONDecodeError included
    LookupError,  # KeyError, IndexError
    TypeError,
    AttributeError,
    ArithmeticError,
    psycopg.DataError,  # NUL in text, numbers out of range, bad dates
    psycopg.IntegrityError,  # constraints of the read model's tables
    persistence.DataError,  # the same, as eventsourcing re-raises them
    persistence.IntegrityError,
)

# Deterministic although their classes say "outage": a value too large for an
# index row, an address this mail server cannot carry (UTF-8 without SMTPUTF8).
EVENT_ERRORS_FIRST: tuple[type[BaseException], ...] = (
    pg_errors.ProgramLimitExceeded,
    smtplib.SMTPNotSupportedError,
)

# The world's fault: retrying later works (smtplib's errors are OSErrors too).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)

# The longest error text kept: enough to understand, never a whole document.
ERROR_CHARS = 2000


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from (eventsourcing wraps psycopg's)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_event_error(
    exc: BaseException, extra: tuple[type[BaseException], ...] = ()
) -> bool:
    """Whether `exc` comes from the event itself (park it) rather than from an
    outage (pause and retry). Anything unknown counts as an outage: pausing
    loses nothing, and readiness shows the pause."""
    chain = list(_chain(exc))
    if any(isinstance(e, extra + EVENT_ERRORS_FIRST) for e in chain):
        return True
    if any(isinstance(e, OUTAGE_ERRORS) for e in chain):
        return False
    return any(isinstance(e, EVENT_ERRORS) for e in chain)


def describe(exc: BaseException) -> str:
    """The error as stored, logged and shown (`pmc parked`, readiness): its
    type, codes and place, never its text, which may hold the event's personal
    data (see `logs.describe_error`); bounded."""
    return logs.describe_error(exc)[:ERROR_CHARS]


@dataclass(frozen=True)
class ParkedEvent:
    """One event a follower set aside."""

    follower: str
    notification_id: int
    topic: str
    error: str
    parked_at: datetime
    last_attempt_at: datetime
    attempts: int
    retry_requested: bool

    @property
    def event_type(self) -> str:
        """The event class, without its module: what an operator reads."""
        return self.topic.rpartition(":")[2] or self.topic


class ParkingLot:
    """The `parked` table of one service's schema, shared by its followers."""

    table_name = "parked"

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.schema = datastore.schema
        self.table = sql.Identifier(self.schema, self.table_name)
        self._created = False

    def create_table(self) -> None:
        if self._created:
            return
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " follower text NOT NULL,"
                    " notification_id bigint NOT NULL,"
                    " topic text NOT NULL,"
                    " error text NOT NULL,"
                    " parked_at timestamptz NOT NULL DEFAULT now(),"
                    " last_attempt_at timestamptz NOT NULL DEFAULT now(),"
                    " attempts integer NOT NULL DEFAULT 1,"
                    " retry_requested boolean NOT NULL DEFAULT false,"
                    " PRIMARY KEY (follower, notification_id))"
                ).format(self.table)
            )
        self._created = True

    def _run(self, query: sql.Composable, params: Any = None) -> list[dict[str, Any]]:
        self.create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(query, params)
            return list(curs.fetchall()) if curs.description else []

    def park(self, follower: str, notification_id: int, topic: str, error: str) -> None:
        """Set an event aside; parking it again counts one more attempt."""
        self._run(
            sql.SQL(
                "INSERT INTO {} (follower, notification_id, topic, error)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (follower, notification_id)"
                " DO UPDATE SET error = EXCLUDED.error, last_attempt_at = now(),"
                " attempts = {}.attempts + 1, retry_requested = false"
            ).format(self.table, sql.Identifier(self.table_name)),
            (follower, notification_id, topic, error),
        )

    def remove(self, curs: Any, follower: str, notification_id: int) -> None:
        """Forget a parked event, inside the caller's transaction (the one that
        applied it, so it is applied once and never lost)."""
        curs.execute(
            sql.SQL(
                "DELETE FROM {} WHERE follower = %s AND notification_id = %s"
            ).format(self.table),
            (follower, notification_id),
        )

    def discard(self, follower: str, notification_id: int) -> None:
        """Forget a parked event found applied already."""
        self.create_table()
        with self.datastore.transaction(commit=True) as curs:
            self.remove(curs, follower, notification_id)

    def clear(self, follower: str) -> None:
        """Forget every event a follower parked (its read model is rebuilt)."""
        self._run(
            sql.SQL("DELETE FROM {} WHERE follower = %s").format(self.table),
            (follower,),
        )

    def events(
        self,
        follower: str | None = None,
        ids: Collection[int] | None = None,
        requested_only: bool = False,
    ) -> list[ParkedEvent]:
        """Parked events, in log order."""
        rows = self._run(
            sql.SQL(
                "SELECT * FROM {} WHERE (%(follower)s::text IS NULL"
                " OR follower = %(follower)s)"
                " AND (%(ids)s::bigint[] IS NULL OR notification_id = ANY(%(ids)s))"
                " AND (NOT %(requested)s OR retry_requested)"
                " ORDER BY follower, notification_id"
            ).format(self.table),
            {
                "follower": follower,
                "ids": list(ids) if ids is not None else None,
                "requested": requested_only,
            },
        )
        return [ParkedEvent(**row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many events each follower has parked."""
        rows = self._run(
            sql.SQL("SELECT follower, count(*) AS n FROM {} GROUP BY follower").format(
                self.table
            )
        )
        return {row["follower"]: int(row["n"]) for row in rows}

    def last_position(self, follower: str) -> int:
        """The position of the last event this follower parked (0 if none)."""
        rows = self._run(
            sql.SQL(
                "SELECT coalesce(max(notification_id), 0) AS last FROM {}"
                " WHERE follower = %s"
            ).format(self.table),
            (follower,),
        )
        return int(rows[0]["last"]) if rows else 0

    def request_retry(
        self, follower: str, ids: Collection[int] | None = None
    ) -> list[int]:
        """Ask the follower's leader to apply these events again; their ids."""
        rows = self._run(
            sql.SQL(
                "UPDATE {} SET retry_requested = true WHERE follower = %(follower)s"
                " AND (%(ids)s::bigint[] IS NULL OR notification_id = ANY(%(ids)s))"
                " RETURNING notification_id"
            ).format(self.table),
            {"follower": follower, "ids": list(ids) if ids is not None else None},
        )
        return sorted(int(row["notification_id"]) for row in rows)
