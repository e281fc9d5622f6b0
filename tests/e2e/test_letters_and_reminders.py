"""Against the real stack: a candidate without e-mail gets their convocation
in the print queue as one PDF, the letter then the convocation's pages
(NO-4); a candidate is reminded of their exam two days before, once, even
when booking restarts between two sweeps, and not at all once cancelled
(EX-3)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from services.candidates.publications import ACTIVATION
from services.common.documents import when
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import sign_up_payload
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _cancel, _rows
from tests.e2e.test_checkout_api import _pay
from tests.helpers import mails_to, one_line, pdf_text, wait_for

CONVOCATION = "Convocation à l'examen du code de la route"
REMINDER = "Rappel : votre examen du code de la route le "
ADDRESS = {"street": "12 rue des Tilleuls", "postal_code": "69004", "city": "Lyon"}


def _activated_by_post(candidates, school: dict, neph: str) -> str:
    """A confirmed file with a postal address and no e-mail: its id."""
    file = candidates.create_file(
        school["account"]["account_id"],
        school["email"],
        {
            "neph": neph,
            "civility": "MME",
            "birth_name": "Courrier",
            "given_names": "Claire",
            "birth_date": "2003-02-01",
            "address": ADDRESS,
        },
        school_name=sign_up_payload(school["email"])["company_name"],
    )
    aggregate = candidates.repository.get(UUID(file["id"]))
    token = candidates.links.token(ACTIVATION, aggregate.id, aggregate.activation_nonce)
    candidates.confirm(aggregate.id, token)
    return file["id"]


def _paid(gateway, school, session: dict, nephs: list[str]) -> list[str]:
    lines = [hold(gateway, school, n, session["id"]).json()["id"] for n in nephs]
    paid = _pay(gateway, school, f"cle-{lines[0]}")
    assert paid.status_code == 201, paid.text
    wait_for(
        lambda: {r["status"] for r in _rows(gateway, school).values()} == {"confirmée"}
    )
    return lines


def test_a_candidate_without_e_mail_gets_the_letter_and_convocation_in_one_pdf(
    gateway, new_school, scheduling, candidates, settings
):
    school = new_school()
    site = centre(scheduling, "TEST-COURRIER", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    candidate = _activated_by_post(candidates, school, "290000000001")
    _paid(gateway, school, session, ["290000000001"])

    def convocations() -> list[str]:
        letters = Path(settings.print_folder).glob(f"{candidate}-*.pdf")
        texts = [pdf_text(p.read_bytes()) for p in letters]
        return [t for t in texts if "Objet : Votre convocation" in t]

    (text,) = wait_for(convocations, timeout=30)
    pages = [one_line(page) for page in text.split("\f")[:-1]]
    assert len(pages) >= 2
    letter, enclosed = pages[0], " ".join(pages[1:])
    assert "12 rue des Tilleuls 69004 Lyon" in letter
    assert "Votre convocation est jointe à ce courrier" in letter
    assert CONVOCATION in enclosed
    assert "Candidat : Claire Courrier" in enclosed
    assert "NEPH : 290000000001" in enclosed
    assert when(session["starts_at"]) in enclosed
    assert "Code de vérification : " in enclosed


def _reminders(mail_folder, email: str) -> list:
    return [
        m for m in mails_to(mail_folder, email) if m["Subject"].startswith(REMINDER)
    ]


def test_the_reminder_is_sent_once_two_days_before(
    gateway, new_school, scheduling, candidates, mail_folder, travel, stack
):
    school = new_school()
    site = centre(scheduling, "TEST-RAPPEL", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(4, 2), 18, COLLECTIVE)
    _, cancelled = _paid(
        gateway, school, session, activated_files(candidates, school, 2, first=9300)
    )
    assert _cancel(gateway, school, cancelled).status_code == 200
    exam = datetime.fromisoformat(session["starts_at"])
    reminded, not_reminded = "siege9300@example.fr", "siege9301@example.fr"

    # Five minutes short of two days before: nothing yet.
    travel(exam - timedelta(days=2, minutes=5) - datetime.now(UTC))
    time.sleep(4)  # several sweeps
    assert _reminders(mail_folder, reminded) == []
    # Two days before: reminded, once.
    travel(timedelta(minutes=6))
    (mail,) = wait_for(lambda: _reminders(mail_folder, reminded), timeout=30)
    assert one_line(mail["Subject"]) == REMINDER + when(session["starts_at"])
    body = one_line(mail.get_content())
    assert "le vendredi" in body and "au Centre Lyon, 1 rue du Test, 69001 Lyon" in body
    assert "pièce d'identité" in body
    # Booking restarted between two sweeps: nothing is sent twice.
    for label in stack.labels("booking"):
        stack.halt(label)
        stack.resume(label)
    stack.wait_ready(timeout=60)
    travel(timedelta(hours=1))
    time.sleep(4)
    assert len(_reminders(mail_folder, reminded)) == 1
    # The cancelled reservation's candidate is not reminded.
    assert _reminders(mail_folder, not_reminded) == []
