"""A reservation's history on the real PostgreSQL (BO-8): booking's own steps
and those billing and the notifier report (refunded, convocation sent), each
recorded once whatever the redeliveries, listed in the order they happened,
with who did it; another school's refund is not recorded."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from pmc import history as reservation_history
from services.booking.application import BookingApplication
from services.booking.domain import Reservation
from services.booking.history import history
from services.common.clock import FrozenClock
from services.common.errors import AlreadyProcessed
from tests.booking.test_cancellation import _paid
from tests.booking.test_seats import NOBODY, open_session

HELD = ("Place réservée, dans le panier", "auto-école")
PAID = ("Payée : réservation confirmée", "auto-école")
CANCELLED = ("Annulée, place libérée", "auto-école")


@pytest.fixture
def app(settings):
    app = BookingApplication(settings=settings)
    app.clock = FrozenClock()
    yield app
    app.close()


def _message(source: str, payload: dict, position: int | None = None):
    position = position or random.getrandbits(40)
    return SimpleNamespace(
        payload=payload, tracking=Tracking(f"{source}>test", position)
    )


def _refund(app, school_id: str, reservation_id: UUID, position=None):
    return _message(
        "billing",
        {
            "refund_id": uuid4(),
            "reservation_id": reservation_id,
            "checkout_id": uuid4(),
            "school_id": school_id,
            "amount_cents": 3000,
            "method": "carte",
            "credit_note_number": "A2026-000042",
            "invoice_number": "F2026-000041",
            "refunded_at": app.clock.now(),
        },
        position,
    )


def _convocation(app, reservation_id: UUID, channel: str = "email", sent_at=None):
    reservation = app.repository.get(reservation_id)
    return _message(
        "notifier",
        {
            "message_id": uuid4(),
            "reservation_id": reservation_id,
            "channel": channel,
            "exam_starts_at": reservation.exam_starts_at,
            "sent_at": sent_at or app.clock.now(),
        },
    )


def _steps(app, school_id: str, reservation_id: UUID) -> list[tuple[str, str]]:
    found = app.reservation(school_id, reservation_id)["history"]
    return [(s["step"], s["by"]) for s in found]


def _changed(app, school_id: str, reservation_id: UUID, days: int) -> None:
    app.clock.advance(timedelta(minutes=5))
    app.change(school_id, reservation_id, open_session(app, days=days), NOBODY)


def test_every_step_in_order_with_who_did_it(app):
    ecole, _, reservation_id, _ = _paid(app)
    app.clock.advance(timedelta(minutes=1))
    assert app.on_convocation_sent(_convocation(app, reservation_id))
    _changed(app, ecole, reservation_id, days=25)
    app.clock.advance(timedelta(minutes=1))
    assert app.on_convocation_sent(_convocation(app, reservation_id, "courrier"))
    _changed(app, ecole, reservation_id, days=30)
    app.clock.advance(timedelta(minutes=5))
    app.cancel(ecole, reservation_id)
    app.clock.advance(timedelta(minutes=1))
    assert app.on_refund_issued(_refund(app, ecole, reservation_id))

    steps = _steps(app, ecole, reservation_id)
    assert [s[0].split(" :")[0].split(" (")[0] for s in steps] == [
        "Place réservée, dans le panier",
        "Payée",
        "Convocation envoyée par e-mail",
        "Créneau modifié",
        "Convocation envoyée par courrier",
        "Créneau modifié",
        "Annulée, place libérée",
        "Remboursée",
    ]
    assert steps[0] == HELD and steps[1] == PAID and steps[-2] == CANCELLED
    assert steps[2][1] == "plateforme" and steps[-1][1] == "plateforme"
    assert steps[-1][0] == (
        "Remboursée : 30,00 € sur la carte, facture d'avoir n° A2026-000042"
    )
    assert steps[2][0].startswith("Convocation envoyée par e-mail (examen du ")
    # Each step's time, in the order shown.
    found = app.reservation(ecole, reservation_id)["history"]
    assert [s["at"] for s in found[1:]] == sorted(s["at"] for s in found[1:])
    # A reported step changes no state.
    assert app.repository.get(reservation_id).status == "annulée"


def test_a_redelivered_refund_or_convocation_adds_no_second_step(app):
    ecole, _, reservation_id, _ = _paid(app)
    app.cancel(ecole, reservation_id)
    refund = _refund(app, ecole, reservation_id)
    assert app.on_refund_issued(refund)
    with pytest.raises(AlreadyProcessed):
        app.on_refund_issued(refund)
    # The same refund published again from another position (a relay
    # replaying its log): recorded already, nothing more.
    again = SimpleNamespace(
        payload=refund.payload, tracking=Tracking("billing>test", 1 + 2**41)
    )
    assert not app.on_refund_issued(again)
    sent = _convocation(app, reservation_id)
    assert app.on_convocation_sent(sent)
    with pytest.raises(AlreadyProcessed):
        app.on_convocation_sent(sent)
    kinds = [type(e) for e in app.aggregate_history(reservation_id)]
    assert kinds.count(Reservation.Refunded) == 1
    assert kinds.count(Reservation.ConvocationSent) == 1
    assert app.has_processed(again.tracking)


def test_a_refund_of_another_school_or_an_unknown_reservation_is_not_recorded(app):
    ecole, _, reservation_id, _ = _paid(app)
    app.cancel(ecole, reservation_id)
    before = app.repository.get(reservation_id).version
    foreign = _refund(app, "ecole-intruse", reservation_id)
    assert not app.on_refund_issued(foreign)
    assert app.repository.get(reservation_id).version == before
    assert app.has_processed(foreign.tracking)
    unknown = _refund(app, ecole, uuid4())
    assert not app.on_refund_issued(unknown)
    assert app.has_processed(unknown.tracking)
    assert not [s for s, _ in _steps(app, ecole, reservation_id) if "Rembours" in s]


def test_a_convocation_told_after_a_later_change_is_listed_when_it_was_sent(app):
    ecole, _, reservation_id, _ = _paid(app)
    app.clock.advance(timedelta(minutes=1))
    sent = _convocation(app, reservation_id)  # sent now, told after the change
    _changed(app, ecole, reservation_id, days=25)
    app.on_convocation_sent(sent)
    steps = [s for s, _ in _steps(app, ecole, reservation_id)]
    assert steps[2].startswith("Convocation envoyée")
    assert steps[3].startswith("Créneau modifié")
    # Stored in the order it was told, shown in the order it happened.
    events = app.aggregate_history(reservation_id)
    assert isinstance(events[-1], Reservation.ConvocationSent)
    assert [s["step"] for s in history(events)][2:] == steps[2:]


def test_pmc_prints_the_steps_as_a_table_in_paris_time(app):
    _, _, reservation_id, _ = _paid(app)
    app.clock.set(datetime(2027, 7, 1, 8, 30, tzinfo=UTC))  # 10 h 30 in Paris
    app.on_convocation_sent(_convocation(app, reservation_id))
    events = app.aggregate_history(reservation_id)
    assert reservation_history.is_reservation(events)
    lines = reservation_history.table(reservation_id, events)
    assert lines[0] == f"Historique de la réservation {reservation_id}"
    assert lines[1].split() == ["Date", "(heure", "de", "Paris)", "Étape", "Par"]
    when, step_text, who = re.split(r"\s{2,}", lines[-1])
    assert when == "01/07/2027 10:30:00" and who == "plateforme"
    assert step_text.startswith("Convocation envoyée par e-mail (examen du ")
    # Every column starts at the same place on every line.
    step, by = lines[1].index("Étape"), lines[1].rindex("Par")
    rows = lines[3:]
    assert [row[by:] for row in rows] == ["auto-école", "auto-école", "plateforme"]
    assert all(row[step - 2 : step] == "  " and row[step] != " " for row in rows)


def _event(cls, at: datetime, **fields):
    return cls(originator_id=uuid4(), originator_version=1, timestamp=at, **fields)


def test_the_builder_says_who_and_how_for_every_kind_of_step():
    t = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    exam = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    events = [
        _event(
            Reservation.Refunded,
            t,
            refund_id=uuid4(),
            amount_cents=1500,
            method="sepa",
            credit_note_number="A2027-000001",
            refunded_at=t + timedelta(hours=3),
            refunded_by="plateforme",
        ),
        _event(
            Reservation.ConvocationSent,
            t,
            message_id=uuid4(),
            channel="courrier",
            exam_starts_at=exam,
            sent_at=t + timedelta(hours=1),
            sent_by="plateforme",
        ),
        _event(
            Reservation.Released,
            t,
            reason="expirée",
            released_at=t + timedelta(hours=2),
        ),
        _event(
            Reservation.CancelledUnpaid,
            t,
            checkout_id=uuid4(),
            reason="provision insuffisante (AM04)",
            cancelled_at=t + timedelta(hours=4),
        ),
    ]
    assert [(s["step"], s["by"]) for s in history(events)] == [
        (
            "Convocation envoyée par courrier (examen du 01/02/2027 à 09 h 00)",
            "plateforme",
        ),
        ("Place libérée : expirée", "plateforme"),
        (
            "Remboursement de 15,00 € à virer sur le compte prélevé une fois le "
            "prélèvement encaissé, facture d'avoir n° A2027-000001",
            "plateforme",
        ),
        ("Annulée, prélèvement impayé : provision insuffisante (AM04)", "banque"),
    ]
    assert history(events)[0]["at"] == (t + timedelta(hours=1)).isoformat()
