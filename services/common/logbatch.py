"""Reading a service's notification log a batch at a time (log followers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Notification
from psycopg import sql

NOTHING = sql.SQL("")


def batch_query(
    events: sql.Identifier,
    topics: Sequence[str],
    columns: sql.Composable = NOTHING,
    join: sql.Composable = NOTHING,
    *,
    bounded: bool = False,
) -> sql.Composed:
    """The events of `topics` after %(position)s, %(limit)s of them, in log
    order; `columns` and `join` read more with each event; `bounded`: none
    after %(until)s either.

    The topics are the follower's own: written in the query once rather than
    sent with every read.
    """
    of_topics = sql.SQL(" AND e.topic IN ({})").format(
        sql.SQL(", ").join(sql.Literal(t) for t in topics)
    )
    return sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version,"
        " e.topic, e.state{} FROM {} AS e{} WHERE e.notification_id > %(position)s{}{}"
        " ORDER BY e.notification_id LIMIT %(limit)s"
    ).format(
        columns,
        events,
        join,
        sql.SQL(" AND e.notification_id <= %(until)s") if bounded else NOTHING,
        of_topics if topics else NOTHING,
    )


def notification_of(row: Sequence[Any]) -> Notification:
    """A row of `batch_query` as the notification it stores."""
    id_, originator_id, version, topic, state = row[:5]
    return Notification(
        id=id_,
        originator_id=originator_id,
        originator_version=version,
        topic=topic,
        state=state,
    )
