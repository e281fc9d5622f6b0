"""Replay benchmark (issue 15): prints figures, asserts nothing.

    python -m tests.benchmarks.replay [--events 1000000] [--batch 2000]
        [--workers N] [--candidates 50000]

On a booking log of `--events` events (reservations held, then most paid and
the rest expired or cancelled: the platform's biggest log), in one run:
1. a raw scan of the notification log: every row read in batches of
   `--batch`, nothing decoded;
2. a rebuild of the school's reservation list from the same log, as
   `pmc replay booking reservation_list` does it: aside, on `--workers`
   processes (one per core by default), `--batch` positions at a time;
and the rebuild's rate as a share of the raw scan's. The goal is ≥ 50,000
events/s and ≥ 30 % of the raw scan.

Then, for comparison, the heaviest model: the candidate list, which opens each
file's sealed data and computes a keyed hash per beginning of a name, rebuilt
from `--candidates` files (0 to skip).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from psycopg import sql

from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.projections import READ_MODELS as BOOKING_MODELS
from services.booking.rules import BY_OPERATOR
from services.candidates.application import CandidatesApplication
from services.candidates.projections import READ_MODELS as CANDIDATE_MODELS
from services.common import rebuild
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.projection import ReadModel
from services.common.settings import Settings
from services.common.store import ServiceApplication
from tests.benchmarks.relay import commit_backlog

SESSIONS = 500
SCHOOLS = 400


def reservation_events(count: int) -> Iterator[Any]:
    """Events as booking records them: 80 % of holds paid (a tenth of those
    cancelled by the exam centre later), the rest expired in the cart."""
    draw = random.Random(15)
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    sessions = [uuid4() for _ in range(SESSIONS)]
    written = 0
    while written < count:
        i = written
        reservation = Reservation(
            reservation_id=uuid4(),
            school_id=f"ecole-{i % SCHOOLS}",
            candidate_id=uuid4(),
            bookable_id=uuid4(),
            personal="v1." + secrets.token_urlsafe(150),  # sealed, as held
            session_id=sessions[i % SESSIONS],
            centre_name="Centre d'examen Lyon Gerland",
            centre_city="Lyon",
            centre_address="12 rue de Gerland",
            exam_starts_at=now + timedelta(days=10 + i % 30),
            expires_at=now + timedelta(minutes=30),
            school_name="Auto-école du Parc",
            departement="69",
        )
        if draw.random() < 0.8:
            reservation.confirm(uuid4(), now, 3000, "card")
            if draw.random() < 0.1:
                reservation.cancel(now, BY_OPERATOR, "session annulée")
        else:
            reservation.release("expirée", now)
        for event in reservation.collect_events():
            if written < count:
                yield event
                written += 1


def write_booking_log(app: BookingApplication, count: int) -> None:
    """The events encoded as booking stores them, copied into its log (the
    application's own save would take an hour for a million)."""
    table = sql.Identifier(app.schema, app.recorder.events_table_name)
    copy = sql.SQL(
        "COPY {} (originator_id, originator_version, topic, state)"
        " FROM STDIN (FORMAT BINARY)"
    ).format(table)
    with app.datastore.transaction(commit=True) as curs, curs.copy(copy) as rows:
        rows.set_types(["uuid", "int8", "text", "bytea"])
        for event in reservation_events(count):
            stored = app.mapper.to_stored_event(event)
            rows.write_row(
                (
                    stored.originator_id,
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                )
            )


def raw_scan(app: ServiceApplication, batch: int) -> tuple[float, int]:
    """(rows/s, rows) of reading the whole log in batches, undecoded."""
    started = time.perf_counter()
    count, start = 0, 1
    while rows := app.recorder.select_notifications(start=start, limit=batch):
        count += len(rows)
        start = rows[-1].id + 1
    return count / (time.perf_counter() - started), count


def replay_rate(
    app: ServiceApplication, model: ReadModel, batch: int, workers: int | None
) -> tuple[float, int]:
    """(events/s, events) of `pmc replay`'s rebuild aside, swap excluded."""
    follower = rebuild.start_aside(app, model, batch)
    counted: list[int] = []
    started = time.perf_counter()
    rebuild.replay_aside(follower, counted.append, workers)
    elapsed = time.perf_counter() - started
    rebuild.abandon(follower)
    return sum(counted) / elapsed, sum(counted)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--candidates", type=int, default=50_000)
    args = parser.parse_args()
    os.environ.update(
        POSTGRES_DBNAME="pmc_bench", PMC_SCHEMA_PREFIX=f"bench{secrets.token_hex(3)}_"
    )
    settings = Settings.from_env()
    ensure_database(settings)
    workers = args.workers or os.cpu_count()
    print(f"{os.cpu_count()} cores, {workers} workers, batches of {args.batch}")
    booking = BookingApplication(settings=settings)
    candidates = CandidatesApplication(settings=settings)
    try:
        started = time.perf_counter()
        write_booking_log(booking, args.events)
        written = time.perf_counter() - started
        print(f"booking log written: {args.events} events in {written:.0f} s")
        scan_rate, scanned = raw_scan(booking, args.batch)
        model = BOOKING_MODELS["reservation_list"]
        rate, rebuilt = replay_rate(booking, model, args.batch, workers)
        print(f"raw scan of the log      : {scan_rate:9.0f} rows/s ({scanned})")
        print(f"rebuild reservation_list : {rate:9.0f} events/s ({rebuilt})")
        print(f"ratio                    : {rate / scan_rate:9.3f}")
        if args.candidates:
            commit_backlog(candidates, args.candidates)
            model = CANDIDATE_MODELS["candidate_list"]
            rate, rebuilt = replay_rate(candidates, model, args.batch, workers)
            print(f"rebuild candidate_list   : {rate:9.0f} events/s ({rebuilt})")
    finally:
        booking.close()
        candidates.close()
        drop_schemas_with_prefix(settings, settings.schema_prefix)


if __name__ == "__main__":
    main()
