"""A read model's tables and the position it has reached (OP-1).

A view is written by its projection (projection.py), one batch of events at a
time: its writes are held and sent at once (batch_writes.py), or held for
a replay's worker to commit in its turn (replay.py). It records where it stands in
its tracking table, in the same transaction as what it writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import sql

from services.common.batch_writes import HeldWrites
from services.common.parking import ParkingLot
from services.common.store import ServiceApplication


class NeedsTransaction(RuntimeError):
    """A projection read its view while its writes were only held."""


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
        # Statements made once, by what they are: composing one costs more
        # than the event it is for.
        self._statements: dict[tuple[Any, ...], sql.Composed] = {}
        self._primary_keys: dict[str, str | None] | None = None

    def create_statements(self) -> list[sql.Composable]:
        raise NotImplementedError

    def table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.datastore.schema, name)

    def primary_key(self, table: str) -> str | None:
        """The column of `table`'s primary key (None if it has several, or
        is not one of the view's `tables`)."""
        return self._keys().get(table)

    def _keys(self) -> dict[str, str | None]:
        # Read once, before any batch: never a second connection from the
        # pool while a batch holds one.
        if self._primary_keys is None:
            query = (
                "SELECT c.relname AS name, array_agg(a.attname::text) AS columns"
                " FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indrelid"
                " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
                " JOIN pg_attribute AS a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indisprimary AND n.nspname = %s AND c.relname = ANY(%s)"
                " GROUP BY c.relname"
            )
            with self.datastore.transaction(commit=False) as curs:
                curs.execute(query, (self.datastore.schema, list(self.tables)))
                rows = curs.fetchall()
            self._primary_keys = {
                r["name"]: r["columns"][0] if len(r["columns"]) == 1 else None
                for r in rows
            }
        return self._primary_keys

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Put every write this thread makes inside into one transaction,
        committed at the end, or rolled back whole if anything raises.

        Writes are held back, folded and sent at once (batch_writes.py) just
        before anything reads the view, and at the end."""
        writes = HeldWrites(self.table, self._keys())
        with self.datastore.transaction(commit=True) as curs:
            self._check_has_multi_row_tracking_table(curs)
            self._batch.cursor = curs
            self._batch.writes = writes
            try:
                yield
                self._send(curs)
            finally:
                self._batch.cursor = None
                self._batch.writes = None

    @contextmanager
    def holding(self) -> Iterator[HeldWrites]:
        """Hold every write this thread makes inside, for `commit_held` to
        send later, once the batches before it are committed (replay.py).
        Reading the view inside raises NeedsTransaction: what was held must
        be sent first."""
        writes = HeldWrites(self.table, self._keys())
        self._batch.cursor = None
        self._batch.writes = writes
        try:
            yield writes
        finally:
            self._batch.writes = None

    def commit_held(self, writes: HeldWrites) -> None:
        """Send what `holding` held, in one transaction of its own."""
        with self.datastore.transaction(commit=True) as curs:
            self._check_has_multi_row_tracking_table(curs)
            writes.send(curs, self.table(self.tracking_table_name))

    def _held(self) -> HeldWrites | None:
        """The open batch's writes, unless an event is applied on its own."""
        if self.unparking is not None:
            return None
        return getattr(self._batch, "writes", None)

    def _send(self, curs: Any) -> None:
        self._batch.writes.send(curs, self.table(self.tracking_table_name))

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """Where a projection writes (and reads what it wrote): the open
        batch's cursor (its held writes sent first), else a transaction of
        its own, committed on exit."""
        batch = getattr(self._batch, "cursor", None)
        if batch is not None:
            self._send(batch)
            yield batch
            return
        if getattr(self._batch, "writes", None) is not None:
            raise NeedsTransaction(f"{self.tracking_table_name} reads while holding")
        with self.datastore.transaction(commit=True) as curs:
            yield curs

    def write(
        self,
        query: sql.Composable,
        params: Any,
        tracking: Tracking,
        *,
        by_key: bool = False,
    ) -> None:
        """Change the view and record the event's position in one transaction.
        `by_key`: the statement changes one row named by its primary key."""
        writes = self._held()
        if writes is not None:
            writes.hold(query, params, by_key=by_key)
            writes.track(tracking)
            return
        with self.cursor() as curs:
            curs.execute(query, params)
            self._insert_tracking(curs, tracking)

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record the position of an event that changes nothing here."""
        writes = self._held()
        if writes is not None:
            writes.track(tracking)
            return
        with self.cursor() as curs:
            self._insert_tracking(curs, tracking)

    def _insert_tracking(self, curs: Any, tracking: Tracking) -> None:
        # Every write of a projection records its position here, in the
        # write's own transaction: where a retried event leaves the parking lot.
        super()._insert_tracking(curs, tracking)
        if self.unparking is not None:
            lot, follower, position = self.unparking
            if tracking.notification_id == position:
                lot.remove(curs, follower, position)

    def recorded(self, application_name: str, notification_id: int) -> bool:
        """Whether this exact position was applied (eventsourcing's own check
        only says whether a later one was)."""
        query = sql.SQL(
            "SELECT 1 FROM {} WHERE application_name = %s AND notification_id = %s"
        ).format(self.table(self.tracking_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, (application_name, notification_id))
            return curs.fetchone() is not None

    def _statement(self, key: tuple[Any, ...], make: Any) -> sql.Composed:
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = make()
        return statement

    def insert_row(self, table: str, row: dict[str, Any], tracking: Tracking) -> None:
        writes = self._held()
        if writes is not None:
            writes.insert(table, row)
            writes.track(tracking)
            return
        columns = tuple(row)
        statement = self._statement(
            ("insert", table, columns),
            lambda: sql.SQL(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING"
            ).format(
                self.table(table),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(map(sql.Placeholder, columns)),
            ),
        )
        self.write(statement, row, tracking)

    def update_row(
        self,
        table: str,
        key: tuple[str, Any],
        changes: dict[str, Any],
        tracking: Tracking,
    ) -> None:
        column, value = key
        writes = self._held()
        if writes is not None and writes.update(table, column, value, changes):
            writes.track(tracking)
            return
        statement = self._statement(
            ("update", table, column, tuple(changes)),
            lambda: sql.SQL("UPDATE {} SET {} WHERE {} = %(__key)s").format(
                self.table(table),
                sql.SQL(", ").join(
                    sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k))
                    for k in changes
                ),
                sql.Identifier(column),
            ),
        )
        params = {**changes, "__key": value}
        self.write(statement, params, tracking, by_key=self._is_key(table, column))

    def delete_row(self, table: str, key: tuple[str, Any], tracking: Tracking) -> None:
        column, value = key
        writes = self._held()
        if writes is not None and writes.delete(table, column, value):
            writes.track(tracking)
            return
        statement = self._statement(
            ("delete", table, column),
            lambda: sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                self.table(table), sql.Identifier(column)
            ),
        )
        self.write(statement, (value,), tracking, by_key=self._is_key(table, column))

    def _is_key(self, table: str, column: str) -> bool:
        return self.primary_key(table) == column

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
