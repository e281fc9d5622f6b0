"""The results board: every reservation results knows of, with its result,
for the release sweep (what is due) and the schools' list (what is out)."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.common.projection import ReadModel
from services.common.view import ReadModelView
from services.results.domain import ExamResult

BOARD = "result_board"


class ResultBoardView(ReadModelView):
    tables = (BOARD,)

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (reservation_id uuid PRIMARY KEY,"
                " school_id text NOT NULL, candidate_id uuid NOT NULL,"
                " session_id uuid NOT NULL, centre_name text NOT NULL,"
                " centre_city text NOT NULL, exam_starts_at timestamptz NOT NULL,"
                " cancelled boolean NOT NULL DEFAULT false,"
                " recorded boolean NOT NULL DEFAULT false,"
                " sealed text, published_at timestamptz)"
            ).format(self.table(BOARD)),
            # The released result, sealed with the candidate's key: a board
            # made before kept it in clear (RE-1, erasure).
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS sealed text,"
                " DROP COLUMN IF EXISTS score, DROP COLUMN IF EXISTS outcome,"
                " DROP COLUMN IF EXISTS valid_until"
            ).format(self.table(BOARD)),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS result_board_school ON {} (school_id)"
                " WHERE published_at IS NOT NULL"
            ).format(self.table(BOARD)),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS result_board_candidate ON {}"
                " (candidate_id) WHERE published_at IS NOT NULL"
            ).format(self.table(BOARD)),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS result_board_pending ON {}"
                " (exam_starts_at) WHERE recorded AND published_at IS NULL"
            ).format(self.table(BOARD)),
        ]

    def change(self, reservation_id: Any, changes: dict, tracking: Tracking) -> None:
        self.update_row(BOARD, ("reservation_id", reservation_id), changes, tracking)

    def due(self, started_before: datetime, limit: int) -> list[Any]:
        """Recorded results not yet out whose exam started before then."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id FROM {} WHERE recorded AND NOT cancelled"
                    " AND published_at IS NULL AND exam_starts_at <= %s"
                    " ORDER BY exam_starts_at LIMIT %s"
                ).format(self.table(BOARD)),
                (started_before, limit),
            )
            return [row["reservation_id"] for row in curs.fetchall()]

    def published_for(
        self, school_id: str, session_id: Any = None
    ) -> list[dict[str, Any]]:
        """One school's released results (of one session, if given), the
        latest exams first; their results sealed."""
        session = sql.SQL(" AND session_id = %s" if session_id else "")
        params = (school_id, session_id) if session_id else (school_id,)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id, candidate_id, session_id, centre_name,"
                    " centre_city, exam_starts_at, sealed, published_at FROM {}"
                    " WHERE school_id = %s AND published_at IS NOT NULL{}"
                    " ORDER BY exam_starts_at DESC, reservation_id"
                ).format(self.table(BOARD), session),
                params,
            )
            return list(curs.fetchall())

    def published_of_candidate(self, candidate_id: Any) -> list[dict[str, Any]]:
        """One candidate's released results, whichever school booked them,
        the latest exams first; their results sealed."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT reservation_id, candidate_id, centre_name, centre_city,"
                    " exam_starts_at, sealed, published_at FROM {}"
                    " WHERE candidate_id = %s AND published_at IS NOT NULL"
                    " ORDER BY exam_starts_at DESC, reservation_id"
                ).format(self.table(BOARD)),
                (candidate_id,),
            )
            return list(curs.fetchall())


class ResultBoard(Projection[ResultBoardView]):
    name = BOARD
    topics = tuple(
        get_topic(cls)
        for cls in (
            ExamResult.Confirmed,
            ExamResult.Moved,
            ExamResult.Cancelled,
            ExamResult.Recorded,
            ExamResult.Published,
        )
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: ExamResult.Confirmed, tracking: Tracking) -> None:
        self.view.insert_row(
            BOARD,
            {
                "reservation_id": e.originator_id,
                "school_id": e.school_id,
                "candidate_id": e.candidate_id,
                "session_id": e.session_id,
                "centre_name": e.centre_name,
                "centre_city": e.centre_city,
                "exam_starts_at": e.exam_starts_at,
            },
            tracking,
        )

    @process_event.register
    def _(self, e: ExamResult.Moved, tracking: Tracking) -> None:
        changes = {
            "session_id": e.session_id,
            "centre_name": e.centre_name,
            "centre_city": e.centre_city,
            "exam_starts_at": e.exam_starts_at,
        }
        self.view.change(e.originator_id, changes, tracking)

    @process_event.register
    def _(self, e: ExamResult.Cancelled, tracking: Tracking) -> None:
        self.view.change(e.originator_id, {"cancelled": True}, tracking)

    @process_event.register
    def _(self, e: ExamResult.Recorded, tracking: Tracking) -> None:
        self.view.change(e.originator_id, {"recorded": True}, tracking)

    @process_event.register
    def _(self, e: ExamResult.Published, tracking: Tracking) -> None:
        changes = {"published_at": e.published_at, "sealed": e.sealed}
        self.view.change(e.originator_id, changes, tracking)


READ_MODELS = {BOARD: ReadModel(ResultBoard, ResultBoardView)}
