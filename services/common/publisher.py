"""Publishing with publisher confirms: the relay's link to RabbitMQ.

A batch of messages is written at once and its confirms awaited later, so the
broker stores one batch while the relay prepares the next; a message counts as
published only once the broker confirmed it (services/common/relay.py).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import amqp
import kombu

from services.common.envelope import Envelope
from services.common.frames import PublishFrames
from services.common.topology import declare_source, events_exchange

log = logging.getLogger(__name__)


class PublishNotConfirmed(RuntimeError):
    """The broker refused, returned or did not confirm part of a batch."""


# A message ready for the wire: its envelope and its JSON body.
Encoded = tuple[Envelope, bytes]


@contextlib.contextmanager
def corked(sock: socket.socket | None) -> Iterator[None]:
    """The frames written within leave together when the block ends (Linux's
    TCP_CORK): one transmission, one wake-up of the broker, per batch rather
    than per message."""
    cork = getattr(socket, "TCP_CORK", None)
    if cork is None or sock is None:
        yield
        return
    sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # a broken connection says so itself
            sock.setsockopt(socket.IPPROTO_TCP, cork, 0)


class ConfirmingPublisher:
    """Publishes batches with publisher confirms and waits for them.

    It talks to py-amqp's channel directly: kombu's producer costs more per
    message than everything else the relay does. Messages are what kombu's
    JSON serializer would send (content type, encoding, persistent).
    """

    def __init__(
        self,
        amqp_uri: str,
        confirm_timeout: float = 30.0,
        on_connect: Callable[[Any], None] | None = None,
    ) -> None:
        self.amqp_uri = amqp_uri
        # Runs on every new connection: a broker that lost its definitions, or
        # was down when we first came, gets its queues declared again.
        self.on_connect = on_connect
        self.confirm_timeout = confirm_timeout
        self._conn: kombu.Connection | None = None
        self._channel: Any = None
        # Delivery tags are 1, 2, … on a channel: every tag up to `_settled`
        # is confirmed, and so are those in `_settled_above` (single acks that
        # came before a lower one).
        self._next_tag = 0
        self._settled = 0
        self._settled_above: set[int] = set()
        self._failures: list[str] = []
        self._declared: set[str] = set()
        self._frames: PublishFrames | None = None

    def connect(self) -> None:
        """Open the channel now, if it is not open (it is on first publish)."""
        self._ensure()

    def _ensure(self) -> Any:
        if self._conn is not None and self._conn.connected:
            return self._channel
        if self._settled < self._next_tag:
            # Their confirms went with the connection: never count them as
            # confirmed by a new channel's delivery tags.
            self.close()
            raise PublishNotConfirmed("connection lost with messages unconfirmed")
        self.close()
        conn = kombu.Connection(self.amqp_uri, connect_timeout=5)
        conn.connect()
        channel = conn.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self._conn, self._channel = conn, channel
        self._frames = PublishFrames(channel.channel_id, conn.connection.frame_max)
        self._next_tag = self._settled = 0
        self._settled_above.clear()
        self._declared.clear()
        if self.on_connect is not None:
            self.on_connect(channel)
        return channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._failures.append(f"nack {delivery_tag}")
        self._settle(delivery_tag, multiple)

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, _m) -> None:
        self._failures.append(f"returned from {exchange} ({routing_key}): {exc}")

    def _settle(self, delivery_tag: int, multiple: bool) -> None:
        if multiple or delivery_tag == self._settled + 1:
            self._settled = max(self._settled, delivery_tag)
        else:
            self._settled_above.add(delivery_tag)
        if self._settled_above:
            while self._settled + 1 in self._settled_above:
                self._settled += 1
            self._settled_above = {t for t in self._settled_above if t > self._settled}

    def publish(
        self, source: str, messages: Sequence[Encoded], queue: str | None = None
    ) -> int:
        """Publish in order; return the last delivery tag so far, which
        `await_confirms` takes to wait for the broker's word on them.

        To the source's events exchange (every queue bound for a message's
        event type gets it), or with `queue` to that queue alone, through the
        default exchange (`pmc republish --to-queue`)."""
        channel = self._ensure()
        if not channel.is_open:  # closed by the broker (a channel error)
            raise PublishNotConfirmed("channel closed by the broker")
        if source not in self._declared:
            declare_source(channel, source)
            self._declared.add(source)
        exchange = events_exchange(source).name if queue is None else ""
        with corked(self._conn.connection.sock):
            self._publish_all(channel, exchange, messages, queue)
        self._next_tag += len(messages)
        return self._next_tag

    def _publish_all(
        self,
        channel: Any,
        exchange: str,
        messages: Sequence[Encoded],
        routing_key: str | None = None,
    ) -> None:
        # The batch's frames leave in one write (services/common/frames.py).
        frames = self._frames
        assert frames is not None  # made with the channel
        transport = self._conn.connection.transport
        ready: list[bytes] = []
        for envelope, body in messages:
            if frames.fits(body):
                ready.append(frames.message(exchange, envelope, body, routing_key))
                continue
            if ready:  # in order: what precedes it leaves first
                transport.write(b"".join(ready))
                ready.clear()
            message = amqp.Message(
                body,
                content_type="application/json",
                content_encoding="utf-8",
                application_headers=envelope.headers(),
                message_id=envelope.event_id,
                type=envelope.event_type,
                delivery_mode=2,
            )
            channel.basic_publish(
                message, exchange, routing_key or envelope.event_type, mandatory=True
            )
        if ready:
            transport.write(b"".join(ready))
        # Outbound traffic, as py-amqp counts it for heartbeats.
        self._conn.connection.bytes_sent += 1

    def await_confirms(self, upto: int | None = None) -> None:
        """Wait until every message up to delivery tag `upto` (default: all
        published) is confirmed; raise if the broker refused or returned any
        message so far, or stays silent too long."""
        upto = self._next_tag if upto is None else upto
        if self._settled >= upto and not self._failures:
            return
        deadline = time.monotonic() + self.confirm_timeout
        if self._conn is None:
            raise PublishNotConfirmed("connection closed with messages unconfirmed")
        broker = self._conn.connection  # py-amqp's, without kombu's wrapping
        while self._settled < upto:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{upto - self._settled} unconfirmed")
            broker.drain_events(timeout=remaining)
        if self._failures:
            failures, self._failures = self._failures, []
            raise PublishNotConfirmed("; ".join(failures[:5]))

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        self._frames = None
        self._failures.clear()
        self._next_tag = self._settled = 0
        self._settled_above.clear()
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing a broken broker connection failed", exc_info=True)
