"""Fifty paid seats cancelled at once, against the real stack, with billing
killed in the middle of the refunds and started again: every cancellation is
refunded exactly once by the card provider, none is lost, and the fifty
credit notes take fifty consecutive numbers of their sequence (BO-7, BI-4)."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import uuid4

import requests
from eventsourcing.application import AggregateNotFoundError

from services.billing.application import BillingApplication
from services.billing.domain import Refund
from services.scheduling.domain import COLLECTIVE, SchedulingError
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _cancel, _rows
from tests.e2e.test_checkout_api import _pay
from tests.helpers import wait_for

SEATS = 50
# A school may hold 6 of a collective session's 18 seats (a third).
PER_SESSION = 6


def _sessions(scheduling, count: int) -> list[str]:
    """`count` sessions three weeks ahead and more, on days that allow them."""
    site = centre(scheduling, "TEST-RAFALE", "Lyon", 45.76, 4.84)
    found = []
    for n in range(60):
        starts = next_weekday(n % 5, 3 + n // 15) + timedelta(hours=n // 5 % 3 * 2)
        try:
            found.append(
                scheduling.schedule_session(site, starts, 18, COLLECTIVE)["id"]
            )
        except SchedulingError:
            continue  # a public holiday, most likely
        if len(found) == count:
            return found
    raise AssertionError("no room for the sessions")


def _paid_seats(gateway, school, scheduling, candidates) -> list[str]:
    sessions = _sessions(scheduling, -(-SEATS // PER_SESSION))
    nephs = activated_files(candidates, school, SEATS, first=45000)
    lines = []
    for n, neph in enumerate(nephs):
        held = hold(gateway, school, neph, sessions[n // PER_SESSION])
        assert held.status_code == 201, held.text
        lines.append(held.json()["id"])
    paid = _pay(gateway, school, f"rafale-{uuid4()}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: {r["status"] for r in _rows(gateway, school).values()} == {"confirmée"},
        timeout=60,
    )
    return lines


def test_fifty_cancellations_at_once_billing_killed_refund_each_once(
    gateway, stack, new_school, scheduling, candidates, settings
):
    school = new_school()
    lines = _paid_seats(gateway, school, scheduling, candidates)
    answered = []
    started = threading.Event()

    def cancel(reservation_id: str) -> int:
        started.set()
        answer = _cancel(gateway, school, reservation_id, key=str(uuid4()))
        answered.append(answer.status_code)
        return answer.status_code

    with ThreadPoolExecutor(max_workers=SEATS) as pool:
        done = pool.map(cancel, lines)
        started.wait(10)
        # Billing is consuming the first cancellations: killed as a node is
        # lost. The forty others reach booking while billing is down; theirs
        # and any refund cut between the provider and the store are done
        # once it is back.
        wait_for(lambda: len(answered) >= SEATS // 5, timeout=30, interval=0.01)
        stack.kill("billing")
        statuses = list(done)
    assert statuses == [200] * SEATS
    time.sleep(1)
    stack.resume("billing")
    stack.wait_ready(timeout=60)

    billing = BillingApplication(settings=settings)
    try:
        refunds = wait_for(lambda: _all_refunded(billing, lines), timeout=90)
        numbers = sorted(r.credit_note_number for r in refunds)
        assert numbers == list(range(numbers[0], numbers[0] + SEATS)), numbers
        paid_back = [
            r
            for r in billing.provider.ledger.all_refunds()
            if r["refund_key"] in {f"refund:{line}" for line in lines}
        ]
        assert sorted(r["amount_cents"] for r in paid_back) == [3000] * SEATS
    finally:
        billing.close()
    # Each credit note is the school's to download, with its own number.
    note = requests.get(
        f"{gateway}/api/reservations/{lines[-1]}/avoir", headers=school["headers"]
    )
    assert note.status_code == 200
    assert re.match(rb"%PDF", note.content)


def _all_refunded(billing: BillingApplication, lines: list[str]) -> list | None:
    found = []
    for line in lines:
        billing.forget_id(Refund.create_id(line))
        try:
            found.append(billing.repository.get(Refund.create_id(line)))
        except AggregateNotFoundError:  # not yet
            return None
    return found
