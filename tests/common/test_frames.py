"""The relay's own frames are, byte for byte, what py-amqp would send, and
reach the broker whole and in order."""

from __future__ import annotations

import json
from uuid import uuid4

import amqp
import kombu
import pytest
from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps

from services.common.envelope import Envelope
from services.common.frames import PublishFrames
from services.common.publisher import ConfirmingPublisher
from services.common.topology import declare_source, events_exchange


class _Connection:
    frame_max = 131072
    bytes_sent = 0


class _Transport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += bytes(data)


def _py_amqp(channel_id: int, exchange: str, envelope: Envelope, body: bytes) -> bytes:
    transport = _Transport()
    write = frame_writer(_Connection(), transport)
    message = amqp.Message(
        body,
        content_type="application/json",
        content_encoding="utf-8",
        application_headers=envelope.headers(),
        message_id=envelope.event_id,
        type=envelope.event_type,
        delivery_mode=2,
    )
    args = dumps("Bssbb", (0, exchange, envelope.event_type, True, False))
    write(1, channel_id, spec.Basic.Publish, args, message)
    return transport.written


@pytest.mark.parametrize(
    "envelope",
    [
        Envelope("candidates", "CandidateCreated", 2, 1, "2026-11-24T09:00:00+00:00"),
        Envelope(
            "billing",
            "PaymentCaptured",
            2,
            2**40,  # a position beyond 32 bits
            "2026-11-24T09:00:00.123456+00:00",
            correlation_id="req-é-1",
        ),
    ],
)
def test_a_message_is_framed_as_py_amqp_frames_it(envelope):
    body = '{"candidate_id": "x", "city": "Orléans"}'.encode()
    frames = PublishFrames(3, _Connection.frame_max)
    ours = frames.message("candidates.events", envelope, body)
    assert ours == _py_amqp(3, "candidates.events", envelope, body)
    # Again, with the headers every message of its contract shares known.
    assert frames.message("candidates.events", envelope, body) == ours


def test_a_body_larger_than_a_frame_is_left_to_py_amqp():
    frames = PublishFrames(1, 4096)
    assert frames.fits(b"x" * 4000)
    assert not frames.fits(b"x" * 4096)


def test_a_batch_with_a_body_larger_than_a_frame_arrives_whole_and_in_order(settings):
    source = f"frames{uuid4().hex[:8]}"
    conn = kombu.Connection(settings.amqp_uri)
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        declare_source(conn.default_channel, source)
        queue = kombu.Queue(
            exclusive=True, exchange=events_exchange(source), routing_key="#"
        )(conn.default_channel)
        queue.declare()
        bodies = [b'{"n": 1}', json.dumps({"n": 2, "pad": "é" * 300_000}).encode()]
        bodies.append(b'{"n": 3}')
        messages = [
            (Envelope(source, "Thing", 1, n, "2026-11-24T09:00:00+00:00"), body)
            for n, body in enumerate(bodies, 1)
        ]
        publisher.await_confirms(publisher.publish(source, messages))
        received = [queue.get(no_ack=True) for _ in bodies]
        assert [m.body for m in received] == [b.decode() for b in bodies]
        assert [m.headers["pmc-notification-id"] for m in received] == [1, 2, 3]
        assert {m.properties["message_id"] for m in received} == {
            f"{source}:{n}" for n in (1, 2, 3)
        }
    finally:
        publisher.close()
        conn.close()
