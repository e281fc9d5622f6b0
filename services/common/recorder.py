"""The event store's recorder: eventsourcing's PostgreSQL process recorder,
inserting events as one array per column.

eventsourcing sends a commit's events as one array of a composite type, dumped
as text: every event's state (bytes) is escaped and quoted in Python. On a
hold's commit that dumping was about a twentieth of the booking process's CPU.
Four arrays (ids, versions, topics, states) sent in binary carry the same rows
in the same order for about half the CPU (measured on batches of 5 and 50
events). Everything else (the table lock, the notification, tracking records, the
notification ids returned in order) is eventsourcing's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg import sql


class ColumnarProcessRecorder(PostgresProcessRecorder):
    """eventsourcing's process recorder, with events inserted column-wise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # unnest() of several arrays yields their rows in order, as eventsourcing's
        # single array does: the notification ids come back in the events' order.
        self.insert_columns_statement = sql.SQL(
            "INSERT INTO {schema}.{table}"
            " (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[],"
            " %s::bytea[]) RETURNING notification_id"
        ).format(
            schema=sql.Identifier(self.datastore.schema),
            table=sql.Identifier(self.events_table_name),
            id_type=sql.SQL(self.datastore.originator_id_type),
        )

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            binary=True,
        )
