"""Sends queued e-mails over SMTP, following the notifier's own log.

A mail server that is down pauses the mailer on that message; it tries again
and nothing is lost (NO-3). A message is marked sent, with the mailer's log
position, right after the server accepted it; each e-mail carries a Message-ID
derived from the message id, so the one retry a crash in that instant could
cause is recognisable as the same e-mail.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate

import psycopg
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic

from services.common.follower import LogFollower
from services.notifier.application import NotifierApplication
from services.notifier.domain import EMAIL, Message

MAILER = "notifier.mailer"


class Mailer(LogFollower):
    """The notifier's SMTP sender."""

    role = "mailer"

    def __init__(self, app: NotifierApplication, **kwargs) -> None:
        super().__init__(
            app, topics=[get_topic(Message.Queued)], batch_size=50, **kwargs
        )
        self.notifier = app

    def load_position(self, conn: psycopg.Connection) -> int:
        return self.app.recorder.max_tracking_id(MAILER) or 0

    def handle(self, notifications: Sequence[Notification]) -> None:
        settings = self.app.settings
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            for notification in notifications:
                self._deliver(smtp, notification)

    def _deliver(self, smtp: smtplib.SMTP, notification: Notification) -> None:
        tracking = Tracking(MAILER, notification.id)
        queued = self.app.mapper.to_domain_event(notification)
        message = self.notifier.get_message(queued.originator_id)
        if not message.is_pending or message.channel != EMAIL:
            self.app.record_processed(tracking)
            return
        self.still_leading()  # never send what a standby may be sending now
        try:
            smtp.send_message(self._email(message))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if not codes or min(codes) < 500:
                raise  # 4xx (greylisting, mailbox busy): try again later
            self.notifier.abandon(message, f"refusé : {codes}", tracking)
            return
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code < 500:
                raise  # 4xx: temporary, try again later
            self.notifier.abandon(message, f"refusé : {exc.smtp_code}", tracking)
            return
        self.notifier.mark_sent(message, tracking)

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.app.settings.smtp_sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.id}@passermoncode.fr>"
        email.set_content(message.body)
        return email

    @classmethod
    def factory(cls, app: NotifierApplication) -> Mailer:
        return cls(app, retry_wait=2.0)
