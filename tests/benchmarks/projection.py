"""Projection benchmark: prints figures, asserts nothing.

    python -m tests.benchmarks.projection [--events 5000]

Replays a log of candidate files into the school's list twice: one transaction
per batch of events (how followers apply them) and one transaction per event
(how they did before), each with its events/s and CPU milliseconds per event
spent in this process.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from collections.abc import Sequence

from eventsourcing.persistence import Notification

from services.candidates.application import CandidatesApplication
from services.candidates.projections import READ_MODELS
from services.common.db import drop_schemas_with_prefix, ensure_database
from services.common.follower import LogFollower
from services.common.projection import ProjectionFollower
from services.common.settings import Settings
from tests.benchmarks.relay import commit_backlog


class OnePerEvent(ProjectionFollower):
    """Each event in a transaction of its own, as before batches."""

    def handle(self, notifications: Sequence[Notification]) -> None:
        LogFollower.handle(self, notifications)


def replay(follower: ProjectionFollower) -> tuple[float, float, int]:
    """(events/s, CPU ms per event, events) of a rebuild."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = follower.rebuild(workers=1)  # one process: what is compared here
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    follower.release()
    return count / wall, cpu * 1000 / count, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    os.environ.update(
        POSTGRES_DBNAME="pmc_bench", PMC_SCHEMA_PREFIX=f"bench{secrets.token_hex(3)}_"
    )
    settings = Settings.from_env()
    ensure_database(settings)
    app = CandidatesApplication(settings=settings)
    try:
        commit_backlog(app, args.events)
        batched = READ_MODELS["candidate_list"].follower(app)
        figures = {"one transaction per batch": replay(batched)}
        single = OnePerEvent(app, batched.projection)
        figures["one transaction per event"] = replay(single)
    finally:
        app.close()
        drop_schemas_with_prefix(settings, settings.schema_prefix)
    for name, (rate, cpu_ms, count) in figures.items():
        print(f"{name:26}: {rate:7.0f} events/s, {cpu_ms:.3f} ms CPU/event ({count})")


if __name__ == "__main__":
    main()
