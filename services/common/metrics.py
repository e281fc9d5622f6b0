"""The platform's Prometheus metrics (OP-3), served by every process on its
probe address (services/common/probes.py).

Hot paths (a gateway request, an RPC) only increment a counter and observe a
histogram. What needs a query (lags, parked events, queue depths) is read when
Prometheus scrapes, at most once per `REFRESH_SECONDS`, by the collectors below.
The alerting rules of deploy/k8s rely on these names and labels.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import kombu
from amqp.exceptions import NotFound
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# Seconds between two readings of the database or the broker for a scrape.
REFRESH_SECONDS = 5.0

# From a cached read model page (a few ms) to an RPC that times out (10 s).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter(
    "pmc_http_requests_total",
    "HTTP requests answered by the gateway, by route template",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "pmc_http_request_duration_seconds",
    "Time the gateway took to answer, by route template",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
RPC_REQUESTS = Counter(
    "pmc_rpc_requests_total",
    "RPC calls handled, by entrypoint; error = an unexpected failure (a refusal "
    "the caller is meant to get, « complet » for one, is ok)",
    ["service", "method", "outcome"],
)
RPC_DURATION = Histogram(
    "pmc_rpc_duration_seconds",
    "Time an RPC entrypoint took, by entrypoint",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
PAYMENTS = Counter(
    "pmc_payments_total",
    "Payments settled by billing, by method and outcome",
    ["method", "outcome"],
)


class Cached:
    """The last reading of `read`, taken again when older than `seconds`;
    one reader at a time, the others get the last reading."""

    def __init__(self, read: Callable[[], list[Metric]], seconds: float) -> None:
        self._read = read
        self._seconds = seconds
        self._lock = threading.Lock()
        self._at = -seconds
        self._value: list[Metric] = []

    def get(self) -> list[Metric]:
        if time.monotonic() - self._at < self._seconds:
            return self._value
        if not self._lock.acquire(blocking=False):
            return self._value
        try:
            self._value = self._read()
        except Exception as exc:
            # The database or the broker is away: readiness says so; the
            # metrics it would give are left out rather than made up.
            log.warning("metrics not read: %s", exc)
            self._value = []
        finally:
            self._at = time.monotonic()
            self._lock.release()
        return self._value


class ScrapeCollector(Collector):
    """A collector read at scrape time, through a cache."""

    def __init__(self, seconds: float = REFRESH_SECONDS) -> None:
        self._cached = Cached(self.read, seconds)

    def describe(self) -> list[Metric]:
        return []  # registering must not query anything

    def collect(self) -> Iterator[Metric]:
        yield from self._cached.get()

    def read(self) -> list[Metric]:
        raise NotImplementedError


class QueueDepths:
    """Messages ready in queues, read by passive declares over one kept
    connection (a broker restart makes it connect again)."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri
        self._conn: kombu.Connection | None = None
        self._channel: Any = None

    def _open(self) -> Any:
        if self._conn is None or not self._conn.connected:
            self.close()
            self._conn = kombu.Connection(self.amqp_uri, connect_timeout=2)
            self._conn.connect()
        if self._channel is None:
            self._channel = self._conn.channel()
        return self._channel

    def reachable(self) -> None:
        """Raise unless the broker answers."""
        try:
            self._open().exchange_declare("amq.direct", "direct", passive=True)
        except Exception:
            self.close()
            raise

    def depths(self, queues: Iterable[str]) -> dict[str, int]:
        """Ready messages per queue; a queue not declared yet is left out."""
        found: dict[str, int] = {}
        for name in queues:
            try:
                found[name] = int(self._open().queue_declare(name, passive=True)[1])
            except NotFound:
                self._channel = None  # the broker closed the channel
            except Exception:
                self.close()
                raise
        return found

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing the metrics connection failed", exc_info=True)


@contextlib.contextmanager
def _reported(source: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        log.warning("metrics from %s not read: %s", source, exc)


def gauge(name: str, doc: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


PARKED_DOC = (
    "Events a read model or sender parked (read_model), messages a consumer "
    "dead-lettered (queue)"
)


class ServiceCollector(ScrapeCollector):
    """One nameko service's lags and parked events: its followers' (from
    PostgreSQL) and its consumers' queues (from RabbitMQ)."""

    def __init__(
        self,
        service: str,
        followers: Callable[[], Sequence[Any]],
        queues: Sequence[str],
        depths: QueueDepths,
        dead_letters: Callable[[str], str],
    ) -> None:
        super().__init__()
        self.service = service
        self.followers = followers
        self.queues = list(queues)
        self.queue_depths = depths
        self.dead_letters = dead_letters

    def read(self) -> list[Metric]:
        labels = ("service", "read_model", "queue")
        parked = gauge("pmc_parked_events", PARKED_DOC, labels)
        metrics: list[Metric] = [parked]
        followers = self.followers()
        # PostgreSQL and RabbitMQ apart: one away leaves the other's metrics.
        if followers:
            with _reported("PostgreSQL"):
                metrics.append(self._projection_lag(followers, parked))
        if self.queues:
            with _reported("RabbitMQ"):
                metrics.append(self._consumer_lag(parked))
        return metrics

    def _projection_lag(
        self, followers: Sequence[Any], parked: GaugeMetricFamily
    ) -> Metric:
        lag = gauge(
            "pmc_projection_lag_events",
            "Events of its topics the log holds beyond a read model's position",
            ("service", "read_model"),
        )
        lot = next((f.parking for f in followers if f.parks), None)
        counts = lot.counts() if lot is not None else {}
        for follower in followers:
            waiting = follower.waiting(follower.stored_position())
            lag.add_metric([self.service, follower.role], waiting)
            if follower.parks:
                count = counts.get(follower.role, 0)
                parked.add_metric([self.service, follower.role, ""], count)
        return lag

    def _consumer_lag(self, parked: GaugeMetricFamily) -> Metric:
        lag = gauge(
            "pmc_consumer_lag_messages",
            "Messages ready in a consumer's queue",
            ("service", "queue"),
        )
        dead = {self.dead_letters(q): q for q in self.queues}
        depths = self.queue_depths.depths([*self.queues, *dead])
        for queue in self.queues:
            if queue in depths:
                lag.add_metric([self.service, queue], depths[queue])
        for dead_queue, queue in dead.items():
            if dead_queue in depths:
                parked.add_metric([self.service, "", queue], depths[dead_queue])
        return lag


class RelayCollector(ScrapeCollector):
    """The age of the oldest event each relay has not published yet."""

    def __init__(self, relays: Sequence[Any]) -> None:
        super().__init__()
        self.relays = list(relays)

    def read(self) -> list[Metric]:
        lag = gauge(
            "pmc_relay_lag_seconds",
            "Age of the oldest committed event not yet published, per service",
            ("service",),
        )
        now = datetime.now(UTC)
        for relay in self.relays:
            oldest = relay.oldest_unpublished()
            age = 0.0 if oldest is None else (now - oldest).total_seconds()
            lag.add_metric([relay.source], max(age, 0.0))
        return [lag]
