"""Personal data that can be erased without rewriting history (crypto-shredding).

Each data subject (a candidate) has a key of its own. A service seals that
person's personal data with it before the data goes into an event; forgetting
the key makes every sealed copy unreadable at once — events, snapshots, old
read-model rebuilds — while the history of what happened stays intact.
The keys live in the key store (services/common/keystore.py), apart from the
data: a service seals with keys of its own there, the bus with others, and
forgetting a subject deletes them all at once.
Backups keep deleted keys until they age out: the retention of backups bounds
how long erased data can still be restored.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from services.common.keystore import KeyStore

# Where each service kept its keys before the key store.
LEGACY_TABLE = "personal_keys"

ERASED = None


class Vault(Protocol):
    def seal(self, subject_id: UUID, data: dict[str, Any]) -> str: ...

    def unseal(self, subject_id: UUID, sealed: str) -> dict[str, Any] | None: ...

    def forget(self, subject_id: UUID) -> None: ...


# json.dumps(…, ensure_ascii=False, default=str), its encoder made once.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def school_subject(school_id: str) -> UUID:
    """The data subject a school's sealed data belongs to (its contacts, its
    invoices): schools are named by a text id, subjects by a UUID."""
    return uuid5(NAMESPACE_URL, f"pmc-school:{school_id}")


def _seal(key: bytes, subject_id: UUID, data: dict[str, Any]) -> str:
    return seal_with_cipher(AESGCM(key), os.urandom(12), subject_id, data)


def seal_with_cipher(
    cipher: AESGCM, nonce: bytes, subject_id: UUID, data: dict[str, Any]
) -> str:
    """`_seal` with the key's cipher made and the (random, 12-byte) nonce
    drawn beforehand: a relay's batch makes one cipher per key and draws its
    nonces at once."""
    plain = _JSON.encode(data).encode()
    # The subject id is authenticated data: a blob cannot be moved to another person.
    cipher_text = cipher.encrypt(nonce, plain, subject_id.bytes)
    return base64.b64encode(nonce + cipher_text).decode()


def _unseal(key: bytes, subject_id: UUID, sealed: str) -> dict[str, Any]:
    raw = base64.b64decode(sealed)
    plain = AESGCM(key).decrypt(raw[:12], raw[12:], subject_id.bytes)
    return json.loads(plain)


seal_with = _seal
unseal_with = _unseal


class KeyStoreVault:
    """A service's keys, kept in the key store (services/common/keystore.py),
    apart from the events and read models they seal."""

    def __init__(self, keystore: KeyStore, owner: str) -> None:
        self.keystore = keystore
        self.owner = owner
        self._local = threading.local()

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

    def keys_of(self, subject_ids: Iterable[UUID]) -> Mapping[UUID, bytes]:
        """The keys of these subjects, in one query (erased ones are absent)."""
        return self.keystore.keys(subject_ids, owner=self.owner)

    def key(self, subject_id: UUID) -> bytes | None:
        """The subject's key (None once forgotten): the batch's, within
        `unsealing_with`, else read from the key store."""
        return self._key(subject_id, create=False)

    def _key(self, subject_id: UUID, create: bool) -> bytes | None:
        batch_keys = getattr(self._local, "keys", None)
        if batch_keys is not None and not create:
            return batch_keys.get(subject_id)
        return self.keystore.key(subject_id, create=create, owner=self.owner)

    def seal(self, subject_id: UUID, data: dict[str, Any]) -> str:
        key = self._key(subject_id, create=True)
        assert key is not None
        return _seal(key, subject_id, data)

    def unseal(self, subject_id: UUID, sealed: str) -> dict[str, Any] | None:
        key = self._key(subject_id, create=False)
        return None if key is None else _unseal(key, subject_id, sealed)

    def forget(self, subject_id: UUID) -> None:
        """Every key of the subject: this service's, the bus's, any other's."""
        self.keystore.forget(subject_id)


def move_legacy_keys(datastore: Any, vault: KeyStoreVault) -> int:
    """Move the keys a service kept beside its data (its `personal_keys`
    table, before the key store) into the key store, then drop that table."""
    table = sql.Identifier(datastore.schema, LEGACY_TABLE)
    with datastore.transaction(commit=True) as curs:
        curs.execute(
            "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) AS found",
            (datastore.schema, LEGACY_TABLE),
        )
        if curs.fetchone()["found"] is None:
            return 0
        curs.execute(sql.SQL("SELECT subject_id, key FROM {}").format(table))
        rows = curs.fetchall()
        for row in rows:
            vault.keystore.adopt(row["subject_id"], bytes(row["key"]), vault.owner)
        # Dropped once every key is kept (a failure above leaves it whole).
        curs.execute(sql.SQL("DROP TABLE {}").format(table))
    return len(rows)
