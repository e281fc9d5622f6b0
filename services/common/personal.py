"""Personal data that can be erased without rewriting history (crypto-shredding).

Each data subject (a candidate) has a key of its own. A service seals that
person's personal data with it before the data goes into an event; forgetting
the key makes every sealed copy unreadable at once — events, snapshots, old
read-model rebuilds — while the history of what happened stays intact.
Each service keeps its own keys in its own schema, so a service that copied
personal data (the notifier's messages) forgets it on the erasure event too.
Backups keep deleted keys until they age out: the retention of backups bounds
how long erased data can still be restored.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

ERASED = None


class Vault(Protocol):
    def seal(self, subject_id: UUID, data: dict[str, Any]) -> str: ...

    def unseal(self, subject_id: UUID, sealed: str) -> dict[str, Any] | None: ...

    def forget(self, subject_id: UUID) -> None: ...


def _seal(key: bytes, subject_id: UUID, data: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    plain = json.dumps(data, ensure_ascii=False, default=str).encode()
    # The subject id is authenticated data: a blob cannot be moved to another person.
    cipher = AESGCM(key).encrypt(nonce, plain, subject_id.bytes)
    return base64.b64encode(nonce + cipher).decode()


def _unseal(key: bytes, subject_id: UUID, sealed: str) -> dict[str, Any]:
    raw = base64.b64decode(sealed)
    plain = AESGCM(key).decrypt(raw[:12], raw[12:], subject_id.bytes)
    return json.loads(plain)


class MemoryVault:
    """Keys in memory: for the in-memory store of fast tests."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes] = {}

    def seal(self, subject_id: UUID, data: dict[str, Any]) -> str:
        key = self._keys.setdefault(subject_id, AESGCM.generate_key(bit_length=256))
        return _seal(key, subject_id, data)

    def unseal(self, subject_id: UUID, sealed: str) -> dict[str, Any] | None:
        key = self._keys.get(subject_id)
        return None if key is None else _unseal(key, subject_id, sealed)

    def forget(self, subject_id: UUID) -> None:
        self._keys.pop(subject_id, None)


class PostgresVault:
    """Keys in a table of the service's schema."""

    def __init__(self, datastore: Any, table: str = "personal_keys") -> None:
        self.datastore = datastore
        self.table = sql.Identifier(datastore.schema, table)
        self._local = threading.local()
        with datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} "
                    "(subject_id uuid PRIMARY KEY, key bytea NOT NULL)"
                ).format(self.table)
            )

    @contextmanager
    def unsealing_with(self, keys: Mapping[UUID, bytes]) -> Iterator[None]:
        """Within the block, this thread unseals with these keys, read with a
        batch of events (the relay), instead of reading each key on its own. A
        subject without a key there is erased: its data stays sealed."""
        self._local.keys = keys
        try:
            yield
        finally:
            self._local.keys = None

    def _key(self, subject_id: UUID, create: bool) -> bytes | None:
        batch_keys = getattr(self._local, "keys", None)
        if batch_keys is not None and not create:
            return batch_keys.get(subject_id)
        with self.datastore.transaction(commit=True) as curs:
            if create:
                curs.execute(
                    sql.SQL(
                        "INSERT INTO {} (subject_id, key) VALUES (%s, %s) "
                        "ON CONFLICT (subject_id) DO NOTHING"
                    ).format(self.table),
                    (subject_id, AESGCM.generate_key(bit_length=256)),
                )
            curs.execute(
                sql.SQL("SELECT key FROM {} WHERE subject_id = %s").format(self.table),
                (subject_id,),
            )
            row = curs.fetchone()
        return bytes(row["key"]) if row else None

    def seal(self, subject_id: UUID, data: dict[str, Any]) -> str:
        key = self._key(subject_id, create=True)
        assert key is not None
        return _seal(key, subject_id, data)

    def unseal(self, subject_id: UUID, sealed: str) -> dict[str, Any] | None:
        key = self._key(subject_id, create=False)
        return None if key is None else _unseal(key, subject_id, sealed)

    def forget(self, subject_id: UUID) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL("DELETE FROM {} WHERE subject_id = %s").format(self.table),
                (subject_id,),
            )
