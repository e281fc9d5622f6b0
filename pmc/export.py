"""`pmc export-events`: each service's event log as a Parquet file for the
back-office's analysts (DuckDB, pandas), personal data left out
(pmc/event_rows.py says what leaves, README.md "Export for analysis" the
columns and example queries).

The log is read and written in batches: one batch of events in memory at a
time, whatever the log's length. Events recorded after the export started
wait for the next one (`--from-position` with the last position printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pmc import registry
from pmc.event_rows import SCHEMA, Pseudonyms, record_batch, row
from services.common.settings import Settings

# Events read, decoded and written at once: a row group of the file.
BATCH = 10_000


@dataclass(frozen=True)
class Exported:
    path: Path
    events: int
    last_position: int
    seconds: float

    def line(self, service: str) -> str:
        rate = self.events / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{service}: {self.events} events to {self.path} in "
            f"{self.seconds:.1f} s ({rate:.0f} events/s), "
            f"last position {self.last_position}"
        )


def export_log(
    app: Any,
    path: Path,
    after: int = 0,
    batch: int = BATCH,
    on_progress: Callable[[int], None] = lambda _: None,
) -> Exported:
    """Write the events of `app`'s log after position `after`, up to the last
    one recorded now, to the Parquet file `path` (replaced only once whole).
    `on_progress` is told how far each batch moved along the log."""
    started = time.monotonic()
    ids = Pseudonyms.from_keystore(app.keystore)
    last = app.recorder.max_notification_id() or 0
    partial = path.with_name(path.name + ".partial")
    position, count = after, 0
    try:
        with pq.ParquetWriter(partial, SCHEMA, compression="zstd") as writer:
            while position < last:
                notifications = app.recorder.select_notifications(
                    position + 1, batch, stop=last
                )
                if not notifications:
                    break
                writer.write_batch(
                    record_batch(
                        row(n.id, n.topic, app.mapper.to_domain_event(n), ids)
                        for n in notifications
                    )
                )
                count += len(notifications)
                on_progress(notifications[-1].id - position)
                position = notifications[-1].id
    except BaseException:
        # Interrupted or failed: no half file left to be mistaken for an export.
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return Exported(path, count, position, time.monotonic() - started)


def export_events(args: argparse.Namespace) -> int:
    """One Parquet file per service named, SERVICE.parquet in --to."""
    from tqdm import tqdm

    unknown = [name for name in args.services if name not in registry.APPLICATIONS]
    if unknown:
        known = ", ".join(registry.APPLICATIONS)
        print(
            f"unknown service: {', '.join(unknown)} (known: {known})", file=sys.stderr
        )
        return 2
    if args.from_position < 0:
        print("--from-position: a log position is 0 or more", file=sys.stderr)
        return 2
    if args.from_position and len(args.services) > 1:
        print(
            "--from-position goes with one service: each log has its own positions",
            file=sys.stderr,
        )
        return 2
    folder = Path(args.to)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"cannot write to {folder}: {exc}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    for name in dict.fromkeys(args.services):  # each once, in the order given
        app = registry.application_class(name)(settings=settings)
        try:
            last = app.recorder.max_notification_id() or 0
            total = max(0, last - args.from_position)
            with tqdm(total=total, unit="event", desc=name) as bar:
                done = export_log(
                    app,
                    folder / f"{name}.parquet",
                    args.from_position,
                    on_progress=bar.update,
                )
        finally:
            app.close()
        print(done.line(name), flush=True)
    return 0
