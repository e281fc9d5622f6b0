"""The session board: centres and their sessions with free seats, for SC-3."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.common.projection import ReadModel
from services.common.view import ReadModelView
from services.scheduling.domain import INDIVIDUAL, PARIS, ExamCentre, ExamSession


class SessionBoardView(ReadModelView):
    # Rebuilt from scheduling's log. board_seats is not: it follows booking's
    # SlotReserved / SlotReleased (booking gives the seats, the search shows
    # what booking last said), so a replay of this log keeps it.
    tables = ("board_centres", "board_sessions")

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (centre_id uuid PRIMARY KEY, code text,"
                " name text, address text, postal_code text, city text,"
                " departement text,"
                " latitude double precision, longitude double precision, pmr boolean,"
                " opening_hours text)"
            ).format(self.table("board_centres")),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (session_id uuid PRIMARY KEY,"
                " centre_id uuid NOT NULL, starts_at timestamptz NOT NULL,"
                " duration_minutes int NOT NULL, kind text NOT NULL,"
                " seats int NOT NULL,"
                " free_seats int NOT NULL)"
            ).format(self.table("board_sessions")),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS board_sessions_start ON {} (starts_at)"
            ).format(self.table("board_sessions")),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (session_id uuid PRIMARY KEY,"
                " free_seats int NOT NULL, seats_version int NOT NULL)"
            ).format(self.table("board_seats")),
        ]

    def add_centre(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("board_centres", row, tracking)

    def add_session(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("board_sessions", row, tracking)

    def remove_session(self, session_id: Any, tracking: Tracking) -> None:
        self.delete_row("board_sessions", ("session_id", session_id), tracking)

    def record_seats(self, changes: list[tuple[Any, int, int]]) -> None:
        """Booking's latest word on sessions' free seats, as (session, free
        seats, version). Idempotent and order-proof: an older or repeated word
        changes nothing. One statement for the whole batch, committed on its
        own (the pool's connections autocommit)."""
        latest: dict[str, tuple[int, int]] = {}
        for session_id, free_seats, version in changes:
            known = latest.get(str(session_id))
            if known is None or known[1] < version:
                latest[str(session_id)] = (free_seats, version)
        with self.datastore.get_connection() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {0} (session_id, free_seats, seats_version)"
                    " SELECT * FROM unnest(%s::uuid[], %s::int[], %s::int[])"
                    " ON CONFLICT (session_id) DO UPDATE"
                    " SET free_seats = EXCLUDED.free_seats,"
                    " seats_version = EXCLUDED.seats_version"
                    " WHERE {0}.seats_version < EXCLUDED.seats_version"
                ).format(self.table("board_seats")),
                (
                    list(latest),
                    [free for free, _ in latest.values()],
                    [version for _, version in latest.values()],
                ),
            )

    def free_seats(self, session_id: Any) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT COALESCE(b.free_seats, s.seats) AS free FROM {} s"
                    " LEFT JOIN {} b USING (session_id) WHERE s.session_id = %s"
                ).format(self.table("board_sessions"), self.table("board_seats")),
                (session_id,),
            )
            row = curs.fetchone()
        return row["free"] if row else None

    def centres_with_sessions(
        self,
        after: date,
        before: date | None,
        individual_only: bool,
        pmr_only: bool,
        near: tuple[float, float],
        radius_km: float,
        limit: int,
    ) -> list[dict[str, Any]]:
        """The `limit` centres nearest to `near`, within `radius_km`, having
        sessions from `after` to the day before `before` (« avant le »
        excludes it), nearest first, each with its distance, free seats and
        slots."""
        start = datetime.combine(after, time(0), PARIS)
        end = datetime.combine(before, time(0), PARIS) if before else None
        matching = sql.SQL(
            "s.starts_at >= %(start)s"
            " AND (%(end)s::timestamptz IS NULL OR s.starts_at < %(end)s)"
            " AND (NOT %(individual)s OR s.kind = %(kind)s) AND (NOT %(pmr)s OR c.pmr)"
        )
        # Great-circle distance (haversine), in km.
        distance = sql.SQL(
            "6371 * 2 * asin(sqrt(power(sin(radians(c.latitude - %(lat)s) / 2), 2)"
            " + cos(radians(%(lat)s)) * cos(radians(c.latitude))"
            " * power(sin(radians(c.longitude - %(lon)s) / 2), 2)))"
        )
        nearest = sql.SQL(
            "SELECT c.*, {distance} AS distance_km FROM {centres} c"
            " WHERE {distance} <= %(radius)s AND EXISTS (SELECT 1 FROM {sessions} s"
            " WHERE s.centre_id = c.centre_id AND {matching})"
            " ORDER BY distance_km LIMIT %(limit)s"
        ).format(
            distance=distance,
            centres=self.table("board_centres"),
            sessions=self.table("board_sessions"),
            matching=matching,
        )
        slots = sql.SQL(
            "SELECT s.session_id, s.centre_id, s.starts_at, s.duration_minutes,"
            " s.kind, s.seats, COALESCE(b.free_seats, s.seats) AS free_seats"
            " FROM {sessions} s JOIN {centres} c USING (centre_id)"
            " LEFT JOIN {seats} b USING (session_id)"
            " WHERE s.centre_id = ANY(%(ids)s) AND {matching} ORDER BY s.starts_at"
        ).format(
            sessions=self.table("board_sessions"),
            centres=self.table("board_centres"),
            seats=self.table("board_seats"),
            matching=matching,
        )
        params = {
            "start": start,
            "end": end,
            "individual": individual_only,
            "kind": INDIVIDUAL,
            "pmr": pmr_only,
            "lat": near[0],
            "lon": near[1],
            "limit": limit,
            "radius": radius_km,
        }
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(nearest, params)
            centres = {
                row["centre_id"]: {
                    "id": str(row["centre_id"]),
                    "code": row["code"],
                    "name": row["name"],
                    "address": row["address"],
                    "postal_code": row["postal_code"],
                    "city": row["city"],
                    "departement": row["departement"],
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "pmr": row["pmr"],
                    "opening_hours": row["opening_hours"],
                    "distance_km": round(row["distance_km"], 1),
                    "free_seats": 0,
                    "sessions": [],
                }
                for row in curs.fetchall()
            }
            curs.execute(slots, {**params, "ids": list(centres)})
            for row in curs.fetchall():
                centre = centres[row["centre_id"]]
                centre["free_seats"] += row["free_seats"]
                centre["sessions"].append(
                    {
                        "id": str(row["session_id"]),
                        "starts_at": row["starts_at"].isoformat(),
                        "duration_minutes": row["duration_minutes"],
                        "kind": row["kind"],
                        "seats": row["seats"],
                        "free_seats": row["free_seats"],
                    }
                )
        return list(centres.values())


class SessionBoard(Projection[SessionBoardView]):
    name = "session_board"
    topics = tuple(
        get_topic(cls)
        for cls in (
            ExamCentre.Registered,
            ExamSession.Scheduled,
            ExamSession.Cancelled,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: ExamCentre.Registered, tracking: Tracking) -> None:
        self.view.add_centre(
            {
                "centre_id": e.originator_id,
                "code": e.code,
                "name": e.name,
                "address": e.address,
                "postal_code": e.postal_code,
                "city": e.city,
                "departement": e.departement,
                "latitude": e.latitude,
                "longitude": e.longitude,
                "pmr": e.pmr,
                "opening_hours": e.opening_hours,
            },
            tracking,
        )

    @process_event.register
    def _(self, e: ExamSession.Scheduled, tracking: Tracking) -> None:
        self.view.add_session(
            {
                "session_id": e.originator_id,
                "centre_id": e.centre_id,
                "starts_at": e.starts_at,
                "duration_minutes": e.duration_minutes,
                "kind": e.kind,
                "seats": e.seats,
                "free_seats": e.seats,
            },
            tracking,
        )

    @process_event.register
    def _(self, e: ExamSession.Cancelled, tracking: Tracking) -> None:
        self.view.remove_session(e.originator_id, tracking)


READ_MODELS = {"session_board": ReadModel(SessionBoard, SessionBoardView)}
