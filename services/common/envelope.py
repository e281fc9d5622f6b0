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
    # The request that caused the event (services/common/logs.py), if known.
    correlation_id: str | None = None

    @property
    def event_id(self) -> str:
        """Unique and stable across redeliveries: source and log position."""
        return f"{self.source}:{self.position}"

    def headers(self) -> dict[str, Any]:
        headers = {
            H_SOURCE: self.source,
            H_EVENT_TYPE: self.event_type,
            H_VERSION: self.version,
            H_POSITION: self.position,
            H_OCCURRED_AT: self.occurred_at,
        }
        if self.correlation_id is not None:
            headers[H_CORRELATION_ID] = self.correlation_id
        return headers

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
                correlation_id=_text_or_none(headers.get(H_CORRELATION_ID)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadEnvelope(f"missing or bad envelope header: {exc}") from exc


def _text_or_none(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Delivered:
    """An integration event as a handler receives it: loaded and traceable."""

    envelope: Envelope
    payload: dict[str, Any]
    attempt: int
    # The handling method: two handlers of one service for the same event each
    # keep their own tracking record, so neither skips the other's message.
    handler: str = ""
    # The message's personal data was sealed for a subject whose key is
    # forgotten (erased): its personal fields are None, for good.
    erased: bool = False

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def tracking(self) -> Tracking:
        name = self.envelope.source
        if self.handler:
            name = f"{name}>{self.handler}"
        return Tracking(application_name=name, notification_id=self.envelope.position)
