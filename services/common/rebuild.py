"""Rebuilding a read model aside while its service runs, then swapping it in.

`pmc replay` used to empty a view and replay the log into it: the service had
to be stopped, and its pages showed a half-built list meanwhile. Now the new
model is built in a schema of its own (`<schema>__rebuild_<model>`), by a
follower with its own role, lock and parked events (`projection.<name>.rebuild`)
that never contends with the live leader. Once it is near the log's head, the
command asks for the swap (a row in the aside schema and a NOTIFY, like
`pmc parked retry`; a request made while nobody leads is served on the next
lead).

The swap is done by whoever leads the live model, between two batches, so
nothing is in flight: it takes the rebuild's lock, brings the aside model up to
the log's head (a few events), then in one transaction, on the very connection
that holds the live lock (a leader that lost its lock cannot commit it), drops
the live tables and tracking table, moves the aside ones in (ALTER TABLE … SET
SCHEMA: their indexes follow, and their names are free once the live ones are
dropped), hands the rebuild's parked events to the live role and drops the
aside schema. The leader then goes on from the aside model's position. Readers
see the same table names; one reading during the swap waits for its commit.
Standbys hold no position: taking the lead, they read the swapped-in tracking
table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import errors, sql
from psycopg.rows import dict_row

from services.common.db import connect, ensure_schema
from services.common.parking import describe
from services.common.projection import ProjectionFollower, ReadModel
from services.common.replay import REPLAY_BATCH, replay
from services.common.store import ServiceApplication

log = logging.getLogger(__name__)

# The payload of the NOTIFY with which `pmc replay` asks the leader to swap.
SWAP_SIGNAL = "pmc:swap-rebuilt"
# The table of the aside schema that holds the request (and its failure).
REQUEST_TABLE = "swap_request"
# How long the swap may wait for readers of the live tables before giving up.
SWAP_LOCK_TIMEOUT = "10s"


class RebuildBusy(RuntimeError):
    """Another rebuild of this model is under way, or being swapped in."""


def aside_schema(app: ServiceApplication, name: str) -> str:
    schema = f"{app.schema}__rebuild_{name}"
    if len(schema) > 63:  # PostgreSQL would cut it, and two could collide
        raise ValueError(f"schema name too long for a rebuild: {schema}")
    return schema


def aside_datastore(app: ServiceApplication, schema: str) -> PostgresDatastore:
    """A datastore on the same database, in the aside schema."""
    settings = app.settings
    return PostgresDatastore(
        dbname=settings.postgres_dbname,
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password.get_secret_value(),
        schema=schema,
        pool_size=2,
        pre_ping=True,
        lock_timeout=5,
        single_row_tracking=False,  # as the services' (store.store_env)
    )


class AsideFollower(ProjectionFollower):
    """The same projection, writing its view in the aside schema."""

    def __init__(
        self, app: ServiceApplication, model: ReadModel, **kwargs: Any
    ) -> None:
        name = model.projection_cls.name
        self.schema = aside_schema(app, name)
        self.store = aside_datastore(app, self.schema)
        view = model.view_cls(self.store, name)
        view.vault = app.vault
        super().__init__(app, model.projection_cls(view=view), **kwargs)
        self.live_role = self.role
        self.role = f"{self.live_role}.rebuild"

    def on_lead(self) -> None:
        """Never asked to swap itself in."""

    def close(self) -> None:
        self.release()
        self.store.close()


# -- the command's side --------------------------------------------------------


def start_aside(
    app: ServiceApplication, model: ReadModel, batch_size: int = REPLAY_BATCH
) -> AsideFollower:
    """Lead the rebuild of `model`, in its aside schema created afresh."""
    follower = AsideFollower(app, model, batch_size=batch_size)
    try:
        ensure_schema(app.settings, follower.schema)
        follower.view.create_table()  # read by try_lead (position)
        if not follower.try_lead():
            raise RebuildBusy(
                f"a rebuild of {model.projection_cls.name} is under way"
                " (or being swapped in): wait for it, or stop it"
            )
        _drop_schema(app, follower.schema)
        ensure_schema(app.settings, follower.schema)
        follower.view.create_table()
        follower.parking.clear(follower.role)
        follower.position = 0
    except BaseException:
        follower.close()
        raise
    return follower


def replay_aside(
    follower: AsideFollower,
    on_progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> None:
    """Replay the log as far as it went when this started, on `workers`
    processes (services/common/replay.py): near enough to its head (the
    leader applies the rest when it swaps)."""
    follower.on_progress = on_progress
    try:
        replay(follower, workers)
    finally:
        follower.on_progress = None


def abandon(follower: AsideFollower) -> None:
    """Forget a rebuild: its schema and parked events; the live model untouched."""
    follower.parking.clear(follower.role)
    _drop_schema(follower.app, follower.schema)
    follower.close()


def request_swap(app: ServiceApplication, name: str) -> None:
    """Ask the leader of the live model to swap the aside one in."""
    table = sql.Identifier(aside_schema(app, name), REQUEST_TABLE)
    with app.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (requested_at timestamptz"
                " NOT NULL DEFAULT now(), error text)"
            ).format(table)
        )
        curs.execute(sql.SQL("DELETE FROM {}").format(table))
        curs.execute(sql.SQL("INSERT INTO {} DEFAULT VALUES").format(table))
        # Delivered at commit, once the request can be read.
        curs.execute(
            "SELECT pg_notify(%s, %s)", (app.recorder.channel_name, SWAP_SIGNAL)
        )


def swap_outcome(app: ServiceApplication, name: str) -> str:
    """Where the swap stands: "done" (the aside schema is gone), "pending",
    or else why it failed."""
    with app.datastore.transaction(commit=False) as curs:
        row = _request(curs, aside_schema(app, name))
    if row is None:
        return "done"
    return row["error"] or "pending"


# -- the leader's side ---------------------------------------------------------


def serve_swap_request(live: ProjectionFollower) -> bool:
    """Swap a requested aside model in (leader only, between two batches).

    False when it must be tried again later: the rebuild still holds its lock.
    A swap that fails (a reader holding the live tables too long, a broken
    aside schema) leaves the live model as it was and records why, for the
    command to show; the leader goes on. Only if that record cannot be made
    either (an outage) does it raise: the leader pauses, the request stays
    and is served on the next lead.
    """
    name = live.projection.name
    with live.leader_connection.cursor(row_factory=dict_row) as curs:
        row = _request(curs, aside_schema(live.app, name))
    if row is None or row["error"] is not None:
        return True
    model = ReadModel(type(live.projection), type(live.view))
    aside = AsideFollower(live.app, model, batch_size=live.batch_size)
    try:
        if not aside.try_lead():
            return False
        swap_in(live, aside)
    except Exception as exc:
        log.error("%s could not swap its rebuild in: %s", live.lock_key, describe(exc))
        _record_failure(live.app, aside.schema, describe(exc))
        return True
    finally:
        aside.close()
    log.info("%s swapped in its rebuild, at #%d", live.lock_key, live.position)
    return True


def swap_in(live: ProjectionFollower, aside: AsideFollower) -> None:
    """Bring the aside model to the log's head and put it in the live one's
    place, in one transaction on the live lock's connection."""
    aside.run_until_caught_up()
    live.parking.create_table()
    live_schema = sql.Identifier(live.app.schema)
    tracking = live.view.tracking_table_name
    # As each view names them (a view may override `table`), tracking last.
    moves = [(live.view.table(n), aside.view.table(n)) for n in live.view.tables]
    moves.append(
        (
            sql.Identifier(live.app.schema, tracking),
            sql.Identifier(aside.schema, tracking),
        )
    )
    conn = live.leader_connection
    with conn.transaction():
        conn.execute(
            sql.SQL("SET LOCAL lock_timeout = {}").format(
                sql.Literal(SWAP_LOCK_TIMEOUT)
            )
        )
        # The live ones first: their indexes' names are then free.
        for live_table, _ in moves:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(live_table))
        for _, aside_table in moves:
            conn.execute(
                sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(aside_table, live_schema)
            )
        parked = live.parking.table
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE follower = %s").format(parked), (live.role,)
        )
        conn.execute(
            sql.SQL("UPDATE {} SET follower = %s WHERE follower = %s").format(parked),
            (live.role, aside.role),
        )
        conn.execute(
            sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(aside.schema))
        )
    live.position = aside.position


# -- helpers ---------------------------------------------------------------------


def _request(curs: Any, schema: str) -> dict[str, Any] | None:
    """The swap request in `schema`, if any (None also if the schema is gone)."""
    curs.execute(
        "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL"
        " AS found",
        (schema, REQUEST_TABLE),
    )
    found = curs.fetchone()
    if not found or not found["found"]:
        return None
    try:
        # A savepoint: the swap may drop the schema between the two reads.
        with curs.connection.transaction():
            curs.execute(
                sql.SQL("SELECT requested_at, error FROM {} LIMIT 1").format(
                    sql.Identifier(schema, REQUEST_TABLE)
                )
            )
            return curs.fetchone()
    except errors.UndefinedTable:
        return None


def _record_failure(app: ServiceApplication, schema: str, error: str) -> None:
    with app.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL("UPDATE {} SET error = %s").format(
                sql.Identifier(schema, REQUEST_TABLE)
            ),
            (error,),
        )


def _drop_schema(app: ServiceApplication, schema: str) -> None:
    with connect(app.settings) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )
