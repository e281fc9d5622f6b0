"""What a service's published events say on the bus: its log's notifications
turned into integration messages.

The relay (services/common/relay.py) and `pmc republish` (pmc/republish.py)
both send what this builds, so a message re-published later is the one the
relay sent, byte for byte but its seal: same envelope, same position, same
contract. Each message is built from the stored event alone (its contract's
translation), never by loading an aggregate.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from services.common.contracts import SEALED
from services.common.envelope import Envelope
from services.common.keystore import BUS
from services.common.personal import seal_with_cipher
from services.common.publisher import Encoded
from services.common.sealing import take_personal
from services.common.store import ServiceApplication


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


class Outbox:
    """Turns one service's notifications into the messages it publishes."""

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self.source = app.name
        self.publications = {get_topic(cls): p for cls, p in app.published.items()}
        # The keys of the batch being encoded, by subject: this service's
        # (what its events seal) and the bus's (what its messages seal).
        self._keys: dict[UUID, bytes] = {}
        self._bus_keys: dict[UUID, bytes] = {}

    @property
    def topics(self) -> list[str]:
        """The stored event classes that have a contract, as topics."""
        return list(self.publications)

    def topics_of(self, event_types: Iterable[str]) -> list[str]:
        """The topics whose contract is one of `event_types`."""
        wanted = set(event_types)
        return [
            topic
            for topic, publication in self.publications.items()
            if publication.contract.event_type in wanted
        ]

    @property
    def event_types(self) -> set[str]:
        """The event types this service publishes."""
        return {p.contract.event_type for p in self.publications.values()}

    def encode_all(self, notifications: Sequence[Notification]) -> list[Encoded]:
        """The batch's messages, in log order. The events are read first, then
        the keys that open what they seal; their bodies are translated, then
        sealed together: the bus keys of every subject they name (a candidate,
        a school) are read, or made, at once."""
        read = [(n, *self.app.mapper.read(n)) for n in notifications]
        self._read_keys(event for _, event, _ in read)
        with self._unsealing():
            drafts = [d for one in read if (d := self._draft(*one)) is not None]
        keys = self._sealing_keys({taken[0] for _, _, taken in drafts if taken})
        ciphers = {subject: AESGCM(key) for subject, key in keys.items()}
        nonces = os.urandom(12 * len(drafts))
        encoded = []
        for n, (envelope, body, taken) in enumerate(drafts):
            if taken is not None:
                subject, personal = taken
                cipher = ciphers.get(subject)
                # No key: the subject was erased while the batch was read.
                body[SEALED] = cipher and seal_with_cipher(
                    cipher, nonces[12 * n : 12 * n + 12], subject, personal
                )
            encoded.append((envelope, encode(body)))
        return encoded

    def _read_keys(self, events: Iterable[Any]) -> None:
        """This service's and the bus's keys of the subjects whose keys open
        what the events seal (a reservation's candidate, not the reservation
        itself: `sealed_subject`), in one query, not two per event."""
        self._keys, self._bus_keys = {}, {}
        if not self.app.publishes_sealed:
            return
        subjects = {s for e in events if (s := self.app.sealed_subject(e)) is not None}
        if not subjects:  # seat events: nothing sealed, no query
            return
        owners = (self.app.name, BUS)
        for (subject, owner), key in self.app.keystore.of_owners(
            subjects, owners
        ).items():
            (self._bus_keys if owner == BUS else self._keys)[subject] = key

    def _sealing_keys(self, subjects: set[UUID]) -> Mapping[UUID, bytes]:
        """The bus keys of `subjects`, the missing ones made in one INSERT (a
        batch of new candidates). Only for subjects whose own key still
        exists when this service read their data: an erased subject never
        gets a key again."""
        keys = {s: self._bus_keys[s] for s in subjects if s in self._bus_keys}
        if missing := subjects - keys.keys():
            keys.update(
                self.app.keystore.made(
                    missing, guarded=missing & self._keys.keys(), kept_by=self.app.name
                )
            )
        return keys

    def _unsealing(self) -> Any:
        if not self.app.publishes_sealed:
            return contextlib.nullcontext()
        return self.app.vault.unsealing_with(self._keys)

    def _draft(
        self, notification: Notification, event: Any, correlation_id: str | None
    ) -> tuple[Envelope, dict[str, Any], tuple[UUID, dict[str, Any]] | None] | None:
        """A message's envelope and body, and its personal fields to seal
        (taken out of the body); None if the event says nothing to others."""
        publication = self.publications[notification.topic]
        body = publication.body(event, self.app)
        if body is None:
            return None
        envelope = Envelope(
            source=self.source,
            event_type=publication.contract.event_type,
            version=publication.contract.version,
            position=notification.id,
            occurred_at=event.timestamp.isoformat(),
            correlation_id=correlation_id,
        )
        return envelope, body, take_personal(publication.contract, body)
