"""Replaying a whole log into a read model on every core (OP-1: `pmc replay`).

A live follower applies a batch and commits it before it reads the next: one
Python thread decodes and projects, and a rebuild of millions of events is
bound to one core. Here the log, as it is when the replay starts, is cut into
chunks of `batch_size` positions, and worker processes take turns at them:
each reads its chunk, decodes and projects it into held writes
(batch_writes.py) while the others do the same, then waits for the chunk
before it to be committed and commits its own.

What a follower promises still holds. Chunks commit in log order, each whole
with its position: a chunk's writes are sent only once the one before it is
committed (its held writes are statements, valid whatever the table holds by
then). A chunk that cannot commit, or whose projection fails or reads its view
while projecting, is applied in its turn the follower's usual way: one batch,
else one event at a time with the bad event parked alone. Anything else (an
outage, the lead lost) stops every worker; the position is then that of the
last chunk committed.

The command that leads the model (its advisory lock) coordinates: the workers
write for it and stop if it loses the lock. One core, a short log (unless the
workers were asked for), or a follower a worker could not build the same (a
subclass, a class made at run time) is replayed in the leader's own process, a
batch at a time.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import tuple_row

from services.common.logbatch import batch_query, notification_of
from services.common.parking import describe
from services.common.projection import ProjectionFollower, ReadModel
from services.common.settings import Settings

log = logging.getLogger(__name__)

# Positions per chunk: a live follower's batch is smaller (500), a rebuild's
# commits fewer and bigger transactions.
REPLAY_BATCH = 2000
# From how many log positions a replay starts workers by itself: starting
# them costs about a second, what one process replays of a light model.
PARALLEL_FROM = 50_000
# How often the leader checks it still leads while the workers run.
LEAD_CHECK_SECONDS = 1.0
# How long a worker told to stop may take before it is ended.
STOP_SECONDS = 30.0


class ReplayFailed(RuntimeError):
    """A worker stopped the replay (an outage, most often)."""


@dataclass(frozen=True)
class _Plan:
    """What each worker needs to build the same follower and find its chunks."""

    app_cls: type
    settings: Settings
    model: ReadModel
    aside: bool
    batch_size: int
    start: int
    head: int
    workers: int

    @property
    def chunks(self) -> int:
        return -(-(self.head - self.start) // self.batch_size)

    def bounds(self, chunk: int) -> tuple[int, int]:
        after = self.start + chunk * self.batch_size
        return after, min(after + self.batch_size, self.head)


def replay(follower: ProjectionFollower, workers: int | None = None) -> int:
    """Apply the log after the follower's position, as far as it went when
    the replay started; the number of events applied. The follower leads."""
    follower.still_leading()
    plan = _plan(follower, workers)
    if plan is None:
        total = _in_process(follower)
        log.info("%s: %d events replayed on 1 process", follower.lock_key, total)
        return total
    context = multiprocessing.get_context("spawn")  # no connection inherited
    committed = context.Value("q", 0)
    turn = context.Condition()
    failed = context.Event()
    reports: Any = context.Queue()
    processes = [
        context.Process(
            target=_work,
            args=(plan, index, committed, turn, failed, reports),
            name=f"replay-{follower.projection.name}-{index}",
            daemon=True,
        )
        for index in range(plan.workers)
    ]
    for process in processes:
        process.start()
    try:
        total, errors = _follow(follower, reports, failed, processes)
    except BaseException:
        failed.set()  # the command itself was stopped: so are the workers
        raise
    finally:
        for process in processes:
            process.join(timeout=STOP_SECONDS)
            if process.is_alive():  # stuck behind a worker that was killed
                process.terminate()
                process.join()
    chunks = committed.value
    follower.position = plan.bounds(chunks - 1)[1] if chunks else plan.start
    if errors:
        raise ReplayFailed("; ".join(errors))
    log.info(
        "%s: %d events replayed on %d processes",
        follower.lock_key,
        total,
        plan.workers,
    )
    return total


def _plan(follower: ProjectionFollower, asked: int | None) -> _Plan | None:
    """How to share the log out, or None to replay it in this process: one
    worker, a short log (unless the workers were asked for), or a follower
    that behaves otherwise than the one a worker builds."""
    from services.common.rebuild import AsideFollower

    if type(follower) not in (ProjectionFollower, AsideFollower):
        return None
    workers = asked or os.cpu_count() or 1
    batch_size = follower.batch_size
    head = follower.app.recorder.max_notification_id() or 0
    span = head - follower.position
    if workers < 2 or span < 2 * workers * batch_size:
        return None
    if asked is None and span < PARALLEL_FROM:
        return None
    plan = _Plan(
        app_cls=type(follower.app),
        settings=follower.app.settings,
        model=ReadModel(type(follower.projection), type(follower.view)),
        aside=isinstance(follower, AsideFollower),
        batch_size=batch_size,
        start=follower.position,
        head=head,
        # Never more than there are chunks: the others would only wait.
        workers=min(workers, -(-span // batch_size)),
    )
    try:
        pickle.dumps(plan)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None  # e.g. a projection class made at run time (tests)
    return plan


def _in_process(follower: ProjectionFollower) -> int:
    total = 0
    while (count := follower.pump()) > 0:
        total += count
        if count < follower.batch_size:
            break
    return total


def _follow(
    follower: ProjectionFollower, reports: Any, failed: Any, processes: list[Any]
) -> tuple[int, list[str]]:
    """The leader's side: progress, errors, its lock and the workers' lives,
    until every worker is done."""
    total, errors, done = 0, [], set()
    while len(done) < len(processes):
        try:
            kind, value = reports.get(timeout=LEAD_CHECK_SECONDS)
        except queue.Empty:
            kind, value = "quiet", None
        if kind == "progress":
            total += value
            if follower.on_progress is not None:
                follower.on_progress(value)
        elif kind == "error":
            errors.append(value)
        elif kind == "done":
            done.add(value)
        for index, process in enumerate(processes):
            # A worker that ends on its own exits 0, having said it is done.
            if index not in done and process.exitcode not in (None, 0):
                failed.set()
                errors.append(f"worker {index} stopped (exit code {process.exitcode})")
                done.add(index)
        if kind in ("progress", "quiet") and not failed.is_set():
            try:
                follower.still_leading()
            except Exception as exc:
                failed.set()
                errors.append(f"{follower.lock_key} lost its lock: {describe(exc)}")
    return total, errors


# -- a worker ----------------------------------------------------------------------


def _work(
    plan: _Plan, index: int, committed: Any, turn: Any, failed: Any, reports: Any
) -> None:
    """Project the chunks index, index + workers, …; commit each in its turn."""
    try:
        app = plan.app_cls(settings=plan.settings)
        try:
            follower = _follower(plan, app)
            query = _chunk_query(follower)
            for chunk in range(index, plan.chunks, plan.workers):
                batch = _read(follower, query, *plan.bounds(chunk))
                held = follower.hold(batch) if batch else None
                if not _wait_turn(chunk, committed, turn, failed):
                    return
                if held is not None:
                    _commit_held(follower, batch, held)
                elif batch:
                    follower.handle(batch)
                with turn:
                    committed.value = chunk + 1
                    turn.notify_all()
                reports.put(("progress", len(batch)))
        finally:
            app.close()
    except BaseException as exc:
        failed.set()
        reports.put(("error", f"{plan.model.projection_cls.name}: {describe(exc)}"))
    finally:
        reports.put(("done", index))


def _follower(plan: _Plan, app: Any) -> ProjectionFollower:
    """The leader's follower, built again in this process (never leading)."""
    if plan.aside:
        from services.common.rebuild import AsideFollower

        return AsideFollower(app, plan.model, batch_size=plan.batch_size)
    return plan.model.follower(app, batch_size=plan.batch_size)


def _chunk_query(follower: ProjectionFollower) -> sql.Composed:
    app = follower.app
    events = sql.Identifier(app.schema, app.recorder.events_table_name)
    return batch_query(events, follower.topics, bounded=True)


def _read(
    follower: ProjectionFollower, query: sql.Composed, after: int, until: int
) -> list[Notification]:
    params = {"position": after, "until": until, "limit": until - after}
    with (
        follower.app.datastore.get_connection() as conn,
        conn.cursor(binary=True, row_factory=tuple_row) as cursor,
    ):
        rows = cursor.execute(query, params, prepare=True).fetchall()
    return [notification_of(row) for row in rows]


def _wait_turn(chunk: int, committed: Any, turn: Any, failed: Any) -> bool:
    """Until every chunk before `chunk` is committed; False if told to stop."""
    with turn:
        while committed.value < chunk and not failed.is_set():
            turn.wait(LEAD_CHECK_SECONDS)
    return not failed.is_set()


def _commit_held(follower: ProjectionFollower, batch: list, held: Any) -> None:
    try:
        follower.view.commit_held(held)
    except Exception as exc:
        follower.one_by_one(batch, exc)
