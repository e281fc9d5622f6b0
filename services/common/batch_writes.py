"""A read model's writes during one batch of events: held, folded, sent at once.

A follower applies a batch of events in one transaction (projection.py). Sent
as each event comes, its writes would cost a statement each: a round trip, a
parse, an index probe. The view holds them here instead and sends them just
before anything reads the view, and at the end of the batch:

- rows inserted within the batch go at once, by COPY if they are many;
- an update or a delete, by a table's primary key, of a row inserted earlier
  in the same batch changes (or drops) that row before it is sent: a
  reservation held and then paid within one batch is one row written, once;
- any other statement goes in its place in the order, a run of the same
  statement as one pipelined `executemany`;
- the batch's positions as one tracking row per application: its last.

This gives what applying the writes one by one would. A row is folded only by
its primary key (no row already in the table can match it) and only while no
statement of another kind (a view's own `write`, which may touch it) was held
after its insert. A row inserted twice, or over one already in the table, makes
the insert fail (no ON CONFLICT here): the follower then rolls the batch back
and applies it one event at a time, where each insert keeps its ON CONFLICT DO
NOTHING.

One tracking row per batch is enough: a position is read back as the highest
(`max_tracking_id`) or, for a parked event, as its own (`recorded`), and a
parked event was never part of a batch applied whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg import sql

# From how many rows of one table a batch sends them by COPY.
COPY_FROM = 50


@dataclass
class _Inserts:
    """A run of rows inserted into one table."""

    table: str
    rows: list[dict[str, Any]] = field(default_factory=list)


class HeldWrites:
    """One batch's writes, not sent yet (see the module's docstring)."""

    def __init__(
        self,
        table: Callable[[str], sql.Identifier],
        primary_keys: Mapping[str, str | None],
    ) -> None:
        self._table = table
        self._keys = primary_keys
        self.runs: list[_Inserts | tuple[Any, list[Any]]] = []
        self.positions: dict[str, int] = {}
        # Rows inserted by held runs that a later write by primary key may
        # still change: (table) -> {key value: row}.
        self._fresh: dict[str, dict[Any, dict[str, Any]]] = {}
        self._gone: set[int] = set()

    def track(self, tracking: Tracking) -> None:
        app = tracking.application_name
        self.positions[app] = max(self.positions.get(app, 0), tracking.notification_id)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        last = self.runs[-1] if self.runs else None
        if not isinstance(last, _Inserts) or last.table != table:
            last = _Inserts(table)
            self.runs.append(last)
        row = dict(row)  # changed in place by later folds: not the caller's
        last.rows.append(row)
        key = self._keys.get(table)
        if key in row:
            self._fresh.setdefault(table, {})[row[key]] = row

    def update(self, table: str, column: str, value: Any, changes: dict) -> bool:
        """Fold into a fresh row; False if none (the statement is to be held,
        and sent after the row's insert: runs keep their order)."""
        row = self._fresh_row(table, column, value)
        if row is None or column in changes:  # a key changed: not by the index
            return False
        row.update(changes)
        return True

    def delete(self, table: str, column: str, value: Any) -> bool:
        """Drop a fresh row; False if none (the statement is to be held)."""
        row = self._fresh_row(table, column, value)
        if row is None:
            return False
        del self._fresh[table][value]
        self._gone.add(id(row))
        return True

    def _fresh_row(self, table: str, column: str, value: Any) -> dict | None:
        if column != self._keys.get(table):
            return None
        return self._fresh.get(table, {}).get(value)

    def hold(self, query: Any, params: Any, *, by_key: bool = False) -> None:
        """Hold a statement. One that does not name its row by primary key
        (`by_key`) may touch fresh rows: they are folded no more."""
        if not by_key:
            self._fresh.clear()
        last = self.runs[-1] if self.runs else None
        if isinstance(last, tuple) and last[0] is query:
            last[1].append(params)
        else:
            self.runs.append((query, [params]))

    def send(self, curs: Any, tracking_table: sql.Identifier) -> None:
        """Send everything held, in order, and forget it."""
        runs, self.runs = self.runs, []
        gone, self._gone = self._gone, set()
        self._fresh = {}
        for run in runs:
            if isinstance(run, _Inserts):
                run.rows = [r for r in run.rows if id(r) not in gone]
        # A live follower's batch is a few events: its statements go in one
        # pipeline (one round trip). COPY, for a replay's thousands of rows,
        # cannot be pipelined.
        copies = any(
            isinstance(run, _Inserts) and len(run.rows) >= COPY_FROM for run in runs
        )
        with nullcontext() if copies else curs.connection.pipeline():
            for run in runs:
                if isinstance(run, _Inserts):
                    self._insert(curs, run.table, run.rows)
                elif len(run[1]) == 1:
                    curs.execute(run[0], run[1][0])
                else:
                    curs.executemany(run[0], run[1])
            positions, self.positions = self.positions, {}
            if positions:
                curs.executemany(
                    sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(tracking_table),
                    list(positions.items()),
                )

    def _insert(self, curs: Any, table: str, rows: list[dict[str, Any]]) -> None:
        # Folds may have given some rows columns others lack: one statement
        # per shape. Never ON CONFLICT: a conflict must fail the batch.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            shapes.setdefault(tuple(row), []).append(row)
        for columns, same in shapes.items():
            names = sql.SQL(", ").join(map(sql.Identifier, columns))
            if len(same) < COPY_FROM:
                curs.executemany(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        self._table(table),
                        names,
                        sql.SQL(", ").join([sql.Placeholder()] * len(columns)),
                    ),
                    [[row[c] for c in columns] for row in same],
                )
                continue
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                self._table(table), names
            )
            with curs.copy(statement) as copy:
                for row in same:
                    copy.write_row([row[c] for c in columns])
