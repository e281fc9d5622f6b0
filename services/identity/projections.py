"""Read models of identity: the sessions that were revoked, which every
gateway loads when it starts or reconnects (its events follow on the bus);
the digital-identity requests under check (services/identity/checks_under_way.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic
from psycopg import sql

from services.common.projection import ReadModel
from services.common.view import ReadModelView
from services.identity.checks_under_way import ChecksUnderWay, ChecksUnderWayView
from services.identity.domain import Account, EndedSession

# Ended sessions kept past their expiry, so that a clock set back a little
# (tests travel in time) never brings one back to life.
ENDED_KEPT = timedelta(days=1)


class RevocationView(ReadModelView):
    """Per account, the newest revoked generation; every ended session."""

    tables = ("revoked_generations", "ended_sessions")

    def create_statements(self) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (account_id uuid PRIMARY KEY,"
                " generation integer NOT NULL, revoked_at timestamptz NOT NULL)"
            ).format(self.table("revoked_generations")),
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (session_id text PRIMARY KEY,"
                " account_id uuid NOT NULL, expires_at timestamptz NOT NULL)"
            ).format(self.table("ended_sessions")),
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (expires_at)").format(
                sql.Identifier("ended_sessions_expiry"),
                self.table("ended_sessions"),
            ),
        ]

    def revoke(
        self, account_id: Any, generation: int, at: datetime, tracking: Tracking
    ) -> None:
        # The newest generation wins, whatever order events are applied in.
        self.write(
            sql.SQL(
                "INSERT INTO {0} (account_id, generation, revoked_at)"
                " VALUES (%s, %s, %s) ON CONFLICT (account_id) DO UPDATE SET"
                " generation = EXCLUDED.generation, revoked_at = EXCLUDED.revoked_at"
                " WHERE {0}.generation < EXCLUDED.generation"
            ).format(self.table("revoked_generations")),
            (account_id, generation, at),
            tracking,
        )

    def end(
        self,
        session_id: str,
        account_id: Any,
        expires_at: datetime,
        at: datetime,
        tracking: Tracking,
    ) -> None:
        table = self.table("ended_sessions")
        with self.cursor() as curs:
            curs.execute(
                sql.SQL("DELETE FROM {} WHERE expires_at < %s").format(table),
                (at - ENDED_KEPT,),
            )
            curs.execute(
                sql.SQL(
                    "INSERT INTO {} (session_id, account_id, expires_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(table),
                (session_id, account_id, expires_at),
            )
            self._insert_tracking(curs, tracking)

    def current(self, now: datetime, lifetime: timedelta) -> dict[str, list[dict]]:
        """What still matters at `now`: a revoked generation while tokens of
        the older ones may live, an ended session until its token expires."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT account_id, generation, revoked_at FROM {}"
                    " WHERE revoked_at > %s"
                ).format(self.table("revoked_generations")),
                (now - lifetime,),
            )
            revoked = curs.fetchall()
            curs.execute(
                sql.SQL(
                    "SELECT session_id, account_id, expires_at FROM {}"
                    " WHERE expires_at > %s"
                ).format(self.table("ended_sessions")),
                (now,),
            )
            ended = curs.fetchall()
        return {
            "sessions_revoked": [
                {
                    "account_id": str(r["account_id"]),
                    "generation": r["generation"],
                    "revoked_at": r["revoked_at"].isoformat(),
                    "expires_at": (r["revoked_at"] + lifetime).isoformat(),
                }
                for r in revoked
            ],
            "sessions_ended": [
                {
                    "account_id": str(r["account_id"]),
                    "session_id": r["session_id"],
                    "expires_at": r["expires_at"].isoformat(),
                }
                for r in ended
            ],
        }


class Revocations(Projection[RevocationView]):
    name = "revocations"
    topics = (
        get_topic(Account.PasswordChanged),
        get_topic(Account.PasswordReset),
        get_topic(EndedSession.Ended),
    )

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, e: Account.PasswordChanged, tracking: Tracking) -> None:
        self._revoke(e, tracking)

    @process_event.register
    def _(self, e: Account.PasswordReset, tracking: Tracking) -> None:
        self._revoke(e, tracking)

    def _revoke(self, e: Any, tracking: Tracking) -> None:
        revoked = new_generation(e)
        if revoked is None:
            self.view.insert_tracking(tracking)
            return
        generation, at = revoked
        self.view.revoke(e.originator_id, generation, at, tracking)

    @process_event.register
    def _(self, e: EndedSession.Ended, tracking: Tracking) -> None:
        self.view.end(e.session_id, e.account_id, e.expires_at, e.ended_at, tracking)


def new_generation(e: Any) -> tuple[int, datetime] | None:
    """(generation, when) a new password started, as its stored event says;
    None for events stored before they said it (the tokens of those days carry
    no session id: the gateway refuses them all)."""
    generation = getattr(e, "generation", None)
    if generation is None:
        return None
    at = e.reset_at if isinstance(e, Account.PasswordReset) else e.changed_at
    return generation, at


READ_MODELS = {
    "revocations": ReadModel(Revocations, RevocationView),
    "checks_under_way": ReadModel(ChecksUnderWay, ChecksUnderWayView),
}
