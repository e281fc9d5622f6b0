"""The school's reservations and cart, searchable (BO-3, BO-5)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.booking.deadlines import CONFIRMED, allowed_until
from services.booking.domain import Reservation
from services.booking.rules import CANCELLED, CANCELLED_UNPAID, IN_CART, PARIS
from services.booking.sealed import opened
from services.booking.seats import BookableCandidate
from services.common.projection import ReadModel
from services.common.text import found_by
from services.common.view import ReadModelView


def reservation_row(
    source: Any, who: Mapping[str, str], now: datetime
) -> dict[str, Any]:
    """A reservation as every answer shows it, from the aggregate (attributes)
    or from a row of the list (columns), and its candidate as opened
    (services/booking/sealed.py): one shape, written once. `now` says whether
    it can still be changed or cancelled (BO-6, BO-7)."""
    if isinstance(source, Mapping):
        value = source.__getitem__
        reservation_id = source["reservation_id"]
    else:
        value = functools.partial(getattr, source)
        reservation_id = source.id
    return {
        "id": str(reservation_id),
        "candidate_id": str(value("candidate_id")),
        "neph": who["neph"],
        "candidate_name": who["candidate_name"],
        "session_id": str(value("session_id")),
        "centre_name": value("centre_name"),
        "centre_city": value("centre_city"),
        "exam_starts_at": value("exam_starts_at").isoformat(),
        "expires_at": value("expires_at").isoformat(),
        "status": value("status"),
        "changes_allowed_until": _instant(
            allowed_until(
                value("status"), value("exam_starts_at"), value("departement"), now
            )
        ),
        # EX-1: the day it was paid (Paris), and how (a SEPA refund is made
        # by a later transfer, a card's there and then: BI-4).
        "paid_on": _day(value("paid_at")),
        "payment_method": value("method"),
    }


def _day(at: datetime | None) -> str | None:
    return at.astimezone(PARIS).date().isoformat() if at is not None else None


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class ReservationListView(ReadModelView):
    """The school's reservations. Who each is for stays sealed, as the hold
    copied it (`personal`): opened when the school reads its list, with one
    read of the key store for the whole list."""

    tables = ("reservation_list",)

    def create_statements(self) -> list[sql.Composable]:
        return [
            _drop_list_in_clear(self.datastore.schema, self.tracking_table_name),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (reservation_id uuid PRIMARY KEY,"
                " school_id text NOT NULL, candidate_id uuid NOT NULL,"
                " personal text, session_id uuid NOT NULL,"
                " centre_name text, centre_city text, departement text,"
                " exam_starts_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,"
                " status text NOT NULL, created_at timestamptz NOT NULL,"
                " paid_at timestamptz, method text)"
            ).format(self.table("reservation_list")),
        ]

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("reservation_list", row, tracking)

    def set_status(
        self,
        reservation_id: Any,
        status: str,
        tracking: Tracking,
        **paid: Any,
    ) -> None:
        """Its status, and when it was paid and how (`paid_at`, `method`)
        when that changes with it."""
        key = ("reservation_id", reservation_id)
        self.update_row("reservation_list", key, {"status": status, **paid}, tracking)

    def move(
        self, reservation_id: Any, slot: dict[str, Any], tracking: Tracking
    ) -> None:
        """A change of slot (BO-6): the row follows the new session."""
        key = ("reservation_id", reservation_id)
        self.update_row("reservation_list", key, slot, tracking)

    def forget_candidate(self, candidate_id: Any, tracking: Tracking) -> None:
        """An erased file's rows keep the seat, its session and status (the
        school's purchase), not who it was for (unreadable already: its key
        is forgotten)."""
        self.write(
            sql.SQL(
                "UPDATE {} SET personal = NULL WHERE candidate_id = %(candidate)s"
            ).format(self.table("reservation_list")),
            {"candidate": candidate_id},
            tracking,
        )

    def in_cart_of(self, candidate_id: Any) -> list[str]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id FROM {}"
                    " WHERE candidate_id = %s AND status = %s"
                ).format(self.table("reservation_list")),
                (candidate_id, IN_CART),
            )
            return [str(r["reservation_id"]) for r in curs.fetchall()]

    def has_upcoming(self, candidate_id: Any, now: datetime) -> bool:
        """A seat in the cart or paid, for an exam still to come."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT 1 FROM {} WHERE candidate_id = %s"
                    " AND status = ANY(%s) AND exam_starts_at > %s LIMIT 1"
                ).format(self.table("reservation_list")),
                (candidate_id, [IN_CART, CONFIRMED], now),
            )
            return curs.fetchone() is not None

    def search(
        self,
        school_id: str,
        text: str = "",
        exam_date: str | None = None,
        status: str | None = None,
        *,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """BO-5: by candidate name, NEPH, exam date. Names and NEPHs are
        compared once opened: a school's own list, read in full anyway."""
        day = date.fromisoformat(exam_date) if exam_date else None
        start = datetime.combine(day, time(0), PARIS) if day else None
        end = start + timedelta(days=1) if start else None
        query = sql.SQL(
            "SELECT * FROM {} WHERE school_id = %(school)s"
            " AND (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(start)s::timestamptz IS NULL OR"
            " (exam_starts_at >= %(start)s AND exam_starts_at < %(end)s))"
            " ORDER BY exam_starts_at"
        ).format(self.table("reservation_list"))
        params = {"school": school_id, "status": status, "start": start, "end": end}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            rows = curs.fetchall()
        keys = self.vault.keys_of({r["candidate_id"] for r in rows if r["personal"]})
        shown = [
            reservation_row(
                r,
                opened(keys.get(r["candidate_id"]), r["candidate_id"], r["personal"]),
                now,
            )
            for r in rows
        ]
        return [r for r in shown if found_by(text, r["neph"], r["candidate_name"])]

    def exams_between(self, start: datetime, end: datetime) -> list[Any]:
        """Confirmed reservations whose exam starts after `start`, by `end`
        (EX-3's candidates for a reminder; each aggregate has the last word)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id FROM {} WHERE status = %s"
                    " AND exam_starts_at > %s AND exam_starts_at <= %s"
                ).format(self.table("reservation_list")),
                (CONFIRMED, start, end),
            )
            return [r["reservation_id"] for r in curs.fetchall()]

    def overdue(self, now: datetime) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id FROM {}"
                    " WHERE status = %s AND expires_at < %s"
                ).format(self.table("reservation_list")),
                (IN_CART, now),
            )
            return [r["reservation_id"] for r in curs.fetchall()]


class ReservationList(Projection[ReservationListView]):
    name = "reservation_list"
    topics = (
        get_topic(Reservation.Held),
        get_topic(Reservation.Released),
        get_topic(Reservation.Confirmed),
        get_topic(Reservation.CancelledUnpaid),
        get_topic(Reservation.Cancelled),
        get_topic(Reservation.Changed),
        get_topic(BookableCandidate.Erased),
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: Reservation.Held, tracking: Tracking) -> None:
        self.view.add(
            {
                "reservation_id": e.originator_id,
                "school_id": e.school_id,
                "candidate_id": e.candidate_id,
                # Copied sealed, as the hold copied it: nothing opened here
                # (absent from holds made before booking sealed them).
                "personal": getattr(e, "personal", None) or None,
                "session_id": e.session_id,
                "centre_name": e.centre_name,
                "centre_city": e.centre_city,
                "departement": getattr(e, "departement", None) or None,
                "exam_starts_at": e.exam_starts_at,
                "expires_at": e.expires_at,
                "status": IN_CART,
                "created_at": e.timestamp,
            },
            tracking,
        )

    @process_event.register
    def _(self, e: Reservation.Released, tracking: Tracking) -> None:
        self.view.set_status(e.originator_id, e.reason, tracking)

    @process_event.register
    def _(self, e: Reservation.Confirmed, tracking: Tracking) -> None:
        paid = {"paid_at": e.confirmed_at, "method": getattr(e, "method", None)}
        self.view.set_status(e.originator_id, CONFIRMED, tracking, **paid)

    @process_event.register
    def _(self, e: Reservation.CancelledUnpaid, tracking: Tracking) -> None:
        unpaid = {"paid_at": None}  # the debit came back: never paid after all
        self.view.set_status(e.originator_id, CANCELLED_UNPAID, tracking, **unpaid)

    @process_event.register
    def _(self, e: Reservation.Cancelled, tracking: Tracking) -> None:
        self.view.set_status(e.originator_id, CANCELLED, tracking)

    @process_event.register
    def _(self, e: Reservation.Changed, tracking: Tracking) -> None:
        slot = {
            "session_id": e.session_id,
            "centre_name": e.centre_name,
            "centre_city": e.centre_city,
            "departement": e.departement,
            "exam_starts_at": e.exam_starts_at,
        }
        self.view.move(e.originator_id, slot, tracking)

    @process_event.register
    def _(self, e: BookableCandidate.Erased, tracking: Tracking) -> None:
        self.view.forget_candidate(e.candidate_id, tracking)


def _drop_list_in_clear(schema: str, tracking_table: str) -> sql.Composable:
    """A list built by an earlier version kept names and NEPHs in clear, or
    lacked the centre's département (the deadline's holidays) or the day each
    seat was paid (EX-1): dropped, with its position, so that it is built
    again from the log."""
    return sql.SQL(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns"
        " WHERE table_schema = {schema} AND table_name = 'reservation_list'"
        " AND column_name = 'candidate_name') OR (EXISTS (SELECT 1 FROM"
        " information_schema.tables WHERE table_schema = {schema}"
        " AND table_name = 'reservation_list') AND NOT EXISTS (SELECT 1 FROM"
        " information_schema.columns WHERE table_schema = {schema}"
        " AND table_name = 'reservation_list' AND column_name = 'paid_at'))"
        " THEN DROP TABLE {table}; TRUNCATE {tracking}; END IF; END $$"
    ).format(
        schema=sql.Literal(schema),
        table=sql.Identifier(schema, "reservation_list"),
        tracking=sql.Identifier(schema, tracking_table),
    )


READ_MODELS = {"reservation_list": ReadModel(ReservationList, ReservationListView)}
