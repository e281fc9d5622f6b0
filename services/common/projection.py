"""Read models: eventsourcing projections into tables of the service's schema,
kept current by a log follower and rebuilt from the log on demand (OP-1).

An event a projection cannot apply is parked and the projection goes on
(TR-2); retried once fixed, it is applied and unparked in one transaction, and
the tracking record of its position makes a second application impossible.

A follower applies a whole batch of events in one transaction (one commit, not
one per event); if any of them fails, the batch is rolled back and applied
again one event at a time, so that only the bad event is parked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import sql

from services.common.follower import LogFollower
from services.common.parking import ParkingLot, describe
from services.common.store import ServiceApplication

log = logging.getLogger(__name__)


class _HeldWrites:
    """A batch's writes not sent yet: runs of one statement, and positions."""

    def __init__(self) -> None:
        self.runs: list[tuple[Any, list[Any]]] = []
        self.tracking: list[Tracking] = []

    def hold(self, query: Any, params: Any) -> None:
        if self.runs and self.runs[-1][0] is query:
            self.runs[-1][1].append(params)
        else:
            self.runs.append((query, [params]))

    def send(self, curs: Any, view: ReadModelView) -> None:
        runs, self.runs = self.runs, []
        for query, params in runs:
            if len(params) == 1:
                curs.execute(query, params[0])
            elif not view._insert_rows(curs, query, params):
                curs.executemany(query, params)
        trackings, self.tracking = self.tracking, []
        if trackings:
            view._insert_trackings(curs, trackings)


class ReadModelView(PostgresTrackingRecorder):
    """A materialised view: its own tables plus the position it has reached."""

    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, datastore: PostgresDatastore, name: str) -> None:
        super().__init__(datastore, tracking_table_name=f"{name}_tracking")
        self.sql_create_statements.extend(self.create_statements())
        # Set while a parked event is applied again: (lot, follower, position).
        self.unparking: tuple[ParkingLot, str, int] | None = None
        # The open batch's cursor, per thread: the service's requests read
        # the view while its follower writes a batch, and must not share it.
        self._batch = threading.local()
        self._statements: dict[tuple[str, tuple[str, ...]], sql.Composed] = {}
        self._row_inserts: dict[int, tuple[str, tuple[str, ...]]] = {}

    def create_statements(self) -> list[sql.Composable]:
        raise NotImplementedError

    def table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema, name)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Put every write this thread makes inside into one transaction,
        committed at the end, or rolled back whole if anything raises.

        Writes are held back and sent as one `executemany` per run of the same
        statement (and the tracking records as one), in their order, just
        before anything reads the view and at the end: a batch's inserts cost
        one pipelined statement, not a round trip each."""
        with (
            self.datastore.transaction(commit=True) as curs,
            curs.connection.pipeline(),
        ):
            self._batch.cursor = curs
            self._batch.writes = _HeldWrites()
            try:
                yield
                self._batch.writes.send(curs, self)
            finally:
                self._batch.cursor = None
                self._batch.writes = None

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """Where a projection writes (and reads what it wrote): the open
        batch's cursor (its held writes sent first), else a transaction of
        its own, committed on exit."""
        batch = getattr(self._batch, "cursor", None)
        if batch is not None:
            self._batch.writes.send(batch, self)
            yield batch
            return
        with self.datastore.transaction(commit=True) as curs:
            yield curs

    def write(self, query: sql.Composable, params: Any, tracking: Tracking) -> None:
        """Change the view and record the event's position in one transaction."""
        writes = getattr(self._batch, "writes", None)
        if writes is not None and self.unparking is None:
            writes.hold(query, params)
            writes.tracking.append(tracking)
            return
        with self.cursor() as curs:
            curs.execute(query, params)
            self._insert_tracking(curs, tracking)

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record the position of an event that changes nothing here."""
        with self.cursor() as curs:
            self._insert_tracking(curs, tracking)

    def _insert_tracking(self, curs: Any, tracking: Tracking) -> None:
        writes = getattr(self._batch, "writes", None)
        if writes is not None and self.unparking is None:
            writes.tracking.append(tracking)
            return
        # Every write of a projection records its position here, in the
        # write's own transaction: where a retried event leaves the parking lot.
        super()._insert_tracking(curs, tracking)
        if self.unparking is not None:
            lot, follower, position = self.unparking
            if tracking.notification_id == position:
                lot.remove(curs, follower, position)

    def _insert_trackings(self, curs: Any, trackings: list[Tracking]) -> None:
        # One statement for a batch's positions (their order in the table's
        # columns: application name, notification id).
        self._check_has_multi_row_tracking_table(curs)
        by_app: dict[str, list[int]] = {}
        for t in trackings:
            by_app.setdefault(t.application_name, []).append(t.notification_id)
        query = sql.SQL("INSERT INTO {} SELECT %s, unnest(%s::bigint[])").format(
            self.table(self.tracking_table_name)
        )
        for application_name, positions in by_app.items():
            curs.execute(query, (application_name, positions))

    def recorded(self, application_name: str, notification_id: int) -> bool:
        """Whether this exact position was applied (eventsourcing's own check
        only says whether a later one was)."""
        query = sql.SQL(
            "SELECT 1 FROM {} WHERE application_name = %s AND notification_id = %s"
        ).format(self.table(self.tracking_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, (application_name, notification_id))
            return curs.fetchone() is not None

    def insert_row(self, table: str, row: dict[str, Any], tracking: Tracking) -> None:
        self.write(self._insert_statement(table, tuple(row)), row, tracking)

    def _insert_statement(self, table: str, columns: tuple[str, ...]) -> sql.Composed:
        # The same object for each (table, columns): a batch's held inserts
        # of one kind form one run, sent as one statement (_insert_rows).
        key = (table, columns)
        statement = self._statements.get(key)
        if statement is None:
            statement = sql.SQL(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING"
            ).format(
                self.table(table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(map(sql.Placeholder, columns)),
            )
            self._statements[key] = statement
            self._row_inserts[id(statement)] = key
        return statement

    def _insert_rows(self, curs: Any, statement: Any, rows: list[dict]) -> bool:
        """A run of held `insert_row`s as multi-row inserts (fewer round trips
        than an executemany); False if `statement` is not one."""
        key = self._row_inserts.get(id(statement))
        if key is None:
            return False
        table, columns = key
        one = sql.SQL("({})").format(
            sql.SQL(", ").join([sql.Placeholder()] * len(columns))
        )
        # PostgreSQL takes at most 65,535 parameters per statement.
        per_statement = 65_535 // len(columns)
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            curs.execute(
                sql.SQL("INSERT INTO {} ({}) VALUES {} ON CONFLICT DO NOTHING").format(
                    self.table(table),
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.SQL(", ").join([one] * len(chunk)),
                ),
                [row[column] for row in chunk for column in columns],
            )
        return True

    def update_row(
        self,
        table: str,
        key: tuple[str, Any],
        changes: dict[str, Any],
        tracking: Tracking,
    ) -> None:
        column, value = key
        self.write(
            sql.SQL("UPDATE {} SET {} WHERE {} = %(__key)s").format(
                self.table(table),
                sql.SQL(", ").join(
                    sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k))
                    for k in changes
                ),
                sql.Identifier(column),
            ),
            {**changes, "__key": value},
            tracking,
        )

    def delete_row(self, table: str, key: tuple[str, Any], tracking: Tracking) -> None:
        column, value = key
        self.write(
            sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                self.table(table), sql.Identifier(column)
            ),
            (value,),
            tracking,
        )

    def caught_up(
        self, app: ServiceApplication, topics: Sequence[str], seconds: float
    ) -> bool:
        """Wait until this view has applied every event of `topics` committed
        in `app`'s log so far (read-your-writes); whether it did in `seconds`."""
        position = self.max_tracking_id(app.name) or 0
        query = sql.SQL(
            "SELECT max(notification_id) AS last FROM {}"
            " WHERE notification_id > %s AND topic = ANY(%s)"
        ).format(sql.Identifier(app.schema, app.recorder.events_table_name))
        # A range of the log's primary key: cheap when the view keeps up.
        with app.datastore.transaction(commit=False) as curs:
            curs.execute(query, (position, list(topics)))
            row = curs.fetchone()
        target = row["last"] if row and row["last"] is not None else position
        deadline = time.monotonic() + seconds
        while position < target:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
            position = self.max_tracking_id(app.name) or 0
        return True

    def reset(self) -> None:
        """Forget everything, so the next run rebuilds from the first event."""
        with self.datastore.transaction(commit=True) as curs:
            for name in self.tables:
                curs.execute(sql.SQL("TRUNCATE {}").format(self.table(name)))
            curs.execute(
                sql.SQL("TRUNCATE {}").format(self.table(self.tracking_table_name))
            )


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
            events = [self.app.mapper.to_domain_event(n) for n in notifications]
            with self._batch_keys(events), self.view.batch():
                for notification, event in zip(notifications, events, strict=True):
                    tracking = Tracking(self.app.name, notification.id)
                    self.projection.process_event(event, tracking)
        except Exception as exc:
            # Rolled back whole: one event at a time, as the base class does,
            # parks the bad one alone (or pauses on an outage).
            log.info(
                "%s applies %d events one by one: %s",
                self.lock_key,
                len(notifications),
                describe(exc),
            )
            super().handle(notifications)
        if self.on_progress is not None:
            self.on_progress(len(notifications))

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

    def rebuild(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Empty the read model and replay the whole log into it."""
        if self._leader is None and not self.try_lead():
            raise RuntimeError(f"another process leads {self.lock_key}; stop it first")
        self.view.reset()
        self.parking.clear(self.role)  # what still fails is parked again
        self.position = 0
        self.on_progress = on_progress
        try:
            return self.run_until_caught_up()
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
