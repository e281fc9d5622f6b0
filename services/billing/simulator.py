"""The card simulator's ledger in PostgreSQL, in a schema of its own.

A real provider remembers its payments whatever happens to our processes; so
must its simulator, or a retry after billing was killed would be answered by a
provider that forgot the charge. Its schema stands for the provider's side:
billing reads it only through the provider interface; tests count charges in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from services.common.db import ensure_schema
from services.common.settings import Settings

SIMULATOR = "card_simulator"
PAYMENT_COLUMNS = (
    "authorise_key",
    "authorisation_id",
    "amount_cents",
    "status",
    "decline_reason",
    "capture_key",
    "capture_id",
)


def simulator_datastore(settings: Settings) -> PostgresDatastore:
    """A connection pool to the simulator's schema, for its own process
    (`pmc card-simulator`), which has no event store of its own."""
    return PostgresDatastore(
        settings.postgres_dbname,
        settings.postgres_host,
        settings.postgres_port,
        settings.postgres_user,
        settings.postgres_password.get_secret_value(),
        pool_size=1,
        max_overflow=2,
        pre_ping=True,
        schema=settings.schema(SIMULATOR),
    )


class PostgresLedger:
    """What the simulated provider did, kept across restarts."""

    def __init__(self, settings: Settings, datastore: PostgresDatastore) -> None:
        self.schema = settings.schema(SIMULATOR)
        self.datastore = datastore
        ensure_schema(settings, self.schema)
        self._create_tables()

    def _create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as conn:
            # Serialised: two billing replicas creating at once would collide.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (authorise_key text PRIMARY KEY,"
                    " authorisation_id text UNIQUE NOT NULL,"
                    " amount_cents int NOT NULL, status text NOT NULL,"
                    " decline_reason text NOT NULL, capture_key text UNIQUE,"
                    " capture_id text, at timestamptz NOT NULL DEFAULT now())"
                ).format(self._table("payments"))
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (refund_key text PRIMARY KEY,"
                    " capture_id text NOT NULL, amount_cents int NOT NULL,"
                    " refund_id text NOT NULL)"
                ).format(self._table("refunds"))
            )
            # The hosted fields' tokens: how the card behaves, never its number.
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (token text PRIMARY KEY,"
                    " behaviour text NOT NULL,"
                    " issued_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._table("tokens"))
            )

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        with self.datastore.transaction(commit=True) as curs:
            # One operation at a time across every billing process of this
            # platform (its schema): a simulator's throughput does not matter,
            # its answers being exactly-once does.
            curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
            yield _Transaction(self, curs)

    def all_payments(self) -> list[dict[str, Any]]:
        return self._select("payments")

    def all_refunds(self) -> list[dict[str, Any]]:
        return self._select("refunds")

    def _select(self, table: str) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql.SQL("SELECT * FROM {}").format(self._table(table)))
            return [dict(row) for row in curs.fetchall()]


class _Transaction:
    def __init__(self, ledger: PostgresLedger, curs: Any) -> None:
        self.ledger = ledger
        self.curs = curs

    def _one(self, table: str, column: str, value: str) -> dict[str, Any] | None:
        self.curs.execute(
            sql.SQL("SELECT * FROM {} WHERE {} = %s").format(
                self.ledger._table(table), sql.Identifier(column)
            ),
            (value,),
        )
        row = self.curs.fetchone()
        if row is None:
            return None
        return {k: v for k, v in row.items() if k not in ("at", "issued_at")}

    def payment(self, column: str, value: str) -> dict[str, Any] | None:
        return self._one("payments", column, value)

    def put_payment(self, row: dict[str, Any]) -> None:
        columns = sql.SQL(", ").join(map(sql.Identifier, PAYMENT_COLUMNS))
        updates = sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
            for c in PAYMENT_COLUMNS[1:]
        )
        self.curs.execute(
            sql.SQL(
                "INSERT INTO {} ({}) VALUES ({}) "
                "ON CONFLICT (authorise_key) DO UPDATE SET {}"
            ).format(
                self.ledger._table("payments"),
                columns,
                sql.SQL(", ").join(sql.Placeholder() * len(PAYMENT_COLUMNS)),
                updates,
            ),
            [row[c] for c in PAYMENT_COLUMNS],
        )

    def refund(self, key: str) -> dict[str, Any] | None:
        return self._one("refunds", "refund_key", key)

    def refunded(self, capture_id: str) -> int:
        """What the refunds of one capture gave back so far, in cents."""
        self.curs.execute(
            sql.SQL(
                "SELECT COALESCE(SUM(amount_cents), 0) AS total FROM {}"
                " WHERE capture_id = %s"
            ).format(self.ledger._table("refunds")),
            (capture_id,),
        )
        return int(self.curs.fetchone()["total"])

    def behaviour(self, token: str) -> str | None:
        row = self._one("tokens", "token", token)
        return None if row is None else row["behaviour"]

    def put_token(self, token: str, behaviour: str) -> None:
        self.curs.execute(
            sql.SQL("INSERT INTO {} (token, behaviour) VALUES (%s, %s)").format(
                self.ledger._table("tokens")
            ),
            (token, behaviour),
        )

    def put_refund(self, row: dict[str, Any]) -> None:
        self.curs.execute(
            sql.SQL(
                "INSERT INTO {} (refund_key, capture_id, amount_cents, refund_id)"
                " VALUES (%s, %s, %s, %s)"
            ).format(self.ledger._table("refunds")),
            (
                row["refund_key"],
                row["capture_id"],
                row["amount_cents"],
                row["refund_id"],
            ),
        )
