"""AMQP 0-9-1 frames of the relay's publishes, encoded a batch at a time.

py-amqp encodes each message's properties with a general serializer, then
writes each message with a system call of its own: that cost more than all the
relay's other work per event. The relay's messages always have the same
properties (content type, encoding, headers, persistent, id, type), so their
frames are built here from parts encoded once, and a batch leaves in one write.
The bytes are py-amqp's own (tests/common/test_frames.py compares them).
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from amqp.serialization import dumps

from services.common.envelope import (
    H_CORRELATION_ID,
    H_EVENT_TYPE,
    H_OCCURRED_AT,
    H_POSITION,
    H_SOURCE,
    H_VERSION,
    Envelope,
)

# basic.publish (class 60, method 40); frames end with 0xCE.
_BASIC = 60
_PUBLISH = Struct(">HH").pack(_BASIC, 40)
_END = b"\xce"
_FRAME = Struct(">BHI")
_CONTENT_HEADER = Struct(">HHQ")
_LONG = Struct(">I")
_STRING = Struct(">cI")
_INT = Struct(">ci")
_LONGLONG = Struct(">cq")
_METHOD, _HEADER, _BODY = 1, 2, 3
# Property flags, in py-amqp's order (amqp.basic_message.Message.PROPERTIES):
# content_type, content_encoding, application_headers, delivery_mode (bits 15
# to 12), message_id (7), type (5).
_FLAGS = 0xF0A0
_PREFIX = Struct(">H").pack(_FLAGS) + dumps("ss", ["application/json", "utf-8"])
_PERSISTENT = b"\x02"


def _short(text: str) -> bytes:
    data = text.encode()
    if len(data) > 255:
        raise ValueError(f"short string too long: {text[:40]}…")
    return bytes((len(data),)) + data


def _item(key: str, value: Any) -> bytes:
    """One entry of a field table, a text or an integer, as py-amqp writes it."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        return _short(key) + _STRING.pack(b"S", len(data)) + data
    if isinstance(value, int) and not isinstance(value, bool):
        if -2147483647 <= value <= 2147483647:
            return _short(key) + _INT.pack(b"I", value)
        return _short(key) + _LONGLONG.pack(b"L", value)
    raise TypeError(f"header {key}: {type(value).__name__}")


class PublishFrames:
    """Encodes basic.publish messages (mandatory, persistent, JSON) for one
    channel, whose frames may be at most `frame_max` bytes."""

    def __init__(self, channel_id: int, frame_max: int) -> None:
        self.channel_id = channel_id
        self.frame_max = frame_max
        self._methods: dict[tuple[str, str], bytes] = {}
        # The headers every message of a contract shares, encoded once.
        self._fixed: dict[tuple[str, str, int], bytes] = {}

    def _method(self, exchange: str, routing_key: str) -> bytes:
        frame = self._methods.get((exchange, routing_key))
        if frame is None:
            # ticket 0, exchange, routing key, mandatory, not immediate.
            args = dumps("Bssbb", (0, exchange, routing_key, True, False))
            frame = self._frame(_METHOD, _PUBLISH + args)
            self._methods[exchange, routing_key] = frame
        return frame

    def _frame(self, kind: int, payload: bytes) -> bytes:
        return _FRAME.pack(kind, self.channel_id, len(payload)) + payload + _END

    def fits(self, body: bytes) -> bool:
        """Whether the body goes in one frame (else py-amqp splits it)."""
        return len(body) + 8 <= self.frame_max

    def _headers(self, envelope: Envelope) -> bytes:
        """`envelope.headers()` as a field table (in its order)."""
        contract = (envelope.source, envelope.event_type, envelope.version)
        fixed = self._fixed.get(contract)
        if fixed is None:
            fixed = self._fixed[contract] = b"".join(
                (
                    _item(H_SOURCE, envelope.source),
                    _item(H_EVENT_TYPE, envelope.event_type),
                    _item(H_VERSION, envelope.version),
                )
            )
        parts = [
            fixed,
            _item(H_POSITION, envelope.position),
            _item(H_OCCURRED_AT, envelope.occurred_at),
        ]
        if envelope.correlation_id is not None:
            parts.append(_item(H_CORRELATION_ID, envelope.correlation_id))
        table = b"".join(parts)
        return _LONG.pack(len(table)) + table

    def message(
        self,
        exchange: str,
        envelope: Envelope,
        body: bytes,
        routing_key: str | None = None,
    ) -> bytes:
        """The three frames of one message whose body `fits`: typed by its
        event type, routed by it (or by `routing_key`: a queue's name, through
        the default exchange), identified by its event id."""
        properties = b"".join(
            (
                _PREFIX,
                self._headers(envelope),
                _PERSISTENT,
                _short(envelope.event_id),
                _short(envelope.event_type),
            )
        )
        header = _CONTENT_HEADER.pack(_BASIC, 0, len(body)) + properties
        return b"".join(
            (
                self._method(exchange, routing_key or envelope.event_type),
                self._frame(_HEADER, header),
                self._frame(_BODY, body),
            )
        )
