"""What travels with an integration event on the bus besides its payload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking

H_EVENT_TYPE = "pmc-event-type"
H_VERSION = "pmc-contract-version"
H_SOURCE = "pmc-source"
H_POSITION = "pmc-notification-id"
H_OCCURRED_AT = "pmc-occurred-at"
H_ATTEMPT = "pmc-attempt"
H_ERROR = "pmc-error"
H_CORRELATION_ID = "pmc-correlation-id"


class BadEnvelope(ValueError):
    """A message without the headers that say where it comes from."""


@dataclass(frozen=True)
class Envelope:
    source: str
    event_type: str
    version: int
    position: int
    occurred_at: str

    @property
    def event_id(self) -> str:
        """Unique and stable across redeliveries: source and log position."""
        return f"{self.source}:{self.position}"

    def headers(self) -> dict[str, Any]:
        return {
            H_SOURCE: self.source,
            H_EVENT_TYPE: self.event_type,
            H_VERSION: self.version,
            H_POSITION: self.position,
            H_OCCURRED_AT: self.occurred_at,
        }

    @classmethod
    def from_headers(cls, headers: dict[str, Any] | None) -> Envelope:
        headers = headers or {}
        try:
            return cls(
                source=str(headers[H_SOURCE]),
                event_type=str(headers[H_EVENT_TYPE]),
                version=int(headers[H_VERSION]),
                position=int(headers[H_POSITION]),
                occurred_at=str(headers.get(H_OCCURRED_AT, "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadEnvelope(f"missing or bad envelope header: {exc}") from exc


@dataclass(frozen=True)
class Delivered:
    """An integration event as a handler receives it: loaded and traceable."""

    envelope: Envelope
    payload: dict[str, Any]
    attempt: int
    # The handling method: two handlers of one service for the same event each
    # keep their own tracking record, so neither skips the other's message.
    handler: str = ""

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def tracking(self) -> Tracking:
        name = self.envelope.source
        if self.handler:
            name = f"{name}>{self.handler}"
        return Tracking(application_name=name, notification_id=self.envelope.position)
