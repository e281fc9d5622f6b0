"""The notifier tells when a convocation left (BO-8, NO-4): a convocation,
e-mailed or printed for the post, first or after a change of slot, is marked
sent with its reservation and exam, which the relay publishes as
`ConvocationSent`; any other message is marked sent and publishes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.common import contracts
from services.notifier.application import NotifierApplication
from services.notifier.domain import Message
from tests.notifier.test_change_notices import CHANGED
from tests.notifier.test_documents import ADDRESS, delivered, messages

CONFIRMED = {
    "reservation_id": uuid4(),
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "candidate_name": "Linh Nguyen",
    "neph": "123456789012",
    "session_id": uuid4(),
    "centre_name": "Centre Lyon Gerland",
    "centre_address": "1 rue du Centre",
    "centre_city": "Lyon",
    "exam_starts_at": "2026-12-07T09:00:00+01:00",
    "checkout_id": uuid4(),
    "confirmed_at": datetime(2026, 11, 24, tzinfo=UTC),
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _sent(app: NotifierApplication) -> dict[str, dict | None]:
    """Each queued message marked sent, by audience: what its sending
    published, None when it published nothing."""
    published = {}
    for position, (message, _) in enumerate(messages(app), start=1):
        app.mark_sent(message, Tracking("notifier.mailer", position))
        (last,) = app.aggregate_history(message.id)[-1:]
        publication = app.published.get(type(last))
        body = publication.dump(last, app) if publication else None
        published[message.audience] = body and contracts.ConvocationSent().load(body)
    return published


def test_a_convocation_e_mailed_is_told_with_its_reservation_and_exam(app):
    app.on_reservation_confirmed(
        delivered("ReservationConfirmed", CONFIRMED), {"email": "linh@example.fr"}
    )
    told = _sent(app)["candidat"]
    assert told["reservation_id"] == CONFIRMED["reservation_id"]
    assert told["channel"] == "email"
    assert told["exam_starts_at"] == datetime.fromisoformat(CONFIRMED["exam_starts_at"])
    assert abs(told["sent_at"] - datetime.now(UTC)).total_seconds() < 60


def test_a_convocation_by_post_is_told_once_printed(app):
    app.on_reservation_confirmed(
        delivered("ReservationConfirmed", CONFIRMED),
        {"email": None, "address": ADDRESS},
    )
    assert _sent(app)["candidat"]["channel"] == "courrier"


def test_a_new_convocation_is_told_and_the_schools_notice_is_not(app):
    contact = {"email": "linh@example.fr", "school_email": "ecole@example.fr"}
    app.on_reservation_changed(delivered("ReservationChanged", CHANGED), contact)
    told = _sent(app)
    assert told["auto-ecole"] is None
    assert told["candidat"]["reservation_id"] == CHANGED["reservation_id"]
    assert told["candidat"]["exam_starts_at"] == datetime.fromisoformat(
        CHANGED["exam_starts_at"]
    )


def test_a_message_queued_before_convocations_were_told_is_sent_as_before(app):
    # As stored before: no reservation on the queued message.
    message = Message(
        cause="avant",
        channel="email",
        audience="candidat",
        subject_id=uuid4(),
        sealed="",
    )
    assert message.reservation_id is None
    message.mark_sent(datetime.now(UTC))
    assert type(message.collect_events()[-1]) is Message.Sent
    assert message.sent_at is not None
