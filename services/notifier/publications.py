"""What the notifier publishes: each integration event built from its stored
event alone (DESIGN: the relay never reloads an aggregate)."""

from __future__ import annotations

from typing import Any

from services.common import contracts
from services.common.store import Publication
from services.notifier.domain import Message


def _convocation_sent(e: Message.ConvocationSent, app: Any) -> dict[str, Any]:
    return {
        "message_id": e.originator_id,
        "reservation_id": e.reservation_id,
        "channel": e.channel,
        "exam_starts_at": e.exam_starts_at,
        "sent_at": e.sent_at,
    }


PUBLISHED: dict[type, Publication] = {
    Message.ConvocationSent: Publication(contracts.ConvocationSent, _convocation_sent),
}
