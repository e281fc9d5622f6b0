"""A letter carries its documents (NO-4): a candidate without e-mail gets one
PDF in the print queue, the letter's page and then the convocation's, and the
letter says the convocation is enclosed; the e-mailed one is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.company import Company
from services.notifier.application import NotifierApplication
from services.notifier.letters import render_letter
from tests.helpers import one_line, pdf_text
from tests.notifier.test_change_notices import CHANGED
from tests.notifier.test_convocation_sent import CONFIRMED
from tests.notifier.test_documents import ADDRESS, delivered, messages

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def app() -> NotifierApplication:
    app = NotifierApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _pages(pdf: bytes) -> list[str]:
    """Each page's text (pdftotext ends every page with a form feed)."""
    return [one_line(page) for page in pdf_text(pdf).split("\f")[:-1]]


def _letter(app: NotifierApplication) -> bytes:
    ((_, content),) = messages(app)
    return render_letter(content, AT, Company())


def test_the_letter_then_the_convocation_in_one_pdf(app):
    event = delivered(
        "ReservationConfirmed", {**CONFIRMED, "verification_code": "K7QD-2MXA-PL4R"}
    )
    app.on_reservation_confirmed(event, {"email": None, "address": ADDRESS})
    pdf = _letter(app)
    pages = _pages(pdf)
    assert len(pages) >= 2
    assert "Objet : Votre convocation" in pages[0]
    assert "Votre convocation est jointe à ce courrier" in pages[0]
    assert "Convocation à l'examen du code de la route" not in pages[0]
    convocation = " ".join(pages[1:])
    assert "Convocation à l'examen du code de la route" in convocation
    assert "Candidat : Linh Nguyen" in convocation
    assert "Code de vérification : K7QD-2MXA-PL4R" in convocation
    assert "lundi 7 décembre 2026 à 09 h 00" in one_line(pdf_text(pdf))


def test_a_new_convocation_by_post_encloses_the_new_one(app):
    contact = {"email": None, "address": ADDRESS}
    app.on_reservation_changed(delivered("ReservationChanged", CHANGED), contact)
    ((_, content),) = [(m, c) for m, c in messages(app) if m.audience == "candidat"]
    pages = _pages(render_letter(content, AT, Company()))
    assert "n'est plus valable" in pages[0]
    assert "Votre convocation est jointe à ce courrier" in pages[0]
    assert "Convocation à l'examen du code de la route" in " ".join(pages[1:])


def test_a_letter_that_encloses_nothing_says_nothing_of_it(app):
    content = {
        "recipient": {"name": "Linh Nguyen", **ADDRESS},
        "subject": "Votre dossier",
        "body": "Bonjour,\n\nPasser mon code\n",
    }
    pages = _pages(render_letter(content, AT, Company()))
    assert len(pages) == 1
    assert "jointe" not in pages[0]


def test_the_e_mail_does_not_speak_of_a_letter(app):
    event = delivered("ReservationConfirmed", CONFIRMED)
    app.on_reservation_confirmed(event, {"email": "linh@example.fr"})
    ((_, content),) = messages(app)
    assert "courrier" not in content["body"]
    assert content["convocation"]["candidate_name"] == "Linh Nguyen"
