"""How a follower stands, for readiness and `pmc` (position, lag, parked
events, pause): part of LogFollower.

Apart from follower.py because it only reads: the durable position and the
log, from any replica, leader or not."""

from __future__ import annotations

from typing import Any

from psycopg import sql

# How many events behind a follower may be before readiness calls it degraded.
LAG_TOLERATED = 100
# Lag is counted up to this many events (a count must stay cheap).
LAG_COUNT_LIMIT = 100_000


class FollowerHealth:
    """Part of LogFollower."""

    def stored_position(self) -> int:
        """The durable position, as a leader would read it."""
        with self.app.datastore.get_connection() as conn:
            position = self.load_position(conn)
        if self.parks:
            position = max(position, self.parking.last_position(self.role))
        return position

    def waiting(self, position: int) -> int:
        """How many of this follower's events the log holds after `position`."""
        recorder = self.app.recorder
        of_topics = sql.SQL(" AND topic = ANY(%(topics)s)" if self.topics else "")
        query = sql.SQL(
            "SELECT count(*) AS n FROM (SELECT 1 FROM {} WHERE"
            " notification_id > %(position)s{} LIMIT %(limit)s) AS waiting"
        ).format(sql.Identifier(self.app.schema, recorder.events_table_name), of_topics)
        params = {"position": position, "topics": self.topics, "limit": LAG_COUNT_LIMIT}
        with self.app.datastore.transaction(commit=False) as curs:
            curs.execute(query, params)
            row = curs.fetchone()
        return int(row["n"]) if row else 0

    def health(self, parked: int | None = None) -> dict[str, Any]:
        """Where this follower stands: position, lag, parked events, pause."""
        position = self.stored_position()
        lag = self.waiting(position)
        if parked is None:
            parked = len(self.parking.events(self.role)) if self.parks else 0
        degraded = parked > 0 or lag > LAG_TOLERATED or self.paused_since is not None
        return {
            "name": self.role,
            "status": "degradé" if degraded else "ok",
            "position": position,
            "lag": lag,
            "parked": parked,
            "paused": self.paused_since is not None,
            "paused_since": self.paused_since.isoformat()
            if self.paused_since
            else None,
            "last_error": self.last_error,
            "leading": self._leader is not None,
        }
