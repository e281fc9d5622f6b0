"""Relay benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.relay [--events 5000] [--rounds 5] [--rate 500]
                                     [--seconds 10]

1. Throughput: candidate files (sealed personal data, as the service writes
   them) already committed, drained by one relay from position 0 (events/s).
2. Raw confirmed publishing: the very messages the relay published (same
   bodies, headers and properties), built beforehand and handed to py-amqp's
   basic_publish in batches of the relay's size, each batch corked (one
   transmission), with as many batches unconfirmed at most: no database, no
   translation, no JSON. (The relay frames a batch itself, in one write:
   services/common/frames.py.)
   The ceiling the relay is compared with.
   1 and 2 alternate for `--rounds` rounds (the machine is shared and noisy);
   every round is printed, and the medians.
3. Lag: producer processes (several threads each, a connection per thread, as
   service workers would) commit files built and mapped to stored events
   beforehand (each commit is what Application.save ends with: table lock,
   NOTIFY, insert) at a steady rate while `pmc relay` runs as its own process.
   A consumer in this process records, per event, the time from its commit
   (the producer's insert returned) to its delivery, and from the start of
   the insert (so including the wait for the table lock other writers hold).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from uuid import uuid4

import amqp
import kombu
from psycopg import sql

from services.candidates.application import CandidatesApplication
from services.candidates.domain import BY_EMAIL, CandidateFile
from services.common.publisher import corked
from services.common.relay import IN_FLIGHT, Relay
from services.common.settings import Settings
from services.common.topology import events_exchange
from tests.benchmarks import platform

BATCH = 500  # the relay's batch size (LogFollower's default)
PRODUCER_PROCESSES = 4
PRODUCER_THREADS = 2
PERSONAL = {
    "civility": "Mme",
    "given_names": "Linh Mai",
    "birth_name": "Nguyen",
    "birth_date": "2005-03-14",
    "email": "linh.nguyen@example.fr",
    "phone": "0601020304",
}


def _file(app: CandidatesApplication, i: int) -> CandidateFile:
    file_id = uuid4()
    return CandidateFile.create(
        file_id=file_id,
        school_id="bench",
        school_email="bench@example.fr",
        neph=f"{i:012d}",
        personal=app.vault.seal(file_id, PERSONAL),
        contact=BY_EMAIL,
        nonce=secrets.token_urlsafe(16),
        at=datetime.now(UTC),
    )


def commit_backlog(app: CandidatesApplication, count: int) -> None:
    for start in range(0, count, 100):
        app.save(*[_file(app, i) for i in range(start, min(count, start + 100))])


def bind_sink(conn: kombu.Connection) -> kombu.Queue:
    queue = kombu.Queue(
        "bench-sink", exchange=events_exchange("candidates"), routing_key="#"
    )(conn.channel())
    queue.declare()
    queue.purge()
    return queue


def throughput(app: CandidatesApplication, settings: Settings) -> float:
    """Drain the whole log again from position 0."""
    with app.datastore.transaction(commit=True) as curs:
        table = sql.Identifier(app.schema, "relay_position")
        curs.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    relay = Relay(app, settings.amqp_uri, batch_size=BATCH)
    relay.try_lead()  # connected, as the raw publisher is before its timing
    started = time.perf_counter()
    published = relay.run_until_caught_up()
    elapsed = time.perf_counter() - started
    relay.release()
    return published / elapsed


def published_messages(settings: Settings, count: int) -> list[amqp.Message]:
    """What the relay published, as messages to publish again unchanged."""
    messages: list[amqp.Message] = []
    with kombu.Connection(settings.amqp_uri) as conn:
        queue = kombu.Queue("bench-sink")(conn.channel())
        while len(messages) < count and (got := queue.get(no_ack=True)):
            messages.append(
                amqp.Message(
                    got.body,
                    content_type=got.content_type,
                    content_encoding=got.content_encoding,
                    application_headers=dict(got.headers),
                    message_id=got.properties.get("message_id"),
                    type=got.properties.get("type"),
                    delivery_mode=2,
                )
            )
    return messages


def raw_confirmed(settings: Settings, messages: list[amqp.Message]) -> float:
    """py-amqp alone, batches and confirms as the relay has them."""
    conn = amqp.Connection(
        "127.0.0.1:5672",
        userid="guest",
        password="guest",
        virtual_host=os.environ["PMC_BENCH_VHOST"],
    )
    conn.connect()
    channel = conn.channel()
    channel.confirm_select()
    confirmed = 0

    def on_ack(tag: int, multiple: bool) -> None:
        nonlocal confirmed
        confirmed = max(confirmed, tag) if multiple else confirmed + 1

    channel.events["basic_ack"].add(on_ack)
    exchange = events_exchange("candidates").name
    started = time.perf_counter()
    for start in range(0, len(messages), BATCH):
        # As the relay does: at most IN_FLIGHT batches unconfirmed.
        while confirmed < start - BATCH * (IN_FLIGHT - 1):
            conn.drain_events(timeout=30)
        with corked(conn.sock):  # as the relay writes a batch
            for message in messages[start : start + BATCH]:
                channel.basic_publish(message, exchange, message.type, mandatory=True)
    while confirmed < len(messages):
        conn.drain_events(timeout=30)
    elapsed = time.perf_counter() - started
    conn.close()
    return len(messages) / elapsed


def produce(
    env: dict, offset: int, step: int, rate: int, count: int, out, setup
) -> None:
    """One producer process; what it committed, or why it failed, goes to `out`."""
    os.environ.update(env)
    try:
        with setup:  # its store's set-up (CREATE … IF NOT EXISTS) one at a time
            app = CandidatesApplication(settings=Settings.from_env())
        out.put(_produce(app, offset, step, rate, count))
    except Exception:
        out.put(traceback.format_exc())


def _produce(
    app: CandidatesApplication, offset: int, step: int, rate: int, count: int
) -> tuple[dict[str, tuple[float, float]], float]:
    """Threads committing one file each, on schedule."""
    # A thread holds the table lock from its insert to its commit: other
    # threads of its process must not keep the GIL from it for 5 ms meanwhile,
    # or every writer waits (commits are serialised by that lock).
    sys.setswitchinterval(0.0005)
    threads = PRODUCER_THREADS
    # Built and mapped beforehand: on schedule, each thread only commits, as
    # Application.save does in the end (table lock, NOTIFY, insert, commit).
    files = {}
    for i in range(offset, count, step):
        file = _file(app, 10_000_000 + i)
        stored = [app.mapper.to_stored_event(e) for e in file.collect_events()]
        files[i] = (file.id, stored)
    committed: dict[str, tuple[float, float]] = {}
    interval = step * threads / rate
    started = time.perf_counter() + 0.5  # every thread ready before the first

    def run(k: int) -> None:
        mine = range(offset + k * step, count, step * threads)
        for n, i in enumerate(mine):
            if (pause := started + n * interval - time.perf_counter()) > 0:
                time.sleep(pause)
            (file_id, stored), begun = files[i], time.time()
            app.recorder.insert_events(stored)
            committed[str(file_id)] = (time.time(), begun)

    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(run, k) for k in range(threads)]:
            done.result()  # a thread's failure is the producer's
    elapsed = time.perf_counter() - started
    app.close()
    return committed, elapsed


def lag(
    settings: Settings, env: dict, rate: int, seconds: int
) -> tuple[list[float], list[float], float]:
    expected = rate * seconds
    received: dict[str, float] = {}
    done = threading.Event()
    ready = threading.Event()

    def consume() -> None:
        with kombu.Connection(settings.amqp_uri) as conn:
            queue = bind_sink(conn)
            ready.set()

            def on_message(body, message) -> None:
                received[body["candidate_id"]] = time.time()
                if len(received) >= expected:
                    done.set()

            # Without acknowledgements: this consumer only times deliveries,
            # and takes as little of the machine from producers as it can.
            consuming = kombu.Consumer(
                conn, queues=[queue], callbacks=[on_message], no_ack=True
            )
            with consuming:
                while not done.is_set():
                    with contextlib.suppress(TimeoutError):
                        conn.drain_events(timeout=1)

    consumer = threading.Thread(target=consume)
    consumer.start()
    ready.wait(10)
    relay = subprocess.Popen(
        [sys.executable, "-m", "pmc.cli", "relay", "candidates"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)  # the relay catches up with the backlog and leads
    processes = PRODUCER_PROCESSES
    spawn = multiprocessing.get_context("spawn")
    out, setup = spawn.Queue(), spawn.Lock()
    producers = [
        spawn.Process(
            target=produce, args=(env, p, processes, rate, expected, out, setup)
        )
        for p in range(processes)
    ]
    for producer in producers:
        producer.start()
    results = [out.get(timeout=seconds * 10 + 120) for _ in producers]
    for failure in [r for r in results if isinstance(r, str)]:
        raise RuntimeError(f"a producer failed:\n{failure}")
    for producer in producers:
        producer.join()
    done.wait(30)
    done.set()
    consumer.join()
    relay.terminate()
    relay.wait(20)
    committed = {k: v for c, _ in results for k, v in c.items()}
    produced_rate = len(committed) / max(elapsed for _, elapsed in results)
    from_commit = [received[k] - c for k, (c, _) in committed.items() if k in received]
    from_save = [received[k] - b for k, (_, b) in committed.items() if k in received]
    return from_commit, from_save, produced_rate


def _quantiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"


def measure(args: argparse.Namespace, env: dict, settings: Settings) -> tuple:
    """Rounds of (relay, raw) rates, the messages, and the lag run's figures."""
    app = CandidatesApplication(settings=settings)
    rounds: list[tuple[float, float]] = []
    try:
        commit_backlog(app, args.events)
        for _ in range(args.rounds):
            with kombu.Connection(settings.amqp_uri) as conn:
                bind_sink(conn)  # events are routed to a queue, as in production
            relay_rate = throughput(app, settings)
            messages = published_messages(settings, args.events)
            with kombu.Connection(settings.amqp_uri) as conn:
                bind_sink(conn)  # empty again: the raw run fills the same queue
            rounds.append((relay_rate, raw_confirmed(settings, messages)))
        return rounds, messages, lag(settings, env, args.rate, args.seconds)
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()

    with platform.isolated("bench") as (env, settings):
        rounds, messages, lags = measure(args, env, settings)
    from_commit, from_save, produced = lags
    size = statistics.mean(len(m.body) for m in messages)
    print(
        f"{args.events} events ({size:.0f} B bodies), batches of {BATCH}, "
        f"{args.rounds} rounds"
    )
    for n, (relay_rate, raw_rate) in enumerate(rounds, 1):
        print(
            f"  round {n}: relay {relay_rate:6.0f} events/s, raw confirmed "
            f"publish {raw_rate:6.0f} messages/s, ratio {relay_rate / raw_rate:.2f}"
        )
    relay_median = statistics.median(r for r, _ in rounds)
    raw_median = statistics.median(r for _, r in rounds)
    print(f"relay throughput (median)      : {relay_median:8.0f} events/s")
    print(f"raw confirmed publish (median) : {raw_median:8.0f} messages/s")
    print(
        "relay / raw (median of rounds) : "
        f"{statistics.median(r / w for r, w in rounds):8.2f}"
    )
    expected = args.rate * args.seconds
    if from_commit:
        print(
            f"lag at {produced:.0f} commits/s, {len(from_commit)} of {expected} "
            "events received"
        )
        print(f"  commit-to-consumer     : {_quantiles(from_commit)}")
        print(f"  save-start-to-consumer : {_quantiles(from_save)}")
    else:
        print("lag: no event received")


if __name__ == "__main__":
    main()
