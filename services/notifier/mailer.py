"""Sends queued messages, following the notifier's own log: e-mails over SMTP,
SMS through the SMS provider (services/notifier/sms.py), registered e-letters
through theirs (services/notifier/registered_letters.py, the message's id as
the idempotency key), letters as PDFs in the postal print queue.

A mail server that is down pauses the sender on that message; it tries again
and nothing is lost (NO-3). A message is marked sent, with the sender's log
position, right after the server accepted it, one message at a time, and that
record is retried through a database error rather than sending again: the
only e-mail a crash can send twice is the one in flight at that instant. Each
e-mail carries a Message-ID derived from its message id, itself derived from
(event, channel, recipient), so that one repeat is the same e-mail to whoever
receives it (mailboxes fold messages that share a Message-ID).

Two lanes, two senders. Messages about a person's own account (activation
link, password reset, sign-in alert, verification code: someone waits for
them on a page) have a topic of their own (`AccountMessage.Queued`), which
`AccountMailer` follows; everything else (candidates' notices, convocations,
payment confirmations, letters) is `Mailer`'s. Each is a follower of the same
log with its own position, parked events and leader lock (`notifier.mailer`,
`notifier.account-mailer`), so every guarantee above holds in each lane as it
did for one sender, and a school's thousand notices never stand in front of
another school's activation link. Splitting by topic, rather than skipping
the other lane's messages as they are read, keeps each lane's lag (readiness)
its own and lets the account sender read only its own events.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Notification, PersistenceError, Tracking
from eventsourcing.utils import get_topic

from services.common.documents import render_convocation, render_result
from services.common.follower import LogFollower
from services.common.invoice_pdf import render_credit_note, render_invoice
from services.notifier.application import NotifierApplication
from services.notifier.domain import (
    LETTER,
    REGISTERED_LETTER,
    SMS,
    AccountMessage,
    Message,
)
from services.notifier.letters import letter_path, render_letter
from services.notifier.registered_letters import (
    RegisteredLetterRefused,
    registered_letter_provider,
)
from services.notifier.sms import SmsRefused, sms_provider

# Each lane's tracking name (its recorded position).
MAILER = "notifier.mailer"
ACCOUNT_MAILER = "notifier.account-mailer"
# Tries, and seconds between them, to record a message the server accepted.
RECORD_TRIES = 5
RECORD_PAUSE = 1.0

# Documents a message may carry, printed when it is sent.
ATTACHMENTS = {
    "convocation": render_convocation,
    "invoice": render_invoice,
    "credit_note": render_credit_note,
    "result": render_result,
}
FILE_NAMES = {
    "convocation": "convocation",
    "invoice": "facture",
    "credit_note": "avoir",
    "result": "resultat",
}

log = logging.getLogger(__name__)


def message_id_header(message: Message) -> str:
    """The e-mail's Message-ID: the same for every send of one message."""
    return f"<{message.id}@passermoncode.fr>"


class Mailer(LogFollower):
    """The notifier's sender of bulk messages (all but accounts')."""

    role = "mailer"
    parks = True  # a message that can never be sent must not hold the others
    tracking_name = MAILER
    queued: type[Message.Queued] = Message.Queued  # the lane's topic

    def __init__(self, app: NotifierApplication, **kwargs: Any) -> None:
        topics = [get_topic(self.queued)]
        super().__init__(app, topics=topics, batch_size=50, **kwargs)
        self.notifier = app
        self._smtp: smtplib.SMTP | None = None
        self.sms = sms_provider(app.settings)
        self.registered = registered_letter_provider(app.settings, app.clock)

    def load_position(self, conn: psycopg.Connection) -> int:
        return self.app.recorder.max_tracking_id(self.tracking_name) or 0

    def handle(self, notifications: Sequence[Notification]) -> None:
        try:
            for notification in notifications:
                self.apply_or_park(notification)
        finally:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._smtp = None

    def apply(self, notification: Notification) -> None:
        self._deliver(notification)

    def _smtp_connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            settings = self.app.settings
            self._smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=10
            )
        return self._smtp

    def _deliver(self, notification: Notification) -> None:
        tracking = Tracking(self.tracking_name, notification.id)
        queued = self.app.mapper.to_domain_event(notification)
        message = self.notifier.get_message(queued.originator_id)
        if not message.is_pending:
            self.app.record_processed(tracking)
            return
        content = self.notifier.content(message)
        if content is None:
            self.notifier.abandon(message, "données personnelles effacées", tracking)
            return
        self.still_leading()  # never send what a standby may be sending now
        if self._hand_over(message, content, tracking):
            self._record_sent(message, tracking)

    def _hand_over(self, message: Message, content: dict[str, Any], tracking) -> bool:
        """Print, e-mail or text it; False when it was abandoned instead."""
        if message.channel == LETTER:
            self._print(message, content)
            return True
        if message.channel == SMS:
            return self._text(message, content, tracking)
        if message.channel == REGISTERED_LETTER:
            return self._register(message, content, tracking)
        return self._send(message, content, tracking)

    def _record_sent(self, message: Message, tracking: Tracking) -> None:
        # Sent already: giving up here would send it again after the pause.
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                if attempt > 1:  # a failed save consumed the pending event
                    message = self.notifier.get_message(message.id)
                    if not message.is_pending:
                        return  # that save did commit after all
                self.notifier.mark_sent(message, tracking)
                return
            except PersistenceError as exc:
                # Whatever it was (a lost connection, a stale prepared statement
                # after a rollback), the next try reloads the message: if the
                # record did commit, or another leader's did, it is not pending.
                if attempt == RECORD_TRIES:
                    raise
                log.warning("recording sent message %s: %s", message.id, exc)
                time.sleep(RECORD_PAUSE)

    def _print(self, message: Message, content: dict[str, Any]) -> None:
        folder = self.app.settings.print_folder
        path = letter_path(folder, message.subject_id, message.id)
        Path(folder).mkdir(parents=True, exist_ok=True)
        pdf = render_letter(content, self.app.clock.now(), self.app.settings.company)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(pdf)
        temporary.replace(path)  # the print queue never sees half a letter

    def _send(self, message: Message, content: dict[str, Any], tracking) -> bool:
        """Send; False when the server refused it for good (then abandoned)."""
        try:
            self._smtp_connection().send_message(self._email(message, content))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if not codes or min(codes) < 500:
                raise  # 4xx (greylisting, mailbox busy): try again later
            self.notifier.abandon(message, f"refusé : {codes}", tracking)
            return False
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code < 500:
                raise  # 4xx: temporary, try again later
            self.notifier.abandon(message, f"refusé : {exc.smtp_code}", tracking)
            return False
        return True

    def _text(self, message: Message, content: dict[str, Any], tracking) -> bool:
        """Send an SMS; False when the number cannot take one (then abandoned).
        An unreachable provider (OSError) pauses the sender, as SMTP does."""
        try:
            self.sms.send(message.id, content["recipient"], content["body"])
        except SmsRefused as exc:
            self.notifier.abandon(message, str(exc), tracking)
            return False
        return True

    def _register(self, message: Message, content: dict[str, Any], tracking) -> bool:
        """Send a registered e-letter; False when the provider will never take
        it (then abandoned). The message's id is the idempotency key: a repeat
        after a crash is the same letter. An unreachable provider (OSError)
        pauses the sender, as SMTP does."""
        try:
            letter_id = self.registered.send(
                message.id, content["recipient"], content["subject"], content["body"]
            )
        except RegisteredLetterRefused as exc:
            self.notifier.abandon(message, str(exc), tracking)
            return False
        log.info("registered e-letter %s for message %s", letter_id, message.id)
        return True

    def _email(self, message: Message, content: dict[str, Any]) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.app.settings.smtp_sender
        email["To"] = content["recipient"]
        email["Subject"] = content["subject"]
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message_id_header(message)
        email.set_content(content["body"])
        for kind, render in ATTACHMENTS.items():
            if content.get(kind):
                email.add_attachment(
                    render(content[kind]),
                    maintype="application",
                    subtype="pdf",
                    filename=f"{FILE_NAMES[kind]}.pdf",
                )
        return email

    @classmethod
    def factory(cls, app: NotifierApplication) -> Mailer:
        return cls(app, retry_wait=2.0)


class AccountMailer(Mailer):
    """The sender of messages about a person's own account: never behind bulk."""

    role = "account-mailer"
    tracking_name = ACCOUNT_MAILER
    queued = AccountMessage.Queued
