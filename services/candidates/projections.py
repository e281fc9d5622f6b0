"""Read models of candidate files: the school's list, searchable (CA-5).

It holds personal data in clear (to search by name), so an expired file's row
is deleted, not updated: erasure reaches the read model too.
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.candidates.domain import (
    ACTIVATED,
    ARCHIVED,
    AWAITING_EMAIL,
    REFUSED,
    CandidateFile,
)
from services.common.projection import ReadModel, ReadModelView
from services.common.text import fold

COLUMNS = (
    "candidate_id",
    "school_id",
    "neph",
    "civility",
    "birth_name",
    "usage_name",
    "given_names",
    "birth_date",
    "email",
    "contact",
    "status",
    "email_to_validate",
    "search_text",
    "created_at",
    "expires_at",
)


class CandidateListView(ReadModelView):
    """One row per live candidate file: what the school's list shows."""

    tables = ("candidate_list",)

    def create_statements(self) -> list[sql.Composable]:
        table = self.table("candidate_list")
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " candidate_id uuid PRIMARY KEY,"
                " school_id text NOT NULL,"
                " neph text NOT NULL,"
                " civility text, birth_name text, usage_name text, given_names text,"
                " birth_date text, email text,"
                " contact text NOT NULL,"
                " status text NOT NULL,"
                " email_to_validate boolean NOT NULL DEFAULT false,"
                " search_text text NOT NULL DEFAULT '',"
                " created_at timestamptz NOT NULL,"
                " expires_at timestamptz NOT NULL)"
            ).format(table),
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (school_id, created_at)"
            ).format(sql.Identifier("candidate_list_school"), table),
        ]

    def add(self, row: dict[str, Any], tracking: Tracking) -> None:
        self.insert_row("candidate_list", row, tracking)

    def update(self, candidate_id: UUID, changes: dict, tracking: Tracking) -> None:
        key = ("candidate_id", candidate_id)
        self.update_row("candidate_list", key, changes, tracking)

    def delete(self, candidate_id: UUID, tracking: Tracking) -> None:
        self.delete_row("candidate_list", ("candidate_id", candidate_id), tracking)

    def search(self, school_id: str, text: str = "") -> list[dict[str, Any]]:
        """The school's files, by name (birth or usage) or NEPH (CA-5)."""
        query = sql.SQL(
            "SELECT * FROM {} WHERE school_id = %(school)s AND (%(text)s = ''"
            " OR neph LIKE %(prefix)s OR search_text LIKE %(like)s)"
            " ORDER BY created_at DESC"
        ).format(self.table("candidate_list"))
        needle = text.strip()
        params = {
            "school": school_id,
            "text": needle,
            "prefix": f"{needle}%",
            "like": f"%{fold(needle)}%",
        }
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            return [_row(r) for r in curs.fetchall()]

    def overdue(self, now: datetime) -> list[UUID]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT candidate_id FROM {} WHERE status = %s AND expires_at < %s"
                ).format(self.table("candidate_list")),
                (AWAITING_EMAIL, now),
            )
            return [r["candidate_id"] for r in curs.fetchall()]


def _row(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("search_text", None)
    return {
        **row,
        "candidate_id": str(row["candidate_id"]),
        "created_at": row["created_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat(),
    }


class CandidateList(Projection[CandidateListView]):
    """Projects candidate file events into the school's list."""

    name = "candidate_list"
    topics = tuple(
        get_topic(cls)
        for cls in (
            CandidateFile.Created,
            CandidateFile.Confirmed,
            CandidateFile.Refused,
            CandidateFile.EmailValidated,
            CandidateFile.ContactChanged,
            CandidateFile.Expired,
            CandidateFile.Archived,
        )
    )

    def _personal(self, candidate_id: UUID, sealed: str | None) -> dict[str, Any]:
        opened = self.view.vault.unseal(candidate_id, sealed) if sealed else None
        return opened or {}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: CandidateFile.Created, tracking: Tracking) -> None:
        personal = self._personal(e.originator_id, e.personal)
        row = {c: personal.get(c) for c in COLUMNS}
        row.update(
            candidate_id=e.originator_id,
            school_id=e.school_id,
            neph=e.neph,
            contact=e.contact,
            status=AWAITING_EMAIL,
            email_to_validate=False,
            search_text=fold(
                " ".join(
                    personal.get(k) or ""
                    for k in ("birth_name", "usage_name", "given_names")
                )
            ),
            created_at=e.timestamp,
            expires_at=e.expires_at,
        )
        self.view.add(row, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Confirmed, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": ACTIVATED}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Refused, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": REFUSED}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Archived, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"status": ARCHIVED}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.EmailValidated, tracking: Tracking) -> None:
        self.view.update(e.originator_id, {"email_to_validate": False}, tracking)

    @process_event.register
    def _(self, e: CandidateFile.ContactChanged, tracking: Tracking) -> None:
        personal = self._personal(e.originator_id, e.personal)
        changes = {"email": personal.get("email"), "contact": e.contact}
        if e.revalidate:
            changes["email_to_validate"] = True
        self.view.update(e.originator_id, changes, tracking)

    @process_event.register
    def _(self, e: CandidateFile.Expired, tracking: Tracking) -> None:
        self.view.delete(e.originator_id, tracking)


READ_MODELS = {"candidate_list": ReadModel(CandidateList, CandidateListView)}
