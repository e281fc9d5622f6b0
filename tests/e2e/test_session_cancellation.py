"""The operator cancels an exam session with `pmc cancel-session`, against
the real stack (SC-2): more than 7 days ahead, every reservation in it ends
(the paid one cancelled by the « centre d'examen » and refunded in full with
a credit note, the unpaid one out of its cart), the school and the candidate
told with the reason; within 7 days, a session someone holds a seat in is
refused and nothing changes; redelivered, nobody is refunded twice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4

import pytest
import requests
from eventsourcing.utils import get_topic

from services.billing.application import BillingApplication
from services.booking.rules import PARIS
from services.common import contracts
from services.common.calendar import is_public_holiday
from services.scheduling.domain import COLLECTIVE, ExamSession
from services.scheduling.publications import PUBLISHED
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import PUBLISHED as BOOKING_PUBLISHED
from tests.e2e.test_cancellation_api import (
    _cancelled_event,
    _refunds,
    _rows,
)
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, one_line, pdf_text, publish_event, wait_for

REASON = "Salle inondée"
CANDIDATE_TOLD = "Votre examen du code de la route est annulé par le centre d'examen"


@pytest.fixture(scope="module")
def billing(settings):
    app = BillingApplication(settings=settings)
    yield app
    app.close()


def _site(scheduling) -> UUID:
    return centre(scheduling, "TEST-SC2", "Lyon", 45.75, 4.85)


def _within_seven_days() -> datetime:
    """A day sessions run on, 2 to 6 days ahead, at 10:00 Paris time."""
    today = datetime.now(PARIS).date()
    for ahead in range(2, 7):
        day: date = today + timedelta(days=ahead)
        if day.weekday() != 6 and not is_public_holiday(day, "69"):
            return datetime.combine(day, time(10), PARIS)
    raise AssertionError("no working day within a week")


def _mails(mail_folder, address: str, subject: str) -> list:
    return [m for m in mails_to(mail_folder, address) if subject in m["Subject"]]


def _session_cancelled_position(scheduling, session_id: UUID) -> tuple[int, object]:
    topic = get_topic(ExamSession.Cancelled)
    for notification in scheduling.recorder.select_notifications(
        start=1, limit=100_000, topics=[topic]
    ):
        if notification.originator_id == session_id:
            return notification.id, scheduling.mapper.to_domain_event(notification)
    raise AssertionError("no cancellation stored")


def test_a_session_weeks_ahead_is_cancelled_and_its_paid_seat_refunded_in_full(
    gateway,
    new_school,
    scheduling,
    candidates,
    mail_folder,
    billing,
    booking,
    pmc,
    settings,
):
    school = new_school()
    session = scheduling.schedule_session(
        _site(scheduling), next_weekday(0, 2), 18, COLLECTIVE
    )
    session_id = UUID(session["id"])
    paid_neph, held_neph = activated_files(candidates, school, 2, first=8810)
    paid = hold(gateway, school, paid_neph, session["id"]).json()["id"]
    assert _pay(gateway, school, f"cle-{uuid4()}").status_code == 201
    wait_for(lambda: _rows(gateway, school)[paid]["status"] == "confirmée")
    held = hold(gateway, school, held_neph, session["id"]).json()["id"]
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 16)

    done = pmc("cancel-session", session["id"], "--reason", REASON)
    assert done.returncode == 0, done.stderr
    assert "annulée." in done.stdout
    assert "1 réservation(s) payée(s) annulée(s) par le centre d'examen et " in (
        done.stdout
    )
    assert "1 place(s) non payée(s) retirée(s) des paniers" in done.stdout
    # Every reservation ended (the command waited for booking to end them).
    rows = _rows(gateway, school)
    assert rows[paid]["status"] == "annulée"
    assert rows[held]["status"] == "session annulée"
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    assert cart.json()["items"] == []
    assert scheduling.session(session_id)["cancelled"] is True
    # Its seats all free again in booking, which owns them.
    assert booking.repository.get(session_id).free_seats == 18

    # Refunded in full, once, with a credit note the school downloads.
    (refund,) = wait_for(lambda: _refunds(billing, paid), 30)
    assert refund["amount_cents"] == 3000
    note = wait_for(
        lambda: (
            (
                r := requests.get(
                    f"{gateway}/api/reservations/{paid}/avoir",
                    headers=school["headers"],
                )
            ).status_code
            == 200
            and r
        )
    )
    assert "30,00 €" in one_line(pdf_text(note.content))

    # The candidate and the school are told, by the centre, with the reason.
    (told,) = wait_for(
        lambda: _mails(mail_folder, "siege8810@example.fr", CANDIDATE_TOLD), 30
    )
    body = one_line(told.get_body(preferencelist=("plain",)).get_content())
    assert f"Motif indiqué par le centre : {REASON}." in body
    school_told = wait_for(
        lambda: _mails(mail_folder, school["email"], "annulée par le centre d'examen"),
        30,
    )
    body = one_line(school_told[0].get_body(preferencelist=("plain",)).get_content())
    assert REASON in body and "remboursée en totalité" in body
    wait_for(
        lambda: _mails(mail_folder, school["email"], "Réservation annulée : avoir")
    )
    # The holder of the unpaid seat paid nothing: no refund, no candidate mail.
    assert _refunds(billing, held) == []
    assert not _mails(mail_folder, "siege8811@example.fr", CANDIDATE_TOLD)

    # Redelivered (a lost acknowledgement), both messages: nobody twice.
    position, event = _session_cancelled_position(scheduling, session_id)
    body = dict(PUBLISHED[ExamSession.Cancelled].translate(event, scheduling))
    publish_event(
        settings.amqp_uri, "scheduling", contracts.SessionCancelled, body, position, 2
    )
    position, event = _cancelled_event(booking, UUID(paid))
    body = dict(BOOKING_PUBLISHED[type(event)].translate(event, booking))
    publish_event(
        settings.amqp_uri, "booking", contracts.ReservationCancelled, body, position, 2
    )
    again = pmc("cancel-session", session["id"])
    assert again.returncode == 2
    assert "Cette session est déjà annulée." in again.stderr
    assert len(_refunds(billing, paid)) == 1
    assert len(_mails(mail_folder, "siege8810@example.fr", CANDIDATE_TOLD)) == 1
    assert len(_mails(mail_folder, school["email"], "annulée par le centre")) == 1
    assert len(_mails(mail_folder, school["email"], "Réservation annulée : avoir")) == 1
    history = requests.get(
        f"{gateway}/api/reservations/{paid}", headers=school["headers"]
    ).json()["history"]
    (cancelled,) = [s for s in history if s["step"].startswith("Annulée")]
    assert cancelled["by"] == "centre d'examen"


def test_within_seven_days_a_session_with_a_holder_is_refused_and_nothing_changes(
    gateway, new_school, scheduling, candidates, pmc
):
    school = new_school()
    starts = _within_seven_days()
    site = _site(scheduling)
    session = scheduling.schedule_session(site, starts, 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=8820)
    line = hold(gateway, school, neph, session["id"]).json()["id"]

    refused = pmc("cancel-session", session["id"], "--reason", REASON)
    assert refused.returncode == 2, refused.stdout
    assert "Annulation refusée" in refused.stderr
    assert "1 place(s) réservée(s)" in refused.stderr
    assert "moins de 7 jours" in refused.stderr
    assert scheduling.session(UUID(session["id"]))["cancelled"] is False
    assert _rows(gateway, school)[line]["status"] == "dans le panier"

    # The same week, a session nobody holds a seat in may be cancelled.
    empty = scheduling.schedule_session(
        site, starts + timedelta(hours=2), 18, COLLECTIVE
    )
    done = pmc("cancel-session", empty["id"])
    assert done.returncode == 0, done.stderr
    assert "0 réservation(s) payée(s)" in done.stdout
    assert scheduling.session(UUID(empty["id"]))["cancelled"] is True


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("pas-un-identifiant",), "Identifiant de session invalide."),
        ((str(uuid4()),), "Cette session d'examen n'existe pas."),
        ((str(uuid4()), "--reason", "Motif\u202ementeur"), "Motif refusé"),
        ((str(uuid4()), "--reason", "x" * 500), "Motif refusé"),
    ],
)
def test_hostile_inputs_are_refused_in_french(pmc, stack, args, said):
    refused = pmc("cancel-session", *args)
    assert refused.returncode == 2
    assert said in refused.stderr
    assert "Traceback" not in refused.stderr
