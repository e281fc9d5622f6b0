"""The convocation booking prints and publishes (NO-4): who the candidate is,
which school filed, the exam, the change rules and a code that can be checked."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID, uuid4

import pytest

from services.booking.application import BookingApplication
from services.booking.convocations import change_deadline
from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.common import contracts
from services.common.documents import PARIS, code_matches, verification_code
from services.common.sealing import open_message
from tests.booking.test_seats import NOBODY, new_neph, open_session, school
from tests.helpers import one_line, pdf_text


@pytest.fixture(scope="module")
def app(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def _paid_line(app: BookingApplication) -> tuple[str, UUID]:
    ecole, neph = school(), new_neph()
    app.candidate_activated(
        ecole,
        neph,
        uuid4(),
        "Léa Martin",
        birth_date="2004-05-06",
        school_name="Auto-école du Centre",
    )
    line = app.hold(ecole, neph, open_session(app, days=12), NOBODY)
    reservation = app.repository.get(UUID(line["id"]))
    reservation.confirm(uuid4(), app.clock.now())
    app.save(reservation)
    return ecole, reservation.id


def test_the_convocation_names_the_candidate_school_exam_rules_and_code(app):
    ecole, reservation_id = _paid_line(app)
    text = one_line(pdf_text(app.convocation_pdf(ecole, reservation_id)))
    assert "Candidat : Léa Martin" in text
    assert "Date de naissance : 06/05/2004" in text
    assert "Auto-école : Auto-école du Centre" in text
    assert "Épreuve théorique générale (ETG)" in text
    assert "jusqu'à trois jours ouvrés avant l'examen" in text
    assert "la dernière date pour modifier ou annuler est le" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text.replace(str(reservation_id), ""))
    code = re.search(r"Code de vérification : (\S+)", text).group(1)
    assert code == verification_code(
        app.settings.secret_key.get_secret_value(), reservation_id
    )
    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", code)


def test_the_confirmation_event_carries_what_the_mailed_convocation_prints(app):
    _, reservation_id = _paid_line(app)
    (confirmed,) = [
        e
        for e in app.aggregate_history(reservation_id)
        if isinstance(e, Reservation.Confirmed)
    ]
    sealed = PUBLISHED[Reservation.Confirmed].dump(confirmed, app)
    assert "birth_date" not in sealed  # on the bus, only its reader opens it
    body, _ = open_message(contracts.ReservationConfirmed, sealed, app.keystore)
    assert body["birth_date"] == "2004-05-06"
    assert body["school_name"] == "Auto-école du Centre"
    secret = app.settings.secret_key.get_secret_value()
    assert code_matches(secret, reservation_id, body["verification_code"])
    assert body["change_deadline"] < confirmed.exam_starts_at.date().isoformat()


def test_a_verification_code_is_checked_against_its_reservation_only():
    reservation = uuid4()
    code = verification_code("secret", reservation)
    assert code_matches("secret", reservation, code.lower().replace("-", " "))
    assert not code_matches("secret", uuid4(), code)
    assert not code_matches("another secret", reservation, code)


def test_changes_close_when_three_working_days_are_left():
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    assert change_deadline(monday, "69") == date(2026, 12, 1)  # the Tuesday before
    # Good Friday is a holiday in Alsace-Moselle only: one day earlier there.
    after_easter = datetime(2027, 3, 30, 9, 0, tzinfo=PARIS)
    assert change_deadline(after_easter, "69") == date(2027, 3, 23)
    assert change_deadline(after_easter, "67") == date(2027, 3, 22)
    assert change_deadline(monday, "") is None
