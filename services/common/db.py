"""PostgreSQL plumbing: the database, each service's schema, and cooperative waits.

The platform installs psycopg's binary build with PSYCOPG_WAIT_FUNC=wait_select
(set by the `services` package before psycopg is imported): its waits go through
`select`, which eventlet patches, so one slow query yields to other green
threads instead of freezing every worker of a service. We refuse to run with it
unset rather than find out under load.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Iterator

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from services.common.settings import Settings


class UncooperativeDriver(RuntimeError):
    """psycopg would block the whole process under eventlet."""


def check_cooperative_driver() -> None:
    impl = psycopg.pq.__impl__
    if impl != "python" and os.environ.get("PSYCOPG_WAIT_FUNC") != "wait_select":
        raise UncooperativeDriver(
            f"psycopg uses its {impl} implementation; under eventlet set "
            "PSYCOPG_WAIT_FUNC=wait_select before import or install pure psycopg"
        )


def connect(settings: Settings, dbname: str | None = None) -> psycopg.Connection:
    return psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        dbname=dbname or settings.postgres_dbname,
        user=settings.postgres_user,
        password=settings.postgres_password.get_secret_value() or None,
        autocommit=True,
        connect_timeout=5,
        # A dead peer must be noticed within seconds, not TCP's two hours: an
        # advisory lock held by a half-open connection would block a standby.
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )


def ensure_database(settings: Settings) -> None:
    """Create the platform's database when it does not exist yet."""
    with connect(settings, dbname="postgres") as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s",
            (settings.postgres_dbname,),
        ).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE DATABASE {}").format(
                    sql.Identifier(settings.postgres_dbname)
                )
            )


def ensure_schema(settings: Settings, schema: str) -> None:
    with connect(settings) as conn:
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
        )


@contextlib.contextmanager
def creating_tables(settings: Settings, schema: str) -> Iterator[None]:
    """One process at a time creates a schema's tables.

    `CREATE TABLE IF NOT EXISTS` is not safe under concurrency: two replicas
    of a service (or a service and its relay) starting together both try to
    create the table, and one fails on a unique violation in the catalogue. A
    session advisory lock, given back when its connection closes, makes the
    second wait and then find the tables there.
    """
    key = f"tables:{schema}"
    held = _creating.__dict__.setdefault("keys", set())
    if key in held:  # this thread holds it already: a nested creation
        yield
        return
    with connect(settings) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)


# The creation locks each thread (green thread, under eventlet) holds.
_creating = threading.local()


def drop_schemas_with_prefix(settings: Settings, prefix: str) -> None:
    """Remove a test run's schemas (never called with an empty prefix)."""
    if not prefix:
        raise ValueError("refusing to drop schemas without a prefix")
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (prefix.replace("_", r"\_") + "%",),
        ).fetchall()
        for (name,) in rows:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
            )


class PingWhenQuiet:
    """A pool's check that pings a connection only if it was not checked in the
    last `quiet` seconds.

    Pinging on every checkout (eventsourcing's pre-ping) costs a round trip per
    transaction, a tenth of a busy service's time. A connection in constant use
    is checked once per `quiet` seconds; one idle since before a PostgreSQL
    restart is pinged, found dead and replaced before anyone uses it.
    """

    def __init__(self, quiet: float = 1.0) -> None:
        self.quiet = quiet
        self._checked: weakref.WeakKeyDictionary[psycopg.Connection, float] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, conn: psycopg.Connection) -> None:
        now = time.monotonic()
        if now - self._checked.get(conn, float("-inf")) < self.quiet:
            return
        ConnectionPool.check_connection(conn)
        self._checked[conn] = now
