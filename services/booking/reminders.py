"""EX-3: two days before the exam, the candidate is reminded of it.

A sweep (every `reminder_sweep_seconds`) looks for confirmed reservations
whose exam starts within two days and records `ReminderDue` on each that
was not reminded of that exam date yet; the relay publishes it and the
notifier writes the reminder. Exactly once: the event is a reservation's,
saved under its version, so a second sweep, or another replica's at the
same moment, finds it recorded (or meets the version check) and writes
nothing; a restart changes none of it. A reservation cancelled is not
reminded; one moved to another slot is reminded of its new date.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from eventsourcing.persistence import IntegrityError

log = logging.getLogger(__name__)

# EX-3: « two days before the exam ».
REMINDER_BEFORE = timedelta(days=2)


class Reminders:
    """Part of BookingApplication."""

    def send_reminders(self) -> list[str]:
        """Record the reminders due now; the ids of the reservations reminded."""
        now = self.now
        view = self.views["reservation_list"]
        reminded = []
        for reservation_id in view.exams_between(now, now + REMINDER_BEFORE):
            try:
                reservation = self._get(reservation_id)
                if reservation.remind(now, REMINDER_BEFORE):
                    self.save(reservation)
                    reminded.append(str(reservation_id))
            except IntegrityError:
                # Another replica recorded it (or changed it) first: its
                # word stands; this one is looked at again next sweep.
                log.info("reminder of %s recorded elsewhere", reservation_id)
            except LookupError:
                continue  # not a reservation this service can read any more
        return reminded
