"""What the school reads when the platform, not the school, ends one of its
waiting-list entries (EX-2), or an unpaid seat in its cart with a session
the operator cancelled (SC-2): which candidate, which session, why; once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.common.errors import AlreadyProcessed
from services.notifier import waiting_notices
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL
from tests.helpers import one_line
from tests.notifier.test_documents import delivered, messages

CONTACT = {
    "given_names": "Linh",
    "birth_name": "Nguyen",
    "school_email": "ecole@example.fr",
}
SESSION = {
    "school_id": "ecole-a",
    "candidate_id": uuid4(),
    "session_id": uuid4(),
    "centre_name": "Centre Lyon Gerland",
    "centre_city": "Lyon",
    # 08:00 UTC: 09:00 in Paris in December.
    "exam_starts_at": datetime(2026, 12, 17, 8, tzinfo=UTC),
}


def _dropped(reason: str, operator_reason: str = "") -> dict:
    return {
        **SESSION,
        "entry_id": uuid4(),
        "reason": reason,
        "operator_reason": operator_reason,
        "dropped_at": datetime(2026, 11, 24, 12, 30, tzinfo=UTC),
    }


HELD = {
    **SESSION,
    "reservation_id": uuid4(),
    "reason": "Salle inondée",
    "cancelled_at": datetime(2026, 11, 24, 12, 30, tzinfo=UTC),
}


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _told(app, event_type: str, payload: dict, texts) -> tuple:
    event = delivered(event_type, payload)
    waiting_notices.tell_the_school(app, event, CONTACT, texts)
    ((message, content),) = messages(app)
    assert message.channel == EMAIL and message.audience == "auto-ecole"
    assert content["recipient"] == "ecole@example.fr"
    return content["subject"], one_line(content["body"])


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("dossier archivé", "car son dossier a été archivé"),
        ("dossier supprimé", "car son dossier a été supprimé de la plateforme"),
        ("dossier plus réservable", "car son dossier a été archivé ou supprimé"),
        ("déjà une place réservée", "car il a obtenu entre-temps une place"),
        ("part de la session atteinte", "détient déjà toutes les places"),
        ("dossier introuvable", "car son dossier n'existe plus"),
    ],
)
def test_the_school_is_told_which_candidate_left_which_line_and_why(app, reason, said):
    subject, body = _told(
        app, "WaitingEntryDropped", _dropped(reason), waiting_notices.entry_dropped
    )
    assert subject == (
        "Liste d'attente : inscription retirée pour l'examen du "
        "jeudi 17 décembre 2026 à 09 h 00"
    )
    assert body.startswith(
        "Bonjour, Linh Nguyen n'est plus en liste d'attente pour l'examen du "
        "jeudi 17 décembre 2026 à 09 h 00 au Centre Lyon Gerland (Lyon)."
    )
    assert said in body
    assert "Motif indiqué par le centre" not in body


def test_the_candidate_is_named_as_filed_with_the_neph_when_it_travelled(app):
    payload = {
        **_dropped("dossier archivé"),
        "candidate_name": "Léa Martin",
        "neph": "123456789012",
    }
    _, body = _told(app, "WaitingEntryDropped", payload, waiting_notices.entry_dropped)
    assert "Bonjour, Léa Martin (NEPH 123456789012) n'est plus en liste" in body


def test_a_cancelled_session_says_so_with_the_operators_words(app):
    payload = _dropped("session annulée", "Salle inondée.")
    _, body = _told(app, "WaitingEntryDropped", payload, waiting_notices.entry_dropped)
    assert "car la session a été annulée par le centre d'examen." in body
    assert "Motif indiqué par le centre : Salle inondée." in body


def test_an_unknown_reason_is_said_as_booking_gave_it(app):
    payload = _dropped("motif nouveau")
    _, body = _told(app, "WaitingEntryDropped", payload, waiting_notices.entry_dropped)
    assert "car motif nouveau." in body


def test_an_unpaid_seat_ended_with_its_session_is_told_with_the_reason(app):
    subject, body = _told(app, "HoldCancelled", HELD, waiting_notices.hold_cancelled)
    assert subject == (
        "Place retirée de votre panier : session du "
        "jeudi 17 décembre 2026 à 09 h 00 annulée"
    )
    assert (
        "La session d'examen du jeudi 17 décembre 2026 à 09 h 00 au Centre Lyon "
        "Gerland (Lyon) a été annulée par le centre d'examen." in body
    )
    assert f"pour Linh Nguyen (réservation n° {HELD['reservation_id']})" in body
    assert "vous n'avez rien à payer" in body
    assert "Motif indiqué par le centre : Salle inondée." in body


def test_an_unpaid_seat_without_a_reason_says_none(app):
    payload = {**HELD, "reason": ""}
    _, body = _told(app, "HoldCancelled", payload, waiting_notices.hold_cancelled)
    assert "Motif" not in body


def test_a_redelivery_queues_nothing_twice(app):
    payload = _dropped("dossier archivé")
    event = delivered("WaitingEntryDropped", payload, position=7)
    waiting_notices.tell_the_school(app, event, CONTACT, waiting_notices.entry_dropped)
    again = delivered("WaitingEntryDropped", payload, position=7)
    with pytest.raises(AlreadyProcessed):  # redelivered: told once
        waiting_notices.tell_the_school(
            app, again, CONTACT, waiting_notices.entry_dropped
        )
    assert len(messages(app)) == 1


def test_no_school_address_no_message(app):
    event = delivered("HoldCancelled", HELD)
    waiting_notices.tell_the_school(
        app, event, {"school_email": None}, waiting_notices.hold_cancelled
    )
    assert messages(app) == []
