"""`pmc republish` against the real stack: booking's confirmations published
again reach every subscriber (or, with --to-queue, one), and none is applied
twice: one convocation e-mail per candidate, one results copy per seat. A
notifier that lost the message of a paid seat sends its convocation once the
seat is published again to its queue alone. Bad arguments: exit 2, nothing
published."""

from __future__ import annotations

import time
from uuid import UUID, uuid4

import kombu
import pytest
from eventsourcing.utils import get_topic

from services.booking.domain import Reservation
from services.common.topology import Subscription, queue_depths
from services.results.application import ResultsApplication
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _rows
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, wait_for

CONVOCATION = "Votre convocation à l'examen du code de la route"
FIRST = 63100  # the `first=` of this file's candidates (kept literal there)

TO_NOTIFIER = Subscription(
    "booking", "ReservationConfirmed", "notifier", "on_reservation_confirmed"
).queue_name
TO_RESULTS = Subscription(
    "booking", "ReservationConfirmed", "results", "on_reservation_confirmed"
).queue_name


@pytest.fixture(scope="module")
def results(settings):
    app = ResultsApplication(settings=settings)
    yield app
    app.close()


def _depths(settings) -> dict[str, int]:
    """The messages waiting for each stopped consumer."""
    depths = queue_depths(settings.amqp_uri, [TO_NOTIFIER, TO_RESULTS])
    return {"notifier": depths[TO_NOTIFIER], "results": depths[TO_RESULTS]}


def _purge(settings, queue: str) -> int:
    with kombu.Connection(settings.amqp_uri) as conn:
        return conn.channel().queue_purge(queue) or 0


def _convocations(mail_folder, n: int) -> int:
    return sum(
        1
        for m in mails_to(mail_folder, f"siege{n}@example.fr")
        if m["Subject"] == CONVOCATION
    )


def _copies(results: ResultsApplication, reservation_id: str) -> int:
    """The events results stored about this seat (one per message applied)."""
    wanted = UUID(reservation_id)
    return sum(
        1
        for n in results.recorder.select_notifications(start=1, limit=1_000_000)
        if n.originator_id == wanted
    )


def _position(booking, reservation_id: str) -> int:
    """Where booking's log keeps the seat's confirmation (its bus position)."""
    topic = get_topic(Reservation.Confirmed)
    for n in booking.recorder.select_notifications(
        start=1, limit=1_000_000, topics=[topic]
    ):
        if n.originator_id == UUID(reservation_id):
            return n.id
    raise AssertionError("no confirmation stored")


def _book_and_pay(gateway, school, session, nephs) -> list[str]:
    lines = [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]
    paid = _pay(gateway, school, f"cle-{uuid4()}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: all(_rows(gateway, school)[r]["status"] == "confirmée" for r in lines),
        60,
    )
    return lines


def _drained(settings) -> None:
    wait_for(lambda: _depths(settings) == {"notifier": 0, "results": 0}, 60)
    time.sleep(2)  # a mail or a copy applied twice would show by now


def test_events_published_again_reach_their_consumers_and_apply_once(
    gateway,
    stack,
    new_school,
    scheduling,
    candidates,
    booking,
    results,
    pmc,
    settings,
    mail_folder,
):
    school = new_school()
    site = centre(scheduling, "TEST-REPUBLIER", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(1, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 3, first=63100)
    seats = _book_and_pay(gateway, school, session, nephs[:2])
    for n in (FIRST, FIRST + 1):
        wait_for(lambda n=n: _convocations(mail_folder, n) == 1, 60)
    wait_for(lambda: all(_copies(results, r) == 1 for r in seats), 60)
    first, last = sorted(_position(booking, r) for r in seats)

    # Both consumers stopped: what the command publishes waits in their queues.
    stack.halt("notifier")
    stack.halt("results")
    try:
        again = pmc("republish", "booking", "--from", str(first), "--to", str(last))
        assert again.returncode == 0, again.stderr
        assert "republished to booking.events" in again.stdout
        # Every subscriber of the confirmations gets both again.
        assert _depths(settings) == {"notifier": 2, "results": 2}

        # To one queue: only that consumer gets them.
        one = pmc(
            "republish",
            "booking",
            "--from",
            str(first),
            "--to",
            str(last),
            "--to-queue",
            TO_NOTIFIER,
        )
        assert one.returncode == 0, one.stderr
        assert f"2 message(s) republished to queue {TO_NOTIFIER}" in one.stdout
        assert _depths(settings) == {"notifier": 4, "results": 2}

        # Bad arguments: said, exit 2, nothing published.
        billing_queue = Subscription(
            "billing", "PaymentCaptured", "notifier", "on_payment_captured"
        ).queue_name
        wrong_type = ("booking", "--from", "1", "--type", "SlotReserved")
        wrong_type = (*wrong_type, "--to-queue", TO_NOTIFIER)
        for bad, says in [
            (("nulle-part", "--from", "1"), "unknown service"),
            (("booking", "--from", "-1"), "never negative"),
            (("booking", "--from", str(last), "--to", str(first)), "after --to"),
            (("booking", "--from", "1", "--type", "Inconnu"), "publishes no Inconnu"),
            (("booking", "--from", "1", "--to-queue", "inconnue"), "not a queue"),
            (("booking", "--from", "1", "--to-queue", billing_queue), "not a queue"),
            (wrong_type, "only takes ReservationConfirmed"),
        ]:
            refused = pmc("republish", *bad)
            assert refused.returncode == 2, (bad, refused.stderr)
            assert says in refused.stderr, (bad, refused.stderr)
        assert _depths(settings) == {"notifier": 4, "results": 2}

        # A seat paid while the notifier is down, whose message it then loses
        # (its queue purged): its candidate has no convocation.
        (late,) = _book_and_pay(gateway, school, session, nephs[2:])
        wait_for(lambda: _depths(settings)["notifier"] == 5)
        assert _purge(settings, TO_NOTIFIER) == 5
    finally:
        stack.resume("results")
        stack.resume("notifier")
    _drained(settings)
    assert _convocations(mail_folder, FIRST + 2) == 0

    # Published again to the notifier's queue alone: sent, once.
    missed = _position(booking, late)
    sent = pmc("republish", "booking", "--from", str(missed), "--to-queue", TO_NOTIFIER)
    assert sent.returncode == 0, sent.stderr
    wait_for(lambda: _convocations(mail_folder, FIRST + 2) == 1, 60)
    # And the whole range once more to everyone: nothing new anywhere.
    everyone = pmc("republish", "booking", "--from", str(first))
    assert everyone.returncode == 0, everyone.stderr
    _drained(settings)
    for n in (FIRST, FIRST + 1, FIRST + 2):
        assert _convocations(mail_folder, n) == 1
    # Results applied the late seat once (when it came back), the others once.
    for seat in [*seats, late]:
        assert _copies(results, seat) == 1
