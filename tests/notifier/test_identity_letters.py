"""The online identity check's notices go by registered e-letter (the
activation code with an SMS too), the other modes' by e-mail and SMS; a
letter handed over again after a crash is the same letter."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.common.envelope import Delivered, Envelope
from services.notifier import identity_notices
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL, REGISTERED_LETTER, SMS
from services.notifier.mailer import AccountMailer
from services.notifier.registered_letters import registered_letter_provider

PHONE = "+33612345678"


@pytest.fixture
def notifier(settings, tmp_path):
    app = NotifierApplication(
        settings=settings.replace(
            sms_folder=str(tmp_path / "sms"),
            registered_letter_folder=str(tmp_path / "lre"),
        )
    )
    yield app
    app.close()


def _delivered(notice: str, **more) -> Delivered:
    envelope = Envelope(
        "identity", "DigitalIdentityNotice", 2, secrets.randbelow(10**12), "2026"
    )
    payload = {
        "account_id": uuid4(),
        "notice": notice,
        "email": f"ines-{secrets.token_hex(3)}@example.fr",
        "phone": PHONE,
        "code": "472",
        "reason": None,
        "expires_at": datetime.now(UTC) + timedelta(days=15),
        "mode": None,
        **more,
    }
    return Delivered(envelope, payload, 1)


@pytest.mark.parametrize(
    ("notice", "mode", "channels"),
    [
        ("procedure_en_ligne", None, [REGISTERED_LETTER]),
        ("code_activation", "en_ligne", [REGISTERED_LETTER, SMS]),
        ("code_activation", "bureau_de_poste", [EMAIL, SMS]),
        ("code_bureau_de_poste", None, [EMAIL, SMS]),
    ],
)
def test_each_notice_goes_by_its_channels(notifier, notice, mode, channels):
    event = _delivered(notice, mode=mode)
    found = identity_notices.messages(notifier, event)
    assert [m.channel for m in found] == channels


def test_the_procedure_letter_gives_the_three_digits_and_the_way():
    subject, body, sms = identity_notices.texts(
        _delivered("procedure_en_ligne", code="472").payload
    )
    assert subject == "Vérification de votre identité en ligne"
    assert "ces trois chiffres : 4 7 2" in body
    assert "48 heures ouvrées" in body and "espace candidat" in body
    assert sms == ""


def test_a_letter_handed_over_again_after_a_crash_is_one_letter(notifier, tmp_path):
    event = _delivered("procedure_en_ligne")
    notifier._queue_all(event, identity_notices.messages(notifier, event))
    mailer = AccountMailer(notifier)
    try:
        # The sender crashed after the provider took the letter, before it
        # recorded it: the message is still pending, and is sent again.
        [queued] = identity_notices.messages(notifier, event)
        message = notifier.get_message(queued.id)
        content = notifier.content(message)
        assert mailer._register(message, content, None)
        mailer.run_until_caught_up()
    finally:
        mailer.release()
    provider = registered_letter_provider(notifier.settings)
    assert len(provider.letters_to(event.payload["email"])) == 1
    assert not notifier.get_message(queued.id).is_pending


def test_an_address_the_provider_refuses_abandons_the_message(notifier):
    event = _delivered("procedure_en_ligne", email="pas-une-adresse")
    notifier._queue_all(event, identity_notices.messages(notifier, event))
    [queued] = identity_notices.messages(notifier, event)
    mailer = AccountMailer(notifier)
    try:
        mailer.run_until_caught_up()
    finally:
        mailer.release()
    message = notifier.get_message(queued.id)
    assert not message.is_pending and "adresse" in (message.failure or "")
