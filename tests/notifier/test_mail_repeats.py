"""A repeated e-mail is recognisable: same Message-ID, kept once (NO-3)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from uuid import uuid4

from aiosmtpd.controller import Controller

from pmc.mailcatcher import FolderHandler, duplicates
from services.notifier.domain import EMAIL, Message
from services.notifier.mailer import message_id_header
from tests.conftest import free_port
from tests.helpers import mails


def _send(port: int, message_id: str, to: str) -> None:
    email = EmailMessage()
    email["From"] = "ne-pas-repondre@passermoncode.fr"
    email["To"] = to
    email["Subject"] = "Votre convocation"
    email["Message-ID"] = message_id
    email.set_content("Bonjour")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(email)


def test_the_message_id_is_the_same_for_every_send_of_one_message():
    def queued() -> Message:
        return Message(
            cause="booking:42",
            channel=EMAIL,
            audience="candidat",
            subject_id=uuid4(),
            sealed="…",
        )

    first, again = queued(), queued()
    assert message_id_header(first) == message_id_header(again)
    other = Message(
        cause="booking:43",
        channel=EMAIL,
        audience="candidat",
        subject_id=uuid4(),
        sealed="…",
    )
    assert message_id_header(other) != message_id_header(first)


def test_a_second_delivery_of_one_message_is_kept_once_and_counted(tmp_path):
    folder = tmp_path / "mail"
    port = free_port()
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _send(port, "<a@passermoncode.fr>", "lea@example.fr")
        _send(port, "<b@passermoncode.fr>", "lea@example.fr")
        _send(port, "<a@passermoncode.fr>", "lea@example.fr")
    finally:
        controller.stop()
    # Restarted, the catcher still knows what it holds.
    controller = Controller(FolderHandler(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _send(port, "<b@passermoncode.fr>", "lea@example.fr")
    finally:
        controller.stop()
    assert sorted(m["Message-ID"] for m in mails(folder)) == [
        "<a@passermoncode.fr>",
        "<b@passermoncode.fr>",
    ]
    assert duplicates(folder) == ["<a@passermoncode.fr>", "<b@passermoncode.fr>"]
