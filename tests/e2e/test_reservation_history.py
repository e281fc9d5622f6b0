"""A reservation's whole history against the real stack (BO-8, OP-1): held,
paid, its convocation sent, changed twice (a new convocation each time),
cancelled and refunded, every step in order under its one id, with its time
and who did it, in the API and in `pmc history`; a redelivered RefundIssued
adds no second step."""

from __future__ import annotations

import random
import re
from datetime import datetime
from uuid import UUID

import pytest
import requests
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from services.billing.application import BillingApplication
from services.billing.domain import Refund
from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.rules import PARIS
from services.common import contracts
from tests.e2e.test_cancellation_api import _cancel, _paid_session
from tests.e2e.test_change_of_slot import _change, _other_session
from tests.helpers import publish_event, wait_for

# What each step's text starts with, and what it is.
KINDS = (
    ("Place réservée", "réservée"),
    ("Payée", "payée"),
    ("Convocation envoyée", "convocation envoyée"),
    ("Créneau modifié", "modifiée"),
    ("Annulée", "annulée"),
    ("Remboursée", "remboursée"),
)
SCHOOL, PLATFORM = "auto-école", "plateforme"


@pytest.fixture(scope="module")
def booking(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


@pytest.fixture(scope="module")
def billing(settings):
    app = BillingApplication(settings=settings)
    yield app
    app.close()


def _kind(step: str) -> str:
    return next((kind for start, kind in KINDS if step.startswith(start)), step)


def _history(gateway, school, reservation_id: str) -> list[dict]:
    detail = requests.get(
        f"{gateway}/api/reservations/{reservation_id}", headers=school["headers"]
    )
    assert detail.status_code == 200, detail.text
    assert detail.json()["id"] == reservation_id
    return detail.json()["history"]


def _kinds(gateway, school, reservation_id: str) -> list[str]:
    return [_kind(s["step"]) for s in _history(gateway, school, reservation_id)]


def _convocations(gateway, school, reservation_id: str) -> int:
    return _kinds(gateway, school, reservation_id).count("convocation envoyée")


def _paris(at: str) -> str:
    return f"{datetime.fromisoformat(at).astimezone(PARIS):%d/%m/%Y à %H h %M}"


def _refund_issued(billing, reservation_id: str) -> tuple[int, dict]:
    """Billing's stored refund, as its relay published it, and its position;
    the school's address and credit note left out (they would be sealed)."""
    topic = get_topic(Refund.Issued)
    refund_id = Refund.create_id(reservation_id)
    for notification in billing.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if notification.originator_id == refund_id:
            event = billing.mapper.to_domain_event(notification)
            payload = dict(billing.published[Refund.Issued].translate(event, billing))
            payload.update(school_email=None, credit_note=None)
            return notification.id, payload
    raise AssertionError("no refund stored")


def test_every_step_in_order_under_one_id_in_the_api_and_in_pmc(
    gateway, pmc, new_school, scheduling, candidates, booking, billing, settings
):
    school = new_school()
    paid = _paid_session(gateway, school, scheduling, candidates, first=7700)
    line = paid["lines"][0]
    # Paid: its convocation goes, then each change sends a new one.
    wait_for(lambda: _convocations(gateway, school, line) == 1, 30)
    sessions = [_other_session(scheduling), _other_session(scheduling, weeks_ahead=4)]
    for n, session in enumerate(sessions, start=2):
        changed = _change(gateway, school, line, session["id"])
        assert changed.status_code == 200, changed.text
        wait_for(lambda n=n: _convocations(gateway, school, line) == n, 30)
    cancelled = _cancel(gateway, school, line)
    assert cancelled.status_code == 200, cancelled.text
    wait_for(lambda: "remboursée" in _kinds(gateway, school, line), 30)

    steps = _history(gateway, school, line)
    assert [(_kind(s["step"]), s["by"]) for s in steps] == [
        ("réservée", SCHOOL),
        ("payée", SCHOOL),
        ("convocation envoyée", PLATFORM),
        ("modifiée", SCHOOL),
        ("convocation envoyée", PLATFORM),
        ("modifiée", SCHOOL),
        ("convocation envoyée", PLATFORM),
        ("annulée", SCHOOL),
        ("remboursée", PLATFORM),
    ]
    times = [datetime.fromisoformat(s["at"]) for s in steps]
    assert times == sorted(times)
    # Each convocation names the exam it is for: the first slot, then each new one.
    exams = [paid["session"], *sessions]
    for step, session in zip([steps[2], steps[4], steps[6]], exams, strict=True):
        assert step["step"] == (
            f"Convocation envoyée par e-mail (examen du {_paris(session['starts_at'])})"
        )
    assert f"au {_paris(sessions[1]['starts_at'])}" in steps[5]["step"]
    assert re.fullmatch(
        r"Remboursée : 30,00 € sur la carte, facture d'avoir n° A\d{4}-\d{6}",
        steps[-1]["step"],
    )

    # The operator's view: the same steps, a table in Paris time.
    shown = pmc("history", line)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"Historique de la réservation {line}"
    assert re.split(r"\s{2,}", lines[1]) == ["Date (heure de Paris)", "Étape", "Par"]
    rows = [re.split(r"\s{2,}", row) for row in lines[3:]]
    assert rows == [
        [
            f"{datetime.fromisoformat(s['at']).astimezone(PARIS):%d/%m/%Y %H:%M:%S}",
            s["step"],
            s["by"],
        ]
        for s in steps
    ]
    raw = pmc("history", line, "--raw")
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.splitlines()[0] == f"booking · Reservation {line}"
    assert "Reservation.Refunded" in raw.stdout
    assert raw.stdout.count("Reservation.ConvocationSent") == 3

    # RefundIssued delivered three more times (a lost acknowledgement), and
    # once more from another position (the relay replaying its log): still
    # one refund in the history.
    position, payload = _refund_issued(billing, line)
    uri = settings.amqp_uri
    publish_event(uri, "billing", contracts.RefundIssued, payload, position, times=3)
    replayed = 2**41 + random.getrandbits(30)
    publish_event(uri, "billing", contracts.RefundIssued, payload, replayed)
    wait_for(
        lambda: booking.has_processed(Tracking("billing>on_refund_issued", replayed)),
        30,
    )
    assert _kinds(gateway, school, line).count("remboursée") == 1
    kinds = [type(e) for e in booking.aggregate_history(UUID(line))]
    assert kinds.count(Reservation.Refunded) == 1
    assert kinds.count(Reservation.ConvocationSent) == 3
