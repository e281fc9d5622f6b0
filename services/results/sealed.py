"""What results keeps of a candidate, sealed with results' own key for them
(services/common/personal.py, the key store): their identity as booking's
confirmation gave it, the recorded score, the released result.

A key is made only when booking's confirmation brings the candidate's data:
a score recorded, or a result released, for a candidate erased since (keys
forgotten, services/candidates/erasure.py) is sealed with no key, so kept as
"", and never makes a key again for someone erased.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from services.common.keystore import KeyStore
from services.common.personal import seal_with, unseal_with

PERSON = ("candidate_name", "neph", "birth_date")


class ResultSeals:
    """Seals and opens results' copies of a candidate's data."""

    def __init__(self, keystore: KeyStore, owner: str) -> None:
        self.keystore = keystore
        self.owner = owner

    def seal_person(self, candidate_id: UUID, payload: Mapping[str, Any]) -> str:
        """The candidate's name, NEPH and birth date from booking's (opened)
        message, sealed; "" when it brings none (erased before it was sent)."""
        person = {f: str(payload.get(f) or "") for f in PERSON}
        if not any(person.values()):
            return ""
        key = self.keystore.key(candidate_id, create=True, owner=self.owner)
        assert key is not None  # made if missing
        return seal_with(key, candidate_id, person)

    def seal(self, candidate_id: UUID, data: dict[str, Any]) -> str:
        """`data` sealed with the candidate's existing key; "" once erased."""
        key = self.keystore.key(candidate_id, owner=self.owner)
        return "" if key is None else seal_with(key, candidate_id, data)

    def open(self, candidate_id: UUID, sealed: str) -> dict[str, Any] | None:
        """What `sealed` says; None when empty or its key is forgotten."""
        if not sealed:
            return None
        key = self.keystore.key(candidate_id, owner=self.owner)
        return None if key is None else unseal_with(key, candidate_id, sealed)

    def open_all(
        self, rows: Iterable[Mapping[str, Any]], field: str = "sealed"
    ) -> list[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Each row with what its `field` says, the keys read in one query;
        rows that no longer open (erased) are left out."""
        rows = list(rows)
        keys = self.keystore.keys({r["candidate_id"] for r in rows}, owner=self.owner)
        opened = []
        for row in rows:
            key = keys.get(row["candidate_id"])
            if key is not None and row[field]:
                opened.append((row, unseal_with(key, row["candidate_id"], row[field])))
        return opened
