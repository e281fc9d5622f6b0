"""`pmc history` (OP-1): an aggregate's events in order, with their times; for
a reservation (BO-8), its steps as the school reads them
(services/booking/history.py), a table in French, times in Paris."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pmc import registry
from services.booking.domain import Reservation
from services.booking.history import history as steps_of
from services.booking.rules import PARIS
from services.common import inputs
from services.common.settings import Settings

HEADERS = ("Date (heure de Paris)", "Étape", "Par")


def is_reservation(events: Sequence[Any]) -> bool:
    """Whether these are a reservation's events (it starts with its hold)."""
    return bool(events) and isinstance(events[0], Reservation.Held)


def table(reservation_id: UUID, events: Sequence[Any]) -> list[str]:
    """The reservation's steps, oldest first, one line each, in columns."""
    rows = [
        (
            f"{datetime.fromisoformat(s['at']).astimezone(PARIS):%d/%m/%Y %H:%M:%S}",
            s["step"],
            s["by"],
        )
        for s in steps_of(events)
    ]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(2)]

    def line(row: tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}"

    return [
        f"Historique de la réservation {reservation_id}",
        line(HEADERS),
        line(("-" * widths[0], "-" * widths[1], "-" * len(HEADERS[2]))),
        *(line(row) for row in rows),
    ]


def history(args: argparse.Namespace) -> int:
    """An aggregate's events in order; a reservation's steps as a table
    (its events with --raw)."""
    try:
        # UUID() reads full-width digits as hex digits: ASCII text first.
        aggregate_id = UUID(inputs.TOKEN.clean(args.aggregate_id, required=True))
    except ValueError:
        print(f"not an aggregate id: {args.aggregate_id}", file=sys.stderr)
        return 2
    found = _events_of(aggregate_id)
    if found is None:
        print(f"no events for {aggregate_id}", file=sys.stderr)
        return 1
    name, events = found
    if is_reservation(events) and not args.raw:
        print("\n".join(table(aggregate_id, events)))
        return 0
    print(f"{name} · {type(events[-1]).__qualname__.split('.')[0]} {aggregate_id}")
    for event in events:
        fields = {
            k: v
            for k, v in event.__dict__.items()
            if k not in ("originator_id", "originator_version", "timestamp")
            and not k.startswith("originator_topic")
        }
        print(
            f"  v{event.originator_version:<3} {event.timestamp.isoformat()}  "
            f"{type(event).__qualname__}  "
            + json.dumps(fields, default=str, ensure_ascii=False)
        )
    return 0


def _events_of(aggregate_id: UUID) -> tuple[str, list] | None:
    """The service that holds this aggregate and its events, asked one after
    the other, each closed before the next (its pool's connections with it)."""
    settings = Settings.from_env()
    for name in registry.APPLICATIONS:
        app = registry.application_class(name)(settings=settings)
        try:
            events = app.aggregate_history(aggregate_id)
        finally:
            app.close()
        if events:
            return name, events
    return None
