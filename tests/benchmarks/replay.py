"""Replay benchmark (issue 15): prints figures, asserts nothing.

    python -m tests.benchmarks.replay [--events 1000000] [--batch 500]

On a log of `--events` candidate files (one event each), in one run:
1. a raw scan of the notification log: every row read in batches of
   `--batch` (the followers' batch), nothing decoded;
2. a rebuild of the school's candidate list from the same log (decoding,
   projecting, one transaction per batch of events, as `pmc replay` does);
and the rebuild's rate as a share of the raw scan's. The goal is ≥ 50,000
events/s and ≥ 30 % of the raw scan.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time

from services.candidates.application import CandidatesApplication
from services.candidates.projections import READ_MODELS
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.settings import Settings
from tests.benchmarks.relay import commit_backlog


def raw_scan(app: CandidatesApplication, batch: int) -> tuple[float, int]:
    """(rows/s, rows) of reading the whole log in batches, undecoded."""
    started = time.perf_counter()
    count, start = 0, 1
    while rows := app.recorder.select_notifications(start=start, limit=batch):
        count += len(rows)
        start = rows[-1].id + 1
    return count / (time.perf_counter() - started), count


def rebuild(app: CandidatesApplication, batch: int) -> tuple[float, int]:
    """(events/s, events) of rebuilding the candidate list from the log."""
    follower = READ_MODELS["candidate_list"].follower(app, batch_size=batch)
    started = time.perf_counter()
    count = follower.rebuild()
    elapsed = time.perf_counter() - started
    follower.release()
    return count / elapsed, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    os.environ.update(
        POSTGRES_DBNAME="pmc_bench", PMC_SCHEMA_PREFIX=f"bench{secrets.token_hex(3)}_"
    )
    settings = Settings.from_env()
    ensure_database(settings)
    app = CandidatesApplication(settings=settings)
    try:
        started = time.perf_counter()
        commit_backlog(app, args.events)
        written = time.perf_counter() - started
        print(f"log written: {args.events} events in {written:.0f} s")
        scan_rate, scanned = raw_scan(app, args.batch)
        rebuild_rate, rebuilt = rebuild(app, args.batch)
    finally:
        app.close()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
    print(f"raw scan of the log : {scan_rate:9.0f} rows/s ({scanned})")
    print(f"rebuild of the list : {rebuild_rate:9.0f} events/s ({rebuilt})")
    print(f"ratio               : {rebuild_rate / scan_rate:9.3f}")


if __name__ == "__main__":
    main()
