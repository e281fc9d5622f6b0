"""`pmc parked`: what each service's read models and senders set aside (TR-2).

Only the leader of a follower may apply its events (the mail sender must never
send what another replica is sending). So `retry` applies parked events itself
when no running service leads that follower, and otherwise asks the leader
(a flag on the parked rows and a NOTIFY on the log's channel), then waits for
its answer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from pmc import registry
from services.common.dependencies import provider_of
from services.common.follower import LogFollower
from services.common.follower_parking import RETRY_SIGNAL, RetryReport
from services.common.parking import ParkingLot
from services.common.settings import Settings
from services.common.store import ServiceApplication


def _application(settings: Settings, name: str) -> ServiceApplication:
    return registry.application_class(name)(settings=settings)


def list_parked(settings: Settings, names: Sequence[str]) -> int:
    total = 0
    for name in names:
        app = _application(settings, name)
        try:
            events = ParkingLot(app.datastore).events()
        finally:
            app.close()
        total += len(events)
        print(f"{name}: {len(events)} parked event(s)")
        for event in events:
            since = event.parked_at.strftime("%Y-%m-%d %H:%M:%S %Z")
            print(
                f"  #{event.notification_id}  {event.follower}  {event.event_type}"
                f"  since {since}, {event.attempts} attempt(s)"
                + ("  (retry requested)" if event.retry_requested else "")
            )
            print(f"    error: {event.error[:300]}")
    return 0


def retry_parked(
    settings: Settings, names: Sequence[str], ids: list[int] | None, wait: float
) -> int:
    """Apply each parked event once more; 1 if any fails again or is not done."""
    outcome, tried = 0, 0
    for name in names:
        app = _application(settings, name)
        try:
            for follower in _parking_followers(name, app):
                wanted = follower.parking.events(follower.role, ids)
                if not wanted:
                    continue
                positions = [event.notification_id for event in wanted]
                tried += len(positions)
                report = _retry(follower, positions, wait)
                outcome |= _print_report(name, follower.role, positions, report)
        finally:
            app.close()
    if not tried:
        print("nothing parked to retry")
    return outcome


def _parking_followers(name: str, app: ServiceApplication) -> list[LogFollower]:
    provider = provider_of(registry.service_class(name))
    if provider is None:
        return []
    return [f for f in provider.build_followers(app) if f.parks]


def _retry(follower: LogFollower, positions: list[int], wait: float) -> RetryReport:
    if follower.try_lead():
        try:
            return follower.retry_parked(positions)
        finally:
            follower.release()
    return _ask_leader(follower, positions, wait)


def _ask_leader(
    follower: LogFollower, positions: list[int], wait: float
) -> RetryReport:
    """Let the running leader retry, and wait until it has tried every one."""
    lot = follower.parking
    requested = lot.request_retry(follower.role, positions)
    app = follower.app
    with app.datastore.transaction(commit=True) as curs:
        curs.execute(
            "SELECT pg_notify(%s, %s)", (app.recorder.channel_name, RETRY_SIGNAL)
        )
    deadline = time.monotonic() + wait
    while True:
        left = {e.notification_id: e for e in lot.events(follower.role, requested)}
        pending = [e for e in left.values() if e.retry_requested]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    report = RetryReport()
    for position in requested:
        event = left.get(position)
        if event is None:
            report.applied.append(position)
        elif not event.retry_requested:
            report.failed[position] = event.error
    return report


def _print_report(
    name: str, role: str, positions: list[int], report: RetryReport
) -> int:
    for position in report.applied:
        print(f"{name} {role}: #{position} applied")
    for position, error in report.failed.items():
        print(f"{name} {role}: #{position} failed again, still parked: {error[:300]}")
    waiting = [
        p for p in positions if p not in report.applied and p not in report.failed
    ]
    for position in waiting:
        print(
            f"{name} {role}: #{position} not retried yet (is the service running?"
            " it retries when it leads again)",
            file=sys.stderr,
        )
    return 1 if report.failed or waiting else 0
