"""`pmc replay SERVICE MODEL`: rebuild a read model from its service's log.

By default the model is rebuilt aside, whether or not the service runs, and
swapped in between two of the leader's batches (services/common/rebuild.py):
the service keeps answering from the old model meanwhile. If no running
service leads the model, the command swaps it in itself. `--in-place` empties
the live model and replays into it (the service must be stopped).
"""

from __future__ import annotations

import argparse
import sys
import time

from pmc import registry
from services.common import rebuild
from services.common.projection import ReadModel
from services.common.replay import REPLAY_BATCH, ReplayFailed
from services.common.settings import Settings
from services.common.store import ServiceApplication

# Each worker holds a few database connections; a batch is held in memory.
MAX_WORKERS = 32
MAX_BATCH = 100_000


def run(args: argparse.Namespace) -> int:
    if args.service not in registry.APPLICATIONS:
        print(f"unknown service: {args.service}", file=sys.stderr)
        return 2
    read_models = registry.read_models(args.service)
    if args.read_model not in read_models:
        known = ", ".join(read_models) or "none"
        print(
            f"unknown read model: {args.read_model} (known: {known})", file=sys.stderr
        )
        return 2
    app = registry.application_class(args.service)(settings=Settings.from_env())
    try:
        model = read_models[args.read_model]
        if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
            print(f"--workers: from 1 to {MAX_WORKERS}", file=sys.stderr)
            return 2
        if args.batch is not None and not 1 <= args.batch <= MAX_BATCH:
            print(f"--batch: from 1 to {MAX_BATCH}", file=sys.stderr)
            return 2
        batch = args.batch or REPLAY_BATCH
        if args.in_place:
            return in_place(app, model, args.service, batch, args.workers)
        return aside(app, model, args.wait, batch, args.workers)
    finally:
        app.close()


def in_place(
    app: ServiceApplication,
    model: ReadModel,
    service: str,
    batch: int = REPLAY_BATCH,
    workers: int | None = None,
) -> int:
    from tqdm import tqdm

    name = model.projection_cls.name
    follower = model.follower(app, batch_size=batch)
    if not follower.try_lead():
        print(
            f"{service} is running and keeps {name} current: stop that service"
            " (or scale it to zero) and run replay --in-place again, or replay"
            " without --in-place",
            file=sys.stderr,
        )
        return 1
    try:
        with tqdm(total=follower.events_to_replay(), unit="event") as bar:
            total = follower.rebuild(on_progress=bar.update, workers=workers)
    except ReplayFailed as exc:
        # Chunks commit in log order: what is built is whole up to there.
        print(
            f"{name} stopped at #{follower.position}: {exc}; the model is whole up"
            " to there, and the service (or replay --in-place) goes on from it",
            file=sys.stderr,
        )
        return 1
    finally:
        follower.release()
    print(f"{name} rebuilt from {total} events")
    return 0


def aside(
    app: ServiceApplication,
    model: ReadModel,
    wait: float,
    batch: int = REPLAY_BATCH,
    workers: int | None = None,
) -> int:
    """Build the model aside, then have it swapped in; 1 if it is not (yet)."""
    from tqdm import tqdm

    name = model.projection_cls.name
    try:
        follower = rebuild.start_aside(app, model, batch)
    except rebuild.RebuildBusy as exc:
        print(str(exc), file=sys.stderr)
        return 1
    try:
        # The bar shows the count, the rate and the time left.
        with tqdm(total=follower.events_to_replay(), unit="event") as bar:
            rebuild.replay_aside(follower, bar.update, workers)
        parked = follower.parking.events(follower.role)
    except ReplayFailed as exc:
        rebuild.abandon(follower)
        print(f"{name} not rebuilt: {exc}; the live model untouched", file=sys.stderr)
        return 1
    except BaseException:
        follower.close()  # its schema stays; the next replay starts afresh
        raise
    if parked:
        for event in parked:
            print(
                f"#{event.notification_id} {event.event_type} could not be"
                f" applied: {event.error[:300]}",
                file=sys.stderr,
            )
        rebuild.abandon(follower)
        print(
            f"{name} not rebuilt: {len(parked)} event(s) could not be applied;"
            " the live model is untouched",
            file=sys.stderr,
        )
        return 1
    follower.close()  # the leader (or this command) takes its lock to swap
    return swap(app, model, wait)


def swap(app: ServiceApplication, model: ReadModel, wait: float) -> int:
    """Ask for the swap; do it here if no running service leads the model."""
    name = model.projection_cls.name
    rebuild.request_swap(app, name)
    live = model.follower(app)
    if live.try_lead():
        try:
            rebuild.serve_swap_request(live)
        finally:
            live.release()
    deadline = time.monotonic() + wait
    while (outcome := rebuild.swap_outcome(app, name)) == "pending":
        if time.monotonic() > deadline:
            print(
                f"{name} rebuilt aside, not swapped in yet: the service's leader"
                " swaps it in between two batches (or when it next leads)",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.2)
    if outcome != "done":
        print(f"{name} rebuilt aside, swap failed: {outcome}", file=sys.stderr)
        print("the live model is untouched; run replay again", file=sys.stderr)
        return 1
    print(f"{name} rebuilt and swapped in")
    return 0
