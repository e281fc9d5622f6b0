"""The notifier's application: turns events into queued messages."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.common.envelope import Delivered
from services.common.store import ServiceApplication
from services.notifier import texts
from services.notifier.domain import EMAIL, Message


class NotifierApplication(ServiceApplication):
    """Queues one message per event and recipient; the mailer sends them."""

    name: ClassVar[str] = "notifier"

    def on_candidate_created(self, event: Delivered) -> None:
        email = event.payload.get("email")
        if not email:
            # Letters for candidates without e-mail come with the candidates issue.
            self.record_processed(event.tracking)
            return
        subject, body = texts.candidate_file_created(
            event.payload, self.settings.public_url
        )
        self.queue_email(event, email, subject, body)

    def on_account_activation_requested(self, event: Delivered) -> None:
        subject, body = texts.account_activation(
            event.payload, self.settings.public_url
        )
        self.queue_email(event, event.payload["email"], subject, body)

    def on_password_reset_requested(self, event: Delivered) -> None:
        subject, body = texts.password_reset(event.payload, self.settings.public_url)
        self.queue_email(event, event.payload["email"], subject, body)

    def queue_email(
        self, event: Delivered, recipient: str, subject: str, body: str
    ) -> None:
        message = Message(
            cause=event.event_id,
            channel=EMAIL,
            recipient=recipient,
            subject=subject,
            body=body,
        )
        self.save(message, tracking=event.tracking)

    def get_message(self, message_id: UUID) -> Message:
        return self.repository.get(message_id)

    def mark_sent(self, message: Message, tracking: Tracking) -> None:
        message.mark_sent(at=self.clock.now())
        self.save(message, tracking=tracking)

    def abandon(self, message: Message, reason: str, tracking: Tracking) -> None:
        message.abandon(reason)
        self.save(message, tracking=tracking)
