"""The read model of digital-identity requests under check (ID-7): which
requests wait for the post office, the mail carrier or the online reviewer,
and until when. The online reviewer's queue reads it, and so does the sweep
that ends the requests whose deadline passed.

It holds ids, the mode and times only: who asked stays in the aggregate,
sealed with the account's key."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.common.view import ReadModelView
from services.identity.candidate_account import CandidateAccount
from services.identity.digital_identity import (
    FILES_AWAITED,
    MAIL_CARRIER,
    ONLINE,
    POST_OFFICE,
    DigitalIdentity,
)

TABLE = "checks_under_way"


class ChecksUnderWayView(ReadModelView):
    """One row per request under check: its id, mode, deadline and when it
    was put under check."""

    tables = (TABLE,)

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (identity_id uuid PRIMARY KEY,"
                " mode text NOT NULL, deadline timestamptz NOT NULL,"
                " submitted_at timestamptz NOT NULL)"
            ).format(self.table(TABLE)),
            # The queue and the sweep both read by deadline.
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (deadline)").format(
                sql.Identifier(f"{TABLE}_deadline"), self.table(TABLE)
            ),
        ]

    def start(
        self,
        identity_id: UUID,
        mode: str,
        deadline: datetime,
        submitted_at: datetime,
        tracking: Tracking,
    ) -> None:
        # A new request after an ended one reuses the identity's id.
        self.write(
            sql.SQL(
                "INSERT INTO {} (identity_id, mode, deadline, submitted_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (identity_id) DO UPDATE SET"
                " mode = EXCLUDED.mode, deadline = EXCLUDED.deadline,"
                " submitted_at = EXCLUDED.submitted_at"
            ).format(self.table(TABLE)),
            (identity_id, mode, deadline, submitted_at),
            tracking,
        )

    def finish(self, identity_id: UUID, tracking: Tracking) -> None:
        self.delete_row(TABLE, ("identity_id", identity_id), tracking)

    def online_queue(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Online requests still within their deadline, the most urgent first."""
        return self._rows(
            "WHERE mode = %s AND deadline > %s ORDER BY deadline, identity_id LIMIT %s",
            (ONLINE, now, limit),
        )

    def overdue(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Requests whose deadline passed, the oldest first."""
        return self._rows(
            "WHERE deadline < %s ORDER BY deadline, identity_id LIMIT %s",
            (now, limit),
        )

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        query = sql.SQL(
            "SELECT identity_id, mode, deadline, submitted_at FROM {} " + where
        ).format(self.table(TABLE))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            return list(curs.fetchall())


class ChecksUnderWay(Projection[ChecksUnderWayView]):
    name = TABLE
    topics = (
        get_topic(DigitalIdentity.PostOfficeChosen),
        get_topic(DigitalIdentity.CarrierChosen),
        get_topic(DigitalIdentity.OnlineChosen),
        get_topic(DigitalIdentity.OnlineSubmitted),
        get_topic(DigitalIdentity.Checked),
        get_topic(DigitalIdentity.Refused),
        get_topic(CandidateAccount.FileRemoved),
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.PostOfficeChosen, tracking: Tracking) -> None:
        self._start(e, POST_OFFICE, tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.CarrierChosen, tracking: Tracking) -> None:
        self._start(e, MAIL_CARRIER, tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.OnlineChosen, tracking: Tracking) -> None:
        # Not the reviewer's yet (the queue lists `ONLINE` rows): the sweep's,
        # should the files never come within the registered e-letter's life.
        self._start(e, FILES_AWAITED, tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.OnlineSubmitted, tracking: Tracking) -> None:
        self._start(e, ONLINE, tracking)

    def _start(self, e: Any, mode: str, tracking: Tracking) -> None:
        # The events carry no submission time of their own: the moment they
        # were stored is it (as the other read models' `created_at`).
        self.view.start(e.originator_id, mode, e.deadline, e.timestamp, tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.Checked, tracking: Tracking) -> None:
        self.view.finish(e.originator_id, tracking)

    @process_event.register
    def _(self, e: DigitalIdentity.Refused, tracking: Tracking) -> None:
        self.view.finish(e.originator_id, tracking)

    @process_event.register
    def _(self, e: CandidateAccount.FileRemoved, tracking: Tracking) -> None:
        # An erased account's request is nobody's to check or to end: its
        # data and contact are forgotten with the account's key.
        if getattr(e, "closes", False):
            identity_id = DigitalIdentity.create_id(e.originator_id)
            self.view.finish(identity_id, tracking)
        else:
            self.view.insert_tracking(tracking)
