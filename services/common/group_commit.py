"""Writes that arrive together share one transaction (group commit).

A service's writes are serialised by its event store (one table lock per
insert), so each commit's fixed cost — a connection, the lock, the round trips,
the notification — bounds its writes per second. Here the first writer leads:
it saves what is queued at that moment in one transaction, while the writers
arriving meanwhile queue for the next one; then it hands the lead to the first
of them. Alone, a write costs what it did before; under load, one commit
carries many.

A batch is all or nothing. If it fails (one of its writes conflicts with
another writer), each of its writes is saved again alone, so one conflict
never fails the others.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.common import logs
from services.common.store import ServiceApplication


@dataclass
class _Write:
    aggregates: Sequence[Any]
    events: list[Any] = field(default_factory=list)
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    finished: bool = False
    error: BaseException | None = None
    # The writer's request: its events keep it, whoever saves them.
    correlation_id: str | None = field(default_factory=logs.current)


class GroupCommit:
    """Saves aggregates for one application, in batches under load."""

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self._queue: list[_Write] = []
        self._guard = threading.Lock()
        self._flushing = False

    def save(self, *aggregates: Any) -> None:
        """Save these aggregates' new events atomically (with those of other
        writes, or alone); raise what saving them alone would raise."""
        write = _Write(aggregates)
        # Taken now: a batch that fails must be able to save them again.
        write.events = [e for a in aggregates for e in a.collect_events()]
        with self._guard:
            self._queue.append(write)
            if not self._flushing:
                self._flushing = True
                write.leads = True
        if not write.leads:
            write.woken.wait()
        if not write.finished:  # it leads this round
            self._lead()
        if write.error is not None:
            raise write.error

    def _lead(self) -> None:
        with self._guard:
            batch, self._queue = self._queue, []
        try:
            self._flush(batch)
        except BaseException as exc:
            # The leader itself is being stopped (a killed worker, a timeout):
            # the batch's outcome is unknown, none of its writers may say saved.
            for write in batch:
                if write.error is None:
                    write.error = exc
            raise
        finally:
            with self._guard:
                if self._queue:
                    following = self._queue[0]
                    following.leads = True
                    following.woken.set()
                else:
                    self._flushing = False
            for write in batch:
                write.finished = True
                write.woken.set()

    def _flush(self, batch: list[_Write]) -> None:
        try:
            self._record([e for w in batch for e in w.events], batch)
            return
        except IntegrityError as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
        except Exception as exc:
            # Not a conflict (the database is down, a lock timed out): saving
            # each alone would only make every writer wait that much longer.
            for write in batch:
                write.error = exc
            return
        for write in batch:
            try:
                self._record(write.events, [write])
            except Exception as exc:
                write.error = exc

    def _record(self, events: list[Any], writes: list[_Write]) -> None:
        aggregates = [a for w in writes for a in w.aggregates]
        correlations = {
            id(e): w.correlation_id
            for w in writes
            if w.correlation_id
            for e in w.events
        }
        try:
            with self.app.mapper.correlated(correlations):
                self.app.save_collected(events)
        except Exception:
            self.app.forget(*aggregates)  # another writer changed them
            raise
        # What the application does after saving aggregates themselves.
        cache = self.app.repository.cache
        if cache is not None:
            for aggregate in aggregates:
                cache.put(aggregate.id, aggregate)
