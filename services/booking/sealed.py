"""Who a reservation is for, sealed with the candidate's key (booking's own,
in the key store: services/common/personal.py).

Sealed once, when booking hears of the file's activation; copied as it is by
every hold and confirmation (a hold neither seals nor opens anything); opened
only where a person reads it: the school's answers and list, the convocation.
Erasure forgets the candidate's keys: every copy (events, snapshots, read
model) is then unreadable, and shows as "".
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from services.common.keystore import KeyStore
from services.common.personal import seal_with, unseal_with

PERSONAL = ("candidate_name", "birth_date", "neph")


def shown(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The candidate as answers show them: "" for each field once erased."""
    return {field: str((data or {}).get(field) or "") for field in PERSONAL}


def opened(key: bytes | None, candidate_id: UUID, sealed: str | None) -> dict:
    """What `sealed` says of the candidate; "" each once its key is gone."""
    if key is None or not sealed:
        return shown(None)
    return shown(unseal_with(key, candidate_id, sealed))


class CandidateKeys:
    """Booking's keys of the candidates, and the ones this process sealed
    with or opened lately (bounded): a hold's answer names the candidate
    without a round trip to the key store, as the hold itself reads its
    copies from memory (inventory.py).

    Only answers about a file just found bookable use what is remembered: an
    erased file is never bookable again, and its key is dropped here too.
    """

    def __init__(self, keystore: KeyStore, owner: str, size: int = 50_000) -> None:
        self.keystore = keystore
        self.owner = owner
        self.size = size
        self._recent: OrderedDict[UUID, bytes] = OrderedDict()
        self._guard = threading.Lock()

    def seal(self, candidate_id: UUID, data: Mapping[str, str]) -> str:
        key = self.keystore.key(candidate_id, create=True, owner=self.owner)
        assert key is not None  # made if missing
        self._remember(candidate_id, key)
        return seal_with(key, candidate_id, {f: data.get(f, "") for f in PERSONAL})

    def opened_recent(self, candidate_id: UUID, sealed: str) -> dict[str, str]:
        """What `sealed` says, with the key remembered if this process has it."""
        if not sealed:
            return shown(None)
        with self._guard:
            key = self._recent.get(candidate_id)
        if key is None:
            key = self.keystore.key(candidate_id, owner=self.owner)
            if key is not None:
                self._remember(candidate_id, key)
        return opened(key, candidate_id, sealed)

    def opened(self, candidate_id: UUID, sealed: str) -> dict[str, str]:
        """What `sealed` says, on the key store's word (erased: "")."""
        if not sealed:
            return shown(None)
        return opened(
            self.keystore.key(candidate_id, owner=self.owner), candidate_id, sealed
        )

    def forget(self, candidate_id: UUID) -> None:
        """Erasure: every key of the candidate, here and in the key store (a
        late activation may have made booking's again after the candidates
        service forgot them)."""
        with self._guard:
            self._recent.pop(candidate_id, None)
        self.keystore.forget(candidate_id)

    def _remember(self, candidate_id: UUID, key: bytes) -> None:
        with self._guard:
            self._recent[candidate_id] = key
            self._recent.move_to_end(candidate_id)
            while len(self._recent) > self.size:
                self._recent.popitem(last=False)
