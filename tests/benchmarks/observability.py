"""What observing costs per request: the counter and histogram of one RPC or
HTTP request, its JSON log line, and the correlation id stored with an event.

Run: .venv/bin/python -m tests.benchmarks.observability

Prints microseconds per operation, to set against a hold's own cost
(tests/benchmarks/booking.py: a few milliseconds through gateway and booking).
Needs neither PostgreSQL nor RabbitMQ.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.persistence import JSONTranscoder, Mapper

from services.common import logs, metrics
from services.common.store import CorrelatedMapper, CorrelatingTranscoder

ROUNDS = 20_000


def per_call(label: str, action: Callable[[], object], rounds: int = ROUNDS) -> float:
    for _ in range(1000):  # warm up
        action()
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    micros = (time.perf_counter() - started) / rounds * 1e6
    print(f"{label:<48} {micros:8.2f} µs")
    return micros


class Held:
    """A stand-in for a domain event: a few fields, as booking's are."""

    def __init__(self) -> None:
        self.originator_id = uuid4()
        self.originator_version = 1
        self.timestamp = datetime.now(UTC).isoformat()
        self.school_id = "ecole-123"
        self.session_id = str(uuid4())
        self.neph = "123456789012"


def main() -> None:
    def rpc_metrics() -> None:
        metrics.RPC_REQUESTS.labels("booking", "hold", "ok").inc()
        metrics.RPC_DURATION.labels("booking", "hold").observe(0.003)

    def http_metrics() -> None:
        metrics.HTTP_REQUESTS.labels("/api/panier", "POST", "201").inc()
        metrics.HTTP_DURATION.labels("/api/panier", "POST").observe(0.004)

    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.formatter("booking"))
    log = logging.getLogger("benchmark")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    logs.bind(logs.new_id())

    def log_line() -> None:
        log.info(
            "rpc handled",
            extra={"method": "hold", "outcome": "ok", "duration_ms": 3.2},
        )

    rpc = per_call("RPC entrypoint: counter + histogram", rpc_metrics)
    http = per_call("gateway request: counter + histogram", http_metrics)
    line = per_call("one JSON log line (formatted, written)", log_line)

    event = Held()
    plain = Mapper(transcoder=JSONTranscoder())
    correlated = CorrelatedMapper(transcoder=CorrelatingTranscoder(JSONTranscoder()))
    base = per_call(
        "save one event (encode), without id", lambda: plain.to_stored_event(event)
    )
    more = per_call(
        "save one event (encode), with its id",
        lambda: correlated.to_stored_event(event),
    )
    print(
        f"\nper hold (gateway request + 1 RPC + 2 log lines + 3 events): "
        f"{http + rpc + 2 * line + 3 * (more - base):.1f} µs of observing"
    )


if __name__ == "__main__":
    main()
