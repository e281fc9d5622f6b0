"""Idempotency keys (TR-3): a write retried with the same key has one effect.

A client sends a key with a write that is not naturally idempotent (create a
candidate, hold a seat, import a file, sign up). The service keeps, per
(operation, scope, key), a record saved in the same transaction as the write
itself: of two concurrent requests with the same key, the store's version
check lets one save and the other finds the record and answers with the first
request's resource. A record keeps no personal data: its id is a hash of the
scope and key, and what was asked is kept as a keyed digest (HMAC), so the same
key with other content is refused rather than taken for a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event

from services.common.store import retry_on_conflict

T = TypeVar("T")
VOID_ATTEMPTS = 10

KEY_REUSED = (
    "Cette clé d'idempotence a déjà servi pour une autre demande : "
    "utilisez une nouvelle clé pour une nouvelle demande."
)


class IdempotencyConflict(ValueError):
    """The same key was sent with different content."""

    def __init__(self) -> None:
        super().__init__(KEY_REUSED)


def fingerprint(secret: str, content: Any) -> str:
    """A keyed digest of a request's content, stable across retries."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


class IdempotencyRecord(Aggregate):
    """What the first request with one key made (a resource id)."""

    @staticmethod
    def create_id(record_id: UUID) -> UUID:
        return record_id

    class Recorded(Aggregate.Created):
        record_id: UUID
        fingerprint: str
        resource_id: str

    @event(Recorded)
    def __init__(self, record_id: UUID, fingerprint: str, resource_id: str) -> None:
        self.fingerprint = fingerprint
        self.resource_id = resource_id
        self.voided = False

    class Voided(Aggregate.Event):
        pass

    def void(self) -> None:
        """The write failed after it was recorded: the key may be used again."""
        if not self.voided:
            self._voided()

    @event(Voided)
    def _voided(self) -> None:
        self.voided = True

    class Reused(Aggregate.Event):
        fingerprint: str
        resource_id: str

    def reuse(self, fingerprint: str, resource_id: str) -> None:
        if not self.voided:
            raise IdempotencyConflict()
        self._reused(fingerprint=fingerprint, resource_id=resource_id)

    @event(Reused)
    def _reused(self, fingerprint: str, resource_id: str) -> None:
        self.fingerprint = fingerprint
        self.resource_id = resource_id
        self.voided = False


@dataclass(frozen=True)
class Idempotent:
    """One keyed request: which operation, for whom, under which key, asking what."""

    record_id: UUID
    fingerprint: str

    @classmethod
    def of(
        cls,
        secret: str,
        operation: str,
        scope: str,
        key: str | None,
        content: Any,
    ) -> Idempotent | None:
        """None without a key: the request is then simply not deduplicated."""
        if not key:
            return None
        # The scope (a school, an e-mail address) only enters the hash: one
        # school's key never meets another's, and no address is stored.
        record_id = uuid5(NAMESPACE_URL, f"pmc-idempotency:{operation}:{scope}:{key}")
        return cls(record_id, fingerprint(secret, content))


def first_answer(app: Application, request: Idempotent) -> str | None:
    """The resource the first request with this key made; None if there was
    none (or its write was undone); IdempotencyConflict if it asked otherwise."""
    try:
        record = app.repository.get(request.record_id)
    except AggregateNotFoundError:
        return None
    if record.voided:
        return None
    if record.fingerprint != request.fingerprint:
        raise IdempotencyConflict()
    return record.resource_id


def _record(app: Application, request: Idempotent, resource_id: str) -> Aggregate:
    try:
        record = app.repository.get(request.record_id)
    except AggregateNotFoundError:
        return IdempotencyRecord(
            record_id=request.record_id,
            fingerprint=request.fingerprint,
            resource_id=resource_id,
        )
    record.reuse(request.fingerprint, resource_id)
    return record


Mark = Callable[[str], list[Aggregate]]


def once(
    app: Application,
    request: Idempotent | None,
    act: Callable[[Mark], T],
    replay: Callable[[str], T],
) -> T:
    """Run a write once per key.

    `act(mark)` performs the write and must save `mark(resource_id)` (the
    key's record, or nothing without a key) in the same `save` as its effect.
    A retry, or the loser of two concurrent requests, gets `replay(resource_id)`
    of what the first one made.
    """
    if request is None:
        return act(lambda _resource_id: [])
    first = first_answer(app, request)
    if first is not None:
        return replay(first)
    try:
        return act(lambda resource_id: [_record(app, request, resource_id)])
    except Exception:
        # A concurrent request with the same key saved first: its answer is ours.
        first = first_answer(app, request)
        if first is not None:
            return replay(first)
        raise


def void(app: Application, request: Idempotent | None) -> None:
    """Free a key whose write was undone (a seat that could not be taken)."""
    if request is None:
        return

    def attempt() -> None:
        try:
            record = app.repository.get(request.record_id)
        except AggregateNotFoundError:
            return
        record.void()
        app.save(record)

    retry_on_conflict(attempt, VOID_ATTEMPTS, RuntimeError("clé non libérée"))
