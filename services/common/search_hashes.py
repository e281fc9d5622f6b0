"""Searching sealed personal data through keyed hashes (a "blind index").

A read model that seals a person's name and NEPH cannot ask the database to
compare them in clear. It keeps, beside the sealed data, HMAC-SHA256 hashes of
what can be searched, under a key kept apart from the table: each school's
search key, in the key store (services/common/keystore.py: its own schema and
role, wrapped by the key-encryption key). A dump of the read model alone gives
hashes nobody can recompute without that key, and a school's hashes never
compare with another's: the same name in two schools hashes differently.

Names are searched by the beginning of their words: each word of a folded
name (services/common/text.py: no case, accents, punctuation) is indexed by
every prefix of it; a query matches a person when each of its folded words is
the beginning of one of theirs. A NEPH is matched whole.

What the hashes still tell whoever reads the table without the key: which of
a school's rows share a word or a word's beginning, and how long each row's
names are (the count of its hashes). Nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable

from services.common.keystore import KeyStore
from services.common.personal import school_subject
from services.common.text import fold

# A hash kept to 128 bits: no two different words of a school collide in practice.
_DIGEST_BYTES = 16


class SchoolSearchKeys:
    """Each school's search key for one owner (a service's read model), read
    from the key store once per process: searching and projecting then cost
    no round trip to it."""

    def __init__(self, keystore: KeyStore, owner: str) -> None:
        self.keystore = keystore
        self.owner = owner
        self._keys: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def of(self, school_id: str) -> bytes:
        key = self._keys.get(school_id)
        if key is None:
            key = self.keystore.key(school_subject(school_id), True, self.owner)
            assert key is not None
            with self._lock:
                self._keys[school_id] = key
        return key


def _hash(key: bytes, kind: str, value: str) -> str:
    # The kind keeps a name's word and a NEPH that read the same apart.
    message = f"{kind}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:_DIGEST_BYTES].hex()


def words(text: str) -> list[str]:
    return fold(text).split()


def name_hashes(key: bytes, names: Iterable[str | None]) -> list[str]:
    """What a person's names are found by: every prefix of every folded word."""
    prefixes = {
        word[:length]
        for name in names
        if name
        for word in words(name)
        for length in range(1, len(word) + 1)
    }
    return sorted(_hash(key, "name", p) for p in prefixes)


def query_hashes(key: bytes, query: str) -> list[str]:
    """What a searched text looks for: each of its folded words, as a prefix."""
    return sorted({_hash(key, "name", w) for w in words(query)})


def neph_hash(key: bytes, neph: str) -> str:
    """A NEPH as typed (spaces or not) or as stored: the same hash."""
    return _hash(key, "neph", "".join(neph.split()))
