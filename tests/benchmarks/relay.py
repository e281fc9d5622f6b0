"""Relay benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.relay [--events 5000] [--rate 500] [--seconds 10]

1. Throughput: events already committed, drained by one relay (events/s).
2. Lag: a producer commits at a steady rate while `pmc relay` runs as its own
   process; a consumer records commit-to-consumer lag (p50, p99).
3. Raw kombu: the same messages published with the same batched confirms and no
   database, as the ceiling the relay is compared with.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from urllib.parse import quote
from uuid import uuid4

import kombu
import requests

from services.candidates.application import CandidatesApplication
from services.candidates.domain import CandidateFile
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.envelope import Envelope
from services.common.relay import ConfirmingPublisher, Relay
from services.common.settings import Settings
from services.common.topology import events_exchange

MANAGEMENT = "http://guest:guest@127.0.0.1:15672/api"


def _file(i: int) -> CandidateFile:
    return CandidateFile.create(
        file_id=uuid4(),
        school_id="bench",
        school_email="bench@example.fr",
        neph=f"{i:012d}",
        personal="",  # the relay's work does not depend on what is sealed
        contact="courrier",
        nonce="n",
        at=datetime.now(UTC),
    )


def commit_backlog(app: CandidatesApplication, count: int) -> None:
    for start in range(0, count, 100):
        app.save(*[_file(i) for i in range(start, min(count, start + 100))])


def bind_sink(conn: kombu.Connection) -> kombu.Queue:
    queue = kombu.Queue(
        "bench-sink", exchange=events_exchange("candidates"), routing_key="#"
    )(conn.channel())
    queue.declare()
    queue.purge()
    return queue


def throughput(app: CandidatesApplication, settings: Settings, count: int) -> float:
    commit_backlog(app, count)
    relay = Relay(app, settings.amqp_uri)
    started = time.perf_counter()
    published = relay.run_until_caught_up()
    elapsed = time.perf_counter() - started
    relay.release()
    return published / elapsed


def raw_kombu(settings: Settings, count: int, batch: int = 500) -> float:
    publisher = ConfirmingPublisher(settings.amqp_uri)
    body = {"candidate_id": "00000000-0000-0000-0000-000000000000", "neph": "1" * 12}
    now = datetime.now(UTC).isoformat()
    messages = [
        (Envelope("candidates", "CandidateCreated", 1, i, now), body)
        for i in range(count)
    ]
    started = time.perf_counter()
    for start in range(0, count, batch):
        publisher.publish_batch("candidates", messages[start : start + batch])
    elapsed = time.perf_counter() - started
    publisher.close()
    return count / elapsed


def lag(
    app: CandidatesApplication, settings: Settings, env: dict, rate: int, seconds: int
) -> tuple[list[float], float]:
    lags: list[float] = []
    expected = rate * seconds
    done = threading.Event()

    def consume() -> None:
        with kombu.Connection(settings.amqp_uri) as conn:
            queue = bind_sink(conn)
            ready.set()

            def on_message(body, message) -> None:
                occurred = datetime.fromisoformat(message.headers["pmc-occurred-at"])
                lags.append((datetime.now(UTC) - occurred).total_seconds())
                message.ack()
                if len(lags) >= expected:
                    done.set()

            with kombu.Consumer(conn, queues=[queue], callbacks=[on_message]):
                while not done.is_set():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=1)

    ready = threading.Event()
    consumer = threading.Thread(target=consume)
    consumer.start()
    ready.wait(10)
    relay = subprocess.Popen(
        [sys.executable, "-m", "pmc.cli", "relay", "candidates"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)  # the relay catches up with the backlog and leads
    # Several producers, as several service workers would: one alone is bounded
    # by its own commit latency.
    producers = 4
    interval = producers / rate
    started = time.perf_counter()

    def produce(offset: int) -> None:
        for n, i in enumerate(range(offset, expected, producers)):
            target = started + n * interval
            if (pause := target - time.perf_counter()) > 0:
                time.sleep(pause)
            app.save(_file(10_000_000 + i))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    produced_rate = expected / (time.perf_counter() - started)
    done.wait(60)
    done.set()
    consumer.join()
    relay.terminate()
    relay.wait(20)
    return lags, produced_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    run = secrets.token_hex(3)
    vhost = f"pmc-bench-{run}"
    requests.put(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(
        f"{MANAGEMENT}/permissions/{vhost}/guest",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=10,
    ).raise_for_status()
    env = {
        **os.environ,
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
        "POSTGRES_DBNAME": "pmc_bench",
        "PMC_SCHEMA_PREFIX": f"bench{run}_",
    }
    os.environ.update(env)
    settings = Settings.from_env()
    ensure_database(settings)
    app = CandidatesApplication(settings=settings)
    try:
        with kombu.Connection(settings.amqp_uri) as conn:
            bind_sink(conn)  # events are routed to a queue, as in production
        relay_rate = throughput(app, settings, args.events)
        raw_rate = raw_kombu(settings, args.events)
        lags, produced = lag(app, settings, env, args.rate, args.seconds)
    finally:
        app.close()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
        requests.delete(f"{MANAGEMENT}/vhosts/{vhost}", timeout=10)

    print(f"relay throughput      : {relay_rate:8.0f} events/s ({args.events} events)")
    print(f"raw kombu (confirmed) : {raw_rate:8.0f} messages/s")
    print(f"relay / raw kombu     : {relay_rate / raw_rate:8.2f}")
    if lags:
        q = statistics.quantiles(lags, n=100)
        print(
            f"lag at {produced:.0f} commits/s : p50 {q[49] * 1000:.1f} ms, "
            f"p99 {q[98] * 1000:.1f} ms ({len(lags)} of "
            f"{args.rate * args.seconds} events received)"
        )
    else:
        print("lag: no event received")


if __name__ == "__main__":
    main()
