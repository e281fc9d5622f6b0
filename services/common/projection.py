"""Read models: eventsourcing projections into tables of the service's schema,
kept current by a log follower and rebuilt from the log on demand (OP-1).

An event a projection cannot apply is parked and the projection goes on
(TR-2); retried once fixed, it is applied and unparked in one transaction, and
the tracking record of its position makes a second application impossible.

A follower applies a whole batch of events in one transaction (one commit, not
one per event, its writes held and sent at once: batch_writes.py); if any of
them fails, the batch is rolled back and applied again one event at a time, so
that only the bad event is parked.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property, singledispatchmethod
from typing import Any

import psycopg
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.projection import Projection
from psycopg import sql

from services.common.batch_writes import HeldWrites
from services.common.follower import LogFollower
from services.common.parking import describe
from services.common.store import ServiceApplication
from services.common.view import ReadModelView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadModel:
    """A projection and the view it writes, as a service declares them."""

    projection_cls: type[Projection[Any]]
    view_cls: type[ReadModelView]

    def follower(self, app: ServiceApplication, **kwargs: Any) -> ProjectionFollower:
        name = self.projection_cls.name
        view = self.view_cls(app.datastore, name)
        # Projections of sealed personal data open it with the service's keys.
        view.vault = app.vault
        view.create_table()
        return ProjectionFollower(app, self.projection_cls(view=view), **kwargs)


class ProjectionFollower(LogFollower):
    """Feeds one projection from its application's log."""

    parks = True

    def __init__(
        self, app: ServiceApplication, projection: Projection[Any], **kwargs: Any
    ) -> None:
        super().__init__(app, topics=projection.topics, **kwargs)
        self.projection = projection
        self.role = f"projection.{projection.name}"
        self.on_progress: Callable[[int], None] | None = None
        # Whether a model rebuilt aside may wait to be swapped in (rebuild.py).
        self._swap_wanted = False

    @property
    def view(self) -> ReadModelView:
        return self.projection.view

    def load_position(self, conn: psycopg.Connection) -> int:
        return self.view.max_tracking_id(self.app.name) or 0

    # A model rebuilt aside is swapped in by the leader, between two batches.

    def on_lead(self) -> None:
        self._swap_wanted = True  # a request made while nobody led

    def on_signals(self, payloads: set[str]) -> None:
        from services.common.rebuild import SWAP_SIGNAL

        if SWAP_SIGNAL in payloads:
            self._swap_wanted = True

    def on_caught_up(self) -> None:
        if self._swap_wanted:
            from services.common.rebuild import serve_swap_request

            self._swap_wanted = not serve_swap_request(self)

    def handle(self, notifications: Sequence[Notification]) -> None:
        try:
            events = self.decode(notifications)
            with self._batch_keys(events), self.view.batch():
                self.project(notifications, events)
        except Exception as exc:
            self.one_by_one(notifications, exc)
        if self.on_progress is not None:
            self.on_progress(len(notifications))

    def hold(self, notifications: Sequence[Notification]) -> HeldWrites | None:
        """A batch projected into writes held for `view.commit_held`; None if
        it must be applied the usual way (`handle`): an event failed, or the
        projection reads its view while it writes (replay.py)."""
        try:
            events = self.decode(notifications)
            with self._batch_keys(events), self.view.holding() as writes:
                self.project(notifications, events)
        except Exception:
            return None
        return writes

    def one_by_one(
        self, notifications: Sequence[Notification], why: BaseException
    ) -> None:
        """A batch rolled back whole, applied again one event at a time, as
        the base class does: the bad event is parked alone (or the follower
        pauses on an outage)."""
        log.info(
            "%s applies %d events one by one: %s",
            self.lock_key,
            len(notifications),
            describe(why),
        )
        super().handle(notifications)

    def decode(self, notifications: Sequence[Notification]) -> list[Any]:
        return [self.app.mapper.to_domain_event(n) for n in notifications]

    def project(self, notifications: Sequence[Notification], events: list) -> None:
        name, process = self.app.name, self._process
        for notification, event in zip(notifications, events, strict=True):
            process(event, Tracking(name, notification.id))

    @cached_property
    def _process(self) -> Callable[[Any, Tracking], None]:
        """The projection's `process_event`, its handler looked up once per
        class of event: a singledispatchmethod builds a new bound wrapper at
        every call, a cost a rebuild pays once per event."""
        method = inspect.getattr_static(self.projection, "process_event", None)
        if not isinstance(method, singledispatchmethod):
            return self.projection.process_event
        dispatch, projection = method.dispatcher.dispatch, self.projection
        handlers: dict[type, Callable[..., None]] = {}

        def process(event: Any, tracking: Tracking) -> None:
            cls = type(event)
            handler = handlers.get(cls)
            if handler is None:
                handler = handlers[cls] = dispatch(cls)
            handler(projection, event, tracking)

        return process

    def _batch_keys(self, events: Sequence[Any]) -> Any:
        """The keys of the subjects the projection says a batch needs, read
        in one query (a projection opening sealed data would otherwise read
        one key per event: most of a rebuild's time)."""
        subjects = getattr(self.projection, "subjects", None)
        vault = getattr(self.view, "vault", None)
        if subjects is None or vault is None:
            return nullcontext()
        return vault.unsealing_with(vault.keys_of(subjects(events)))

    def apply(self, notification: Notification) -> None:
        event = self.app.mapper.to_domain_event(notification)
        self.projection.process_event(event, Tracking(self.app.name, notification.id))

    def applied(self, notification_id: int) -> bool:
        return self.view.recorded(self.app.name, notification_id)

    def apply_parked(self, notification: Notification) -> None:
        self.view.unparking = (self.parking, self.role, notification.id)
        try:
            self.apply(notification)
        finally:
            self.view.unparking = None

    def rebuild(
        self,
        on_progress: Callable[[int], None] | None = None,
        workers: int | None = None,
    ) -> int:
        """Empty the read model and replay the whole log into it, on `workers`
        processes (services/common/replay.py)."""
        if self._leader is None and not self.try_lead():
            raise RuntimeError(f"another process leads {self.lock_key}; stop it first")
        self.view.reset()
        self.parking.clear(self.role)  # what still fails is parked again
        self.position = 0
        self.on_progress = on_progress
        try:
            from services.common.replay import replay

            return replay(self, workers) + self.run_until_caught_up()
        finally:
            self.on_progress = None

    def events_to_replay(self) -> int:
        """How many events of this projection's topics the log holds."""
        recorder = self.app.recorder
        query = sql.SQL("SELECT count(*) FROM {} WHERE topic = ANY(%s)").format(
            sql.Identifier(self.app.schema, recorder.events_table_name)
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(query, (list(self.topics),))
            row = curs.fetchone()
        return int(row["count"]) if row else 0
