"""The candidate's reminder two days before the exam (EX-3): booking's
`ReminderDue` becomes one e-mail, in plain French, whatever the
redeliveries; nothing for a candidate without e-mail (a letter would come
too late) nor for an exam already passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.clock import FrozenClock
from services.common.errors import AlreadyProcessed
from services.notifier import reminders
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL
from tests.notifier.test_documents import ADDRESS, delivered, messages

EXAM = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 9 h 00 in Paris
DUE = {
    "reservation_id": uuid4(),
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "session_id": uuid4(),
    "school_name": "Auto-école du Centre",
    "centre_name": "Centre Lyon Gerland",
    "centre_address": "1 rue du Centre",
    "centre_city": "Lyon",
    "exam_starts_at": EXAM,
    "reminded_at": EXAM - timedelta(days=2),
}
CONTACT = {"given_names": "Linh", "birth_name": "Nguyen", "email": "linh@example.fr"}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.clock = FrozenClock(EXAM - timedelta(days=2))
    yield app
    app.close()


def test_the_reminder_is_one_e_mail_with_the_exam(app):
    event = delivered("ReminderDue", DUE)
    reminders.remind(app, event, CONTACT)
    with pytest.raises(AlreadyProcessed):  # the same event delivered again
        reminders.remind(app, event, CONTACT)
    ((message, content),) = messages(app)
    assert message.channel == EMAIL and message.audience == "candidat"
    assert content["recipient"] == "linh@example.fr"
    assert content["subject"] == (
        "Rappel : votre examen du code de la route le lundi 7 décembre 2026 à 09 h 00"
    )
    assert content["body"].startswith("Bonjour Linh Nguyen,\n\n")
    assert "  - au Centre Lyon Gerland, 1 rue du Centre Lyon" in content["body"]
    assert "pièce d'identité" in content["body"]


def test_no_reminder_by_post(app):
    reminders.remind(
        app, delivered("ReminderDue", DUE), {"email": None, "address": ADDRESS}
    )
    assert messages(app) == []


def test_no_reminder_of_an_exam_passed(app):
    app.clock.set(EXAM + timedelta(minutes=1))
    reminders.remind(app, delivered("ReminderDue", DUE), CONTACT)
    assert messages(app) == []
