"""The outbox relay: publishes a service's committed events from its log.

A service never publishes after saving (a crash in between would lose the
event). The relay follows the service's notification log instead and publishes
every event that has a contract to `<service>.events`, routing key = event type,
in batches whose publisher confirms it awaits before it records how far it got.
Each message is built from the stored event alone (its contract's translation,
services/common/outbox.py), never by loading an aggregate.
So an event is published if and only if it was committed, at least once, and a
restart (of the relay, of RabbitMQ, of PostgreSQL) resumes from the last
confirmed position. Only one relay per service publishes at a time: it holds a
PostgreSQL advisory lock for as long as it runs, and a standby takes over when
that connection drops.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.utils import get_topic
from prometheus_client import Counter, Gauge
from psycopg import sql
from psycopg.rows import tuple_row

from services.common.follower import LogFollower
from services.common.logbatch import notification_of
from services.common.outbox import Outbox
from services.common.publisher import ConfirmingPublisher
from services.common.store import ServiceApplication
from services.common.topology import Subscription, declare_subscription

log = logging.getLogger(__name__)

# Batches published and not yet confirmed, at most: the broker stores one
# while the relay reads and encodes the next.
IN_FLIGHT = 2

PUBLISHED = Counter(
    "pmc_relay_published_total", "Events published by the relay", ["service"]
)
POSITION = Gauge("pmc_relay_position", "Last confirmed log position", ["service"])


class Relay(LogFollower):
    """Follows one service's notification log and publishes it."""

    role = "relay"

    def __init__(
        self,
        app: ServiceApplication,
        amqp_uri: str,
        subscriptions: Iterable[Subscription] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            app, topics=[get_topic(cls) for cls in app.published], **kwargs
        )
        self.source = app.name
        self.subscriptions = [s for s in subscriptions if s.source == self.source]
        self.publisher = ConfirmingPublisher(
            amqp_uri, on_connect=self._declare_subscriptions
        )
        # What each event says on the bus (shared with `pmc republish`).
        self.outbox = Outbox(app)
        self._table = sql.Identifier(app.schema, "relay_position")
        self._record = sql.SQL(
            "INSERT INTO {} (stream, position) VALUES (%s, %s) "
            "ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position"
        ).format(self._table)
        # Batches published, not yet confirmed and recorded, oldest first:
        # (last delivery tag, last log position).
        self._unconfirmed: deque[tuple[int, int]] = deque()
        self._position = POSITION.labels(self.source)
        self._published = PUBLISHED.labels(self.source)

    def load_position(self, conn: psycopg.Connection) -> int:
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} "
                "(stream text PRIMARY KEY, position bigint NOT NULL)"
            ).format(self._table)
        )
        # Tuples whatever the connection's row factory: the leader's own
        # connection and the pool's (dicts, for health) both read it.
        with conn.cursor(row_factory=tuple_row) as cursor:
            row = cursor.execute(
                sql.SQL("SELECT position FROM {} WHERE stream = %s").format(
                    self._table
                ),
                (self.source,),
            ).fetchone()
        position = row[0] if row else 0
        self._position.set(position)
        return position

    def oldest_unpublished(self) -> datetime | None:
        """When the first event not published yet was saved (None: none is
        waiting), read apart from the leading connection (metrics)."""
        with self.app.datastore.get_connection() as conn:
            # The pool's rows are dicts; this class reads tuples.
            rows, conn.row_factory = conn.row_factory, tuple_row
            try:
                position = self.load_position(conn)
                with conn.cursor(binary=True) as cursor:
                    params = {"position": position, "limit": 1}
                    row = cursor.execute(self._batch_query, params).fetchone()
            finally:
                conn.row_factory = rows
        if row is None:
            return None
        return self.app.mapper.to_domain_event(notification_of(row)).timestamp

    def _declare_subscriptions(self, channel: Any) -> None:
        # Every subscriber's queue exists before the first publish, even for a
        # consumer that has never started yet.
        for subscription in self.subscriptions:
            declare_subscription(channel, subscription)

    def on_pause(self) -> None:
        self.publisher.close()

    def release(self) -> None:
        self.publisher.close()
        super().release()

    def on_lead(self) -> None:
        # The position is written once per batch, after its confirms: not
        # waiting for its WAL flush saves a disk sync per batch. A position a
        # PostgreSQL crash loses is an older one, whose events are published
        # again (at least once), never skipped.
        self.leader_connection.execute("SET synchronous_commit = off")
        self._unconfirmed.clear()
        # A leader that cannot reach the broker gives the lead back at once.
        self.publisher.connect()

    def pump(self) -> int:
        """Publish the next batch; record each batch's position once confirmed.

        Up to `IN_FLIGHT` batches are unconfirmed at a time: the broker stores
        and confirms one while the relay reads and encodes the next, and a
        batch's position is recorded only after all its confirms (and so its
        predecessors'). Idle, nothing is left unconfirmed. A failure anywhere
        pauses the relay, which leads again from the recorded position: what
        was unconfirmed is published again (at least once), nothing skipped.
        """
        notifications = self.next_batch()
        encoded = self.outbox.encode_all(notifications) if notifications else []
        if notifications:
            while len(self._unconfirmed) >= IN_FLIGHT:
                self._record_oldest()
            last_tag = self.publisher.publish(self.source, encoded)
            self._unconfirmed.append((last_tag, notifications[-1].id))
            self.position = notifications[-1].id
            self._published.inc(len(notifications))
        if len(notifications) < self.batch_size:
            while self._unconfirmed:
                self._record_oldest()
        return len(notifications)

    def _record_oldest(self) -> None:
        """Wait for the oldest unconfirmed batch's confirms; record its position."""
        last_tag, position = self._unconfirmed[0]
        self.publisher.await_confirms(last_tag)
        self._unconfirmed.popleft()
        self.leader_connection.execute(
            self._record, (self.source, position), prepare=True
        )
        self._position.set(position)
