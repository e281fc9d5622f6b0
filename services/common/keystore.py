"""The key store: each data subject's key, kept apart from the data it seals.

A message on the bus carries a person's data sealed with that person's key
(services/common/personal.py: AES-GCM, the subject id authenticated). The keys
live here, in a schema of their own, reached with connection settings of their
own (`PMC_KEYSTORE_DSN`: in production another role, which alone is granted
this schema), never beside the sealed data. Each key is stored wrapped by a
key-encryption key (KEK) from the environment (`PMC_KEY_ENCRYPTION_KEY`), so a
dump of this schema alone opens nothing either.

A subject has one key per owner: `bus` for its messages, and one for each
service that seals what it stores of them (services/common/personal.py).
Forgetting a subject (erasure) deletes all its keys and makes every sealed copy
unreadable at once: events, read models, queues, retry queues, dead letters,
the unrouted queue, and any backup of them. Rotating the KEK re-wraps every
key (`pmc keys rotate`); while it runs, `PMC_PREVIOUS_KEY_ENCRYPTION_KEYS` lets
readers open keys still wrapped by an older KEK. A KEK the store was not
wrapped with is refused when the store opens, with an error that says so,
rather than as unreadable data later.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from services.common.keyring import BUS, Keyring, WrongKeyEncryptionKey
from services.common.settings import Settings


class KeyStore(Protocol):
    def key(
        self, subject_id: UUID, create: bool = False, owner: str = BUS
    ) -> bytes | None: ...

    def keys(
        self, subject_ids: Iterable[UUID], owner: str = BUS
    ) -> Mapping[UUID, bytes]: ...

    def of_owners(
        self, subject_ids: Iterable[UUID], owners: Sequence[str]
    ) -> Mapping[tuple[UUID, str], bytes]: ...

    def made(
        self,
        subject_ids: Iterable[UUID],
        owner: str = BUS,
        guarded: Collection[UUID] = (),
        kept_by: str = "",
    ) -> Mapping[UUID, bytes]: ...

    def adopt(self, subject_id: UUID, key: bytes, owner: str) -> None: ...

    def forget(self, subject_id: UUID) -> None: ...


class MemoryKeyStore:
    """Keys in memory: for the in-memory store of fast tests."""

    def __init__(self) -> None:
        self._keys: dict[tuple[UUID, str], bytes] = {}

    def key(
        self, subject_id: UUID, create: bool = False, owner: str = BUS
    ) -> bytes | None:
        if create:
            return self._keys.setdefault(
                (subject_id, owner), AESGCM.generate_key(bit_length=256)
            )
        return self._keys.get((subject_id, owner))

    def keys(self, subject_ids: Iterable[UUID], owner: str = BUS) -> dict[UUID, bytes]:
        found = {s: self._keys.get((s, owner)) for s in subject_ids}
        return {s: k for s, k in found.items() if k is not None}

    def of_owners(
        self, subject_ids: Iterable[UUID], owners: Sequence[str]
    ) -> dict[tuple[UUID, str], bytes]:
        found = {(s, o): self._keys.get((s, o)) for s in subject_ids for o in owners}
        return {place: k for place, k in found.items() if k is not None}

    def made(
        self,
        subject_ids: Iterable[UUID],
        owner: str = BUS,
        guarded: Collection[UUID] = (),
        kept_by: str = "",
    ) -> dict[UUID, bytes]:
        wanted = set(subject_ids)
        kept = {s for s in wanted if s not in guarded or (s, kept_by) in self._keys}
        return {s: self.key(s, create=True, owner=owner) for s in kept}

    def adopt(self, subject_id: UUID, key: bytes, owner: str) -> None:
        self._keys.setdefault((subject_id, owner), key)

    def forget(self, subject_id: UUID) -> None:
        for place in [p for p in self._keys if p[0] == subject_id]:
            del self._keys[place]


class PostgresKeyStore:
    """Subject keys, wrapped, in their own schema and behind their own connection."""

    def __init__(self, conninfo: str, schema: str, keyring: Keyring) -> None:
        from psycopg_pool import ConnectionPool

        self.keyring = keyring
        self.schema = schema
        self.table = sql.Identifier(schema, "subject_keys")
        self.pool = ConnectionPool(
            conninfo,
            # Opened on use: most processes seal or open little.
            min_size=0,
            max_size=4,
            kwargs={"autocommit": True},
            open=True,
            name="keystore",
        )
        try:
            self._create()
            self.check()
        except BaseException:
            self.pool.close()
            raise

    def _create(self) -> None:
        with self.pool.connection() as conn:
            # One creator at a time: replicas starting together would race.
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (self.schema,))
            try:
                # Asked first: a role that owns the schema but may not create
                # schemas in the database is refused even `IF NOT EXISTS`.
                found = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
                ).fetchone()
                if found is None:
                    conn.execute(
                        sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema))
                    )
                conn.execute(
                    sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {} (subject_id uuid NOT NULL,"
                        " owner text NOT NULL, wrapped bytea NOT NULL,"
                        " wrapped_by text NOT NULL,"
                        " created_at timestamptz NOT NULL DEFAULT now(),"
                        " PRIMARY KEY (subject_id, owner))"
                    ).format(self.table)
                )
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (self.schema,))

    def check(self) -> None:
        """Refuse to run with KEKs that cannot open every stored key."""
        with self.pool.connection() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    sql.SQL("SELECT DISTINCT wrapped_by FROM {}").format(self.table)
                )
            ]
        unknown = [i for i in ids if not self.keyring.knows(i)]
        if unknown:
            raise WrongKeyEncryptionKey(
                f"the key store holds keys wrapped by key-encryption key(s) "
                f"{', '.join(sorted(unknown))}; PMC_KEY_ENCRYPTION_KEY is "
                f"{self.keyring.current_id}. Set the right key, or the old one in "
                "PMC_PREVIOUS_KEY_ENCRYPTION_KEYS and run `pmc keys rotate`"
            )

    def key(
        self, subject_id: UUID, create: bool = False, owner: str = BUS
    ) -> bytes | None:
        """The subject's key for `owner`; a new one if `create` and it has none
        (None otherwise: never had one, or erased)."""
        select = sql.SQL(
            "SELECT wrapped_by, wrapped FROM {} WHERE subject_id = %s AND owner = %s"
        ).format(self.table)
        with self.pool.connection() as conn:
            row = conn.execute(select, (subject_id, owner)).fetchone()
            if row is None and create:
                # A concurrent creator may win: then its key is the one read.
                key = AESGCM.generate_key(bit_length=256)
                self._insert(conn, subject_id, key, owner)
                row = conn.execute(select, (subject_id, owner)).fetchone()
        if row is None:
            return None
        return self.keyring.unwrap(subject_id, row[0], row[1], owner)

    def _insert(self, conn: Any, subject_id: UUID, key: bytes, owner: str) -> None:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (subject_id, owner, wrapped, wrapped_by)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (subject_id, owner) DO NOTHING"
            ).format(self.table),
            (
                subject_id,
                owner,
                self.keyring.wrap(subject_id, key, owner),
                self.keyring.current_id,
            ),
        )

    def adopt(self, subject_id: UUID, key: bytes, owner: str) -> None:
        """Keep a key made elsewhere (a service's former key table)."""
        with self.pool.connection() as conn:
            self._insert(conn, subject_id, key, owner)

    def keys(self, subject_ids: Iterable[UUID], owner: str = BUS) -> dict[UUID, bytes]:
        """The keys of these subjects that have one, in one query."""
        wanted = list(set(subject_ids))
        if not wanted:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT subject_id, wrapped_by, wrapped FROM {}"
                    " WHERE subject_id = ANY(%s) AND owner = %s"
                ).format(self.table),
                (wanted, owner),
            ).fetchall()
        return {s: self.keyring.unwrap(s, by, w, owner) for s, by, w in rows}

    def of_owners(
        self, subject_ids: Iterable[UUID], owners: Sequence[str]
    ) -> dict[tuple[UUID, str], bytes]:
        """These subjects' keys for each of `owners` (a relay's batch: its
        service's keys and the bus's), in one query."""
        wanted = list(set(subject_ids))
        if not wanted:
            return {}
        query = sql.SQL(
            "SELECT subject_id, owner, wrapped_by, wrapped FROM {}"
            " WHERE subject_id = ANY(%s) AND owner = ANY(%s)"
        ).format(self.table)
        # Prepared, and binary rows (the wrapped keys as they are, not in
        # hex): a relay runs this once per batch of a thousand keys.
        with self.pool.connection() as conn, conn.cursor(binary=True) as cursor:
            cursor.execute(query, (wanted, list(owners)), prepare=True)
            rows = cursor.fetchall()
        unwrap = self.keyring.unwrap
        return {(s, o): unwrap(s, by, w, o) for s, o, by, w in rows}

    def made(
        self,
        subject_ids: Iterable[UUID],
        owner: str = BUS,
        guarded: Collection[UUID] = (),
        kept_by: str = "",
    ) -> dict[UUID, bytes]:
        """These subjects' keys, the missing ones made: one INSERT for them
        all (a relay's batch of new subjects), not a round trip each.

        A `guarded` subject gets a new key only while it still has its key
        for `kept_by`, checked in the same statement: one erased after its
        data was read for a message never gets a key again (it has none
        then: no key is returned for it).
        """
        wanted = list(set(subject_ids))
        if not wanted:
            return {}
        made = {s: AESGCM.generate_key(bit_length=256) for s in wanted}
        wrap = self.keyring.wrap
        with self.pool.connection() as conn:
            inserted = conn.execute(
                sql.SQL(
                    "INSERT INTO {table} (subject_id, owner, wrapped, wrapped_by)"
                    " SELECT n.s, %s, n.w, %s"
                    " FROM unnest(%s::uuid[], %s::bytea[], %s::bool[]) AS n(s, w, g)"
                    " WHERE NOT n.g OR EXISTS (SELECT 1 FROM {table} k"
                    "  WHERE k.subject_id = n.s AND k.owner = %s)"
                    " ON CONFLICT (subject_id, owner) DO NOTHING"
                    " RETURNING subject_id"
                ).format(table=self.table),
                (
                    owner,
                    self.keyring.current_id,
                    wanted,
                    [wrap(s, made[s], owner) for s in wanted],
                    [s in guarded for s in wanted],
                    kept_by,
                ),
            ).fetchall()
        keys = {row[0]: made[row[0]] for row in inserted}
        # An existing key is never replaced (nor a concurrent creator's): read.
        if others := [s for s in wanted if s not in keys]:
            keys.update(self.keys(others, owner))
        return keys

    def forget(self, subject_id: UUID) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE subject_id = %s").format(self.table),
                (subject_id,),
            )

    def rotate(self, batch: int = 500) -> int:
        """Re-wrap every key not wrapped by the current KEK; how many were.

        In batches, each its own transaction: readers go on meanwhile, since
        they still hold the older KEK among the previous ones.
        """
        done = 0
        current = self.keyring.current_id
        select = sql.SQL(
            "SELECT subject_id, owner, wrapped_by, wrapped FROM {}"
            " WHERE wrapped_by <> %s LIMIT %s FOR UPDATE SKIP LOCKED"
        ).format(self.table)
        update = sql.SQL(
            "UPDATE {} SET wrapped = %s, wrapped_by = %s"
            " WHERE subject_id = %s AND owner = %s"
        ).format(self.table)
        while True:
            with self.pool.connection() as conn, conn.transaction():
                rows = conn.execute(select, (current, batch)).fetchall()
                for subject_id, owner, by, wrapped in rows:
                    key = self.keyring.unwrap(subject_id, by, wrapped, owner)
                    rewrapped = self.keyring.wrap(subject_id, key, owner)
                    conn.execute(update, (rewrapped, current, subject_id, owner))
            done += len(rows)
            if len(rows) < batch:
                return done

    def close(self) -> None:
        self.pool.close()


def keystore_conninfo(settings: Settings) -> str:
    """Its own connection settings; by default the platform's server and role."""
    return settings.keystore_dsn or settings.postgres_conninfo()


_shared: dict[tuple[str, str, Keyring], PostgresKeyStore] = {}
_shared_lock = threading.Lock()


def keystore_from_settings(settings: Settings) -> PostgresKeyStore:
    """The process's key store for these settings (one pool per process)."""
    place = (
        keystore_conninfo(settings),
        settings.schema(settings.keystore_schema),
        Keyring.from_settings(settings),
    )
    with _shared_lock:
        store = _shared.get(place)
        if store is None:
            store = _shared[place] = PostgresKeyStore(*place)
        return store
