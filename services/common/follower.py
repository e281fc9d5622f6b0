"""Following an application's notification log, one leader at a time.

The relay, the read-model projections and the notifier's mail sender all do the
same thing: read committed events after a durable position, act on them, record
the new position, and sleep until PostgreSQL says (LISTEN/NOTIFY) that more were
committed. Several replicas may run; a PostgreSQL advisory lock, held on the
listening connection, lets exactly one of them act, and a standby takes over
when that connection drops.

An outage pauses a follower on the batch it could not finish, and it tries
again. An event it cannot apply at all (see `parking.is_event_error`) would
stop it for ever: followers that act one event at a time (`parks = True`)
park such an event instead and go on (TR-2).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from services.common.db import connect
from services.common.follower_health import FollowerHealth
from services.common.follower_parking import RETRY_SIGNAL, Parking
from services.common.logbatch import NOTHING, batch_query, notification_of
from services.common.parking import ParkingLot, describe
from services.common.store import ServiceApplication

log = logging.getLogger(__name__)

# How often a sleeping follower checks whether it was asked to stop.
STOP_CHECK_INTERVAL = 0.25


class LogFollower(Parking, FollowerHealth):
    """Base: subclasses say where they stand (`load_position`) and what to do
    with a batch (`handle`); this class leads, reads, waits and recovers
    (parking in follower_parking.py, health in follower_health.py)."""

    role = "follower"
    # Whether an event this follower cannot apply is parked (it then acts one
    # event at a time through `apply`). The relay only publishes, in batches:
    # it never parks, whatever fails.
    parks: ClassVar[bool] = False
    # Errors this follower's events cause beyond `parking.EVENT_ERRORS`.
    event_errors: ClassVar[tuple[type[BaseException], ...]] = ()

    def __init__(
        self,
        app: ServiceApplication,
        topics: Sequence[str] = (),
        batch_size: int = 500,
        idle_wait: float = 1.0,
        retry_wait: float = 1.0,
    ) -> None:
        self.app = app
        self.topics = list(topics)
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.retry_wait = retry_wait
        self.position = 0
        self._leader: psycopg.Connection | None = None
        self._parking: ParkingLot | None = None
        self._retry_wanted = False
        # Why this follower last paused, and since when (None: it is not).
        self.last_error: str | None = None
        self.paused_since: datetime | None = None

    @property
    def lock_key(self) -> str:
        return f"{self.app.schema}.{self.role}"

    # -- to override ---------------------------------------------------------

    def load_position(self, conn: psycopg.Connection) -> int:
        raise NotImplementedError

    def handle(self, notifications: Sequence[Notification]) -> None:
        """Act on a batch and durably record the position of its last event.

        By default, one event at a time, parking those that cannot be applied.
        """
        for notification in notifications:
            self.apply_or_park(notification)

    def apply(self, notification: Notification) -> None:
        """Act on one event and durably record its position, atomically.

        Applying an event whose position is recorded already must change
        nothing (raise AlreadyProcessed or do nothing): a parked event may be
        retried after a crash that followed its application.
        """
        raise NotImplementedError

    def applied(self, notification_id: int) -> bool:
        """Whether the event at this position was applied (recorded) already."""
        return False

    def on_pause(self) -> None:
        """Called after a failure, before waiting to try again."""

    def on_lead(self) -> None:
        """Called each time this follower becomes the leader."""

    def on_signals(self, payloads: set[str]) -> None:
        """Called with the payloads of the NOTIFYs a waiting leader received."""

    def on_caught_up(self) -> None:
        """Called by the leader between two batches, once it is at the log's
        head: nothing is in flight (see services/common/rebuild.py)."""

    # -- leading ---------------------------------------------------------------

    def try_lead(self) -> bool:
        conn = connect(self.app.settings)
        try:
            got = conn.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (self.lock_key,)
            ).fetchone()
            if not got or not got[0]:
                conn.close()
                return False
            channel = self.app.recorder.channel_name
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.position = self.load_position(conn)
            if self.parks:
                # A parked event's row is its position: the events after it
                # were applied, the parked one is set aside, none is skipped.
                self.position = max(
                    self.position, self.parking.last_position(self.role)
                )
                self._retry_wanted = True  # requests made while nobody led
            self._leader = conn
            self.on_lead()
        except Exception:
            self._leader = None
            conn.close()  # closing the connection gives the lock back
            raise
        return True

    @property
    def leader_connection(self) -> psycopg.Connection:
        if self._leader is None:
            raise RuntimeError(f"{self.lock_key} is not leading")
        return self._leader

    def still_leading(self) -> None:
        """Raise unless the connection that holds the lock is alive.

        Checked before acting, so that a follower whose connection was cut (and
        whose lock a standby may hold by now) stops instead of acting twice.
        """
        self.leader_connection.execute("SELECT 1")

    def release(self) -> None:
        conn, self._leader = self._leader, None
        if conn is not None:
            try:
                # Given back now: closing alone leaves the lock held until the
                # server's backend has exited, after close() returns, and a
                # process taking over at once would find it still led.
                conn.execute("SELECT pg_advisory_unlock_all()")
            except Exception:
                log.debug("unlocking %s failed (closed with it)", self.lock_key)
            try:
                conn.close()
            except Exception:
                log.debug("closing %s's connection failed", self.lock_key)

    # -- following -----------------------------------------------------------

    def batch_query(
        self, columns: sql.Composable = NOTHING, join: sql.Composable = NOTHING
    ) -> sql.Composed:
        """The query of the next batch (see `logbatch.batch_query`)."""
        events = sql.Identifier(self.app.schema, self.app.recorder.events_table_name)
        return batch_query(events, self.topics, columns, join)

    @cached_property
    def _batch_query(self) -> sql.Composed:
        return self.batch_query()

    def next_rows(self) -> list[tuple[Any, ...]]:
        """The rows of the next events after the position, in log order.

        Read over the connection that holds the lock: the one round trip also
        proves this follower still leads (see `still_leading`) before it acts.
        """
        params = {"position": self.position, "limit": self.batch_size}
        # Binary rows: the state (bytea) arrives as is, not hex to decode.
        with self.leader_connection.cursor(binary=True) as cursor:
            return cursor.execute(self._batch_query, params, prepare=True).fetchall()

    def next_batch(self) -> list[Notification]:
        """The next events after the position, in log order."""
        return [notification_of(row) for row in self.next_rows()]

    def pump(self) -> int:
        """Handle the next batch after the position; return its size."""
        notifications = self.next_batch()
        if notifications:
            self.handle(notifications)
            self.position = notifications[-1].id
        return len(notifications)

    def _wait_for_commit(self, timeout: float, stop: threading.Event) -> None:
        """Sleep until a commit is notified, `timeout` passes or `stop` is set."""
        conn = self.leader_connection
        deadline = time.monotonic() + timeout
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            slice_ = min(left, STOP_CHECK_INTERVAL)
            # Read to the end: several notifications can come in one packet,
            # and closing the generator after the first would drop the others
            # (a retry request among them would wait for the next lead).
            arrived = list(conn.notifies(timeout=slice_, stop_after=1))
            if arrived:
                # One read catches up with every commit notified so far:
                # drop the rest instead of letting them pile up.
                arrived += conn.notifies(timeout=0)
                payloads = {notify.payload for notify in arrived}
                if RETRY_SIGNAL in payloads:
                    self._retry_wanted = True
                self.on_signals(payloads)
                return

    def run(self, stop: threading.Event) -> None:
        """Lead (or stand by) and follow the log until `stop` is set.

        Any failure (PostgreSQL, RabbitMQ, SMTP, …) gives the lead back and
        starts over after `retry_wait`: leading again re-reads the durable
        position, so the failed batch is retried and nothing is skipped.
        """
        try:
            while not stop.is_set():
                try:
                    if self._leader is None and not self.try_lead():
                        stop.wait(self.retry_wait)
                        continue
                    while not stop.is_set():
                        if self.pump() < self.batch_size:
                            self._resumed()
                            if self.parks and self._retry_wanted:
                                self._serve_retry_requests()
                            self.on_caught_up()
                            self._wait_for_commit(self.idle_wait, stop)
                except Exception as exc:
                    log.warning("%s paused: %s", self.lock_key, exc)
                    self.last_error = describe(exc)
                    if self.paused_since is None:
                        self.paused_since = datetime.now(UTC)
                    self.on_pause()
                    self.release()
                    stop.wait(self.retry_wait)
        finally:
            self.release()

    def _resumed(self) -> None:
        if self.paused_since is not None:
            log.info("%s resumed", self.lock_key)
        self.paused_since = None

    def run_until_caught_up(self) -> int:
        """Handle everything committed so far (for tools and tests)."""
        if self._leader is None and not self.try_lead():
            raise RuntimeError(f"another process leads {self.lock_key}")
        total = 0
        while (count := self.pump()) > 0:
            total += count
        return total
