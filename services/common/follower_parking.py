"""Parking the events a follower cannot apply (TR-2), and applying them again
when `pmc parked retry` asks: part of LogFollower.

Apart from follower.py (leading, reading, waiting, recovering) because only
followers that act one event at a time (`parks = True`) use it, and
`pmc parked` speaks its language (the retry signal, the retry's report)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from eventsourcing.persistence import Notification

from services.common.errors import AlreadyProcessed
from services.common.parking import ParkingLot, describe, is_event_error

# Logged under the follower's name, as before this part left follower.py.
log = logging.getLogger("services.common.follower")

# The payload of the NOTIFY with which `pmc parked retry` wakes the leader.
RETRY_SIGNAL = "pmc:retry-parked"


@dataclass
class RetryReport:
    """What one retry of parked events did."""

    applied: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class Parking:
    """Part of LogFollower."""

    @property
    def parking(self) -> ParkingLot:
        if self._parking is None:
            self._parking = ParkingLot(self.app.datastore)
        return self._parking

    def apply_or_park(self, notification: Notification) -> None:
        """Apply one event; park it if it is the event's fault, else raise."""
        try:
            self.apply(notification)
        except Exception as exc:
            if not self.parks or not is_event_error(exc, self.event_errors):
                raise
            log.error(
                "%s parked event %s (%s): %s",
                self.lock_key,
                notification.id,
                notification.topic,
                describe(exc),
            )
            self.parking.park(
                self.role, notification.id, notification.topic, describe(exc)
            )

    def _notification(self, notification_id: int) -> Notification | None:
        found = self.app.recorder.select_notifications(
            start=notification_id, limit=1, topics=self.topics
        )
        return found[0] if found and found[0].id == notification_id else None

    def retry_parked(self, ids: Collection[int] | None = None) -> RetryReport:
        """Apply parked events again, each once, in log order (leader only).

        An applied event leaves the parking lot; one that fails again stays,
        with one more attempt and its new error. An outage stops the retry
        (raised): what was not tried stays parked, unchanged.
        """
        report = RetryReport()
        for parked in self.parking.events(self.role, ids):
            self.still_leading()
            notification = self._notification(parked.notification_id)
            if notification is None or self.applied(parked.notification_id):
                self.parking.discard(self.role, parked.notification_id)
                report.applied.append(parked.notification_id)
                continue
            try:
                self.apply_parked(notification)
            except AlreadyProcessed:
                self.parking.discard(self.role, parked.notification_id)
            except Exception as exc:
                if not is_event_error(exc, self.event_errors):
                    raise
                self.parking.park(
                    self.role, notification.id, notification.topic, describe(exc)
                )
                report.failed[notification.id] = describe(exc)
                continue
            else:
                # Followers that cannot drop the row in the same transaction
                # drop it now: a crash in between leaves a row whose event is
                # applied, which the next retry finds so and discards.
                self.parking.discard(self.role, parked.notification_id)
            report.applied.append(parked.notification_id)
        return report

    def apply_parked(self, notification: Notification) -> None:
        """Apply a parked event (projections also unpark it in its transaction)."""
        self.apply(notification)

    def _serve_retry_requests(self) -> None:
        """Retry what `pmc parked retry` asked this leader to retry."""
        self._retry_wanted = False
        requested = self.parking.events(self.role, requested_only=True)
        if requested:
            report = self.retry_parked([p.notification_id for p in requested])
            log.info(
                "%s retried parked events: %d applied, %d parked again",
                self.lock_key,
                len(report.applied),
                len(report.failed),
            )
