"""Following an application's notification log, one leader at a time.

The relay, the read-model projections and the notifier's mail sender all do the
same thing: read committed events after a durable position, act on them, record
the new position, and sleep until PostgreSQL says (LISTEN/NOTIFY) that more were
committed. Several replicas may run; a PostgreSQL advisory lock, held on the
listening connection, lets exactly one of them act, and a standby takes over
when that connection drops.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from services.common.db import connect
from services.common.store import ServiceApplication

log = logging.getLogger(__name__)

# How often a sleeping follower checks whether it was asked to stop.
STOP_CHECK_INTERVAL = 0.25


class LogFollower:
    """Base: subclasses say where they stand (`load_position`) and what to do
    with a batch (`handle`); this class leads, reads, waits and recovers."""

    role = "follower"

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

    @property
    def lock_key(self) -> str:
        return f"{self.app.schema}.{self.role}"

    # -- to override ---------------------------------------------------------

    def load_position(self, conn: psycopg.Connection) -> int:
        raise NotImplementedError

    def handle(self, notifications: Sequence[Notification]) -> None:
        """Act on a batch and durably record the position of its last event."""
        raise NotImplementedError

    def on_pause(self) -> None:
        """Called after a failure, before waiting to try again."""

    def on_lead(self) -> None:
        """Called each time this follower becomes the leader."""

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
                conn.close()
            except Exception:
                log.debug("closing %s's connection failed", self.lock_key)

    # -- following -----------------------------------------------------------

    def pump(self) -> int:
        """Handle the next batch after the position; return its size."""
        notifications = self.app.recorder.select_notifications(
            start=self.position,
            limit=self.batch_size,
            topics=self.topics,
            inclusive_of_start=False,
        )
        if notifications:
            self.still_leading()
            self.handle(notifications)
            self.position = notifications[-1].id
        return len(notifications)

    def _wait_for_commit(self, timeout: float, stop: threading.Event) -> None:
        """Sleep until a commit is notified, `timeout` passes or `stop` is set."""
        conn = self.leader_connection
        deadline = time.monotonic() + timeout
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            slice_ = min(left, STOP_CHECK_INTERVAL)
            waiting = conn.notifies(timeout=slice_, stop_after=1)
            notified = next(waiting, None) is not None
            waiting.close()  # the generator holds the connection's lock
            if notified:
                # One read catches up with every commit notified so far:
                # drop the rest instead of letting them pile up.
                backlog = conn.notifies(timeout=0)
                for _ in backlog:
                    pass
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
                            self._wait_for_commit(self.idle_wait, stop)
                except Exception as exc:
                    log.warning("%s paused: %s", self.lock_key, exc)
                    self.on_pause()
                    self.release()
                    stop.wait(self.retry_wait)
        finally:
            self.release()

    def run_until_caught_up(self) -> int:
        """Handle everything committed so far (for tools and tests)."""
        if self._leader is None and not self.try_lead():
            raise RuntimeError(f"another process leads {self.lock_key}")
        total = 0
        while (count := self.pump()) > 0:
            total += count
        return total
