"""Read models of candidate files: the school's list, searchable (CA-5)."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.candidates.domain import ACTIVATED, AWAITING_EMAIL, CandidateFile
from services.common.projection import ReadModel, ReadModelView


class CandidateListView(ReadModelView):
    """One row per candidate file: what the school's list shows."""

    tables = ("candidate_list",)

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " candidate_id uuid PRIMARY KEY,"
                " school_id text NOT NULL,"
                " neph text NOT NULL,"
                " birth_name text NOT NULL,"
                " given_names text NOT NULL,"
                " status text NOT NULL,"
                " created_at timestamptz NOT NULL)"
            ).format(self.table("candidate_list"))
        ]

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "INSERT INTO {} (candidate_id, school_id, neph, birth_name,"
                    " given_names, status, created_at) VALUES (%(candidate_id)s,"
                    " %(school_id)s, %(neph)s, %(birth_name)s, %(given_names)s,"
                    " %(status)s, %(created_at)s) ON CONFLICT DO NOTHING"
                ).format(self.table("candidate_list")),
                row,
            )
            self._insert_tracking(curs, tracking)

    def set_status(self, candidate_id: Any, status: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL("UPDATE {} SET status = %s WHERE candidate_id = %s").format(
                    self.table("candidate_list")
                ),
                (status, candidate_id),
            )
            self._insert_tracking(curs, tracking)

    def list_for_school(self, school_id: str) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT candidate_id, neph, birth_name, given_names, status,"
                    " created_at FROM {} WHERE school_id = %s ORDER BY created_at"
                ).format(self.table("candidate_list")),
                (school_id,),
            )
            return [
                {
                    **row,
                    "candidate_id": str(row["candidate_id"]),
                    "created_at": row["created_at"].isoformat(),
                }
                for row in curs.fetchall()
            ]


class CandidateList(Projection[CandidateListView]):
    """Projects candidate file events into the school's list."""

    name = "candidate_list"
    topics = (
        get_topic(CandidateFile.Created),
        get_topic(CandidateFile.EmailValidated),
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, domain_event: CandidateFile.Created, tracking: Tracking) -> None:
        self.view.add(
            {
                "candidate_id": domain_event.originator_id,
                "school_id": domain_event.school_id,
                "neph": domain_event.neph,
                "birth_name": domain_event.birth_name,
                "given_names": domain_event.given_names,
                "status": AWAITING_EMAIL,
                "created_at": domain_event.timestamp,
            },
            tracking,
        )

    @process_event.register
    def _(self, domain_event: CandidateFile.EmailValidated, tracking: Tracking) -> None:
        self.view.set_status(domain_event.originator_id, ACTIVATED, tracking)


READ_MODELS = {"candidate_list": ReadModel(CandidateList, CandidateListView)}
