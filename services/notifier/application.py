"""The notifier's application: turns events into queued messages (NO-1…NO-3)."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import Tracking

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.store import ServiceApplication
from services.notifier import texts
from services.notifier.domain import EMAIL, LETTER, Message
from services.notifier.letters import remove_letters_of


def school_subject(school_id: str) -> UUID:
    """The key a school's messages are sealed with."""
    return uuid5(NAMESPACE_URL, f"pmc-school:{school_id}")


class NotifierApplication(ServiceApplication):
    """Queues one message per event and recipient; the dispatcher sends them."""

    name: ClassVar[str] = "notifier"

    # -- candidates ----------------------------------------------------------------

    def on_candidate_activation_requested(self, event: Delivered) -> None:
        payload = event.payload
        url = self.settings.public_url
        candidate = payload["candidate_id"]
        if payload.get("email"):
            subject, body = texts.candidate_activation_email(payload, url)
            self.queue(
                event, EMAIL, "candidat", candidate, payload["email"], subject, body
            )
        elif payload.get("address") and payload.get("birth_name"):
            subject, body = texts.candidate_activation_letter(payload, url)
            recipient = {
                "name": f"{payload['given_names']} {payload['birth_name']}",
                **payload["address"],
            }
            self.queue(event, LETTER, "candidat", candidate, recipient, subject, body)
        else:
            # Erased before this was published: there is nobody to write to.
            self.record_processed(event.tracking)

    def on_candidate_refused(self, event: Delivered) -> None:
        subject, body = texts.candidate_refused(event.payload)
        self._to_school(event, subject, body)

    def on_candidate_expired(self, event: Delivered) -> None:
        subject, body = texts.candidate_expired(event.payload)
        self._to_school(event, subject, body)
        # Erasure (CA-4): what this service holds of the candidate goes too.
        candidate: UUID = event.payload["candidate_id"]
        self.vault.forget(candidate)
        remove_letters_of(self.settings.print_folder, candidate)

    def _to_school(self, event: Delivered, subject: str, body: str) -> None:
        payload = event.payload
        self.queue(
            event,
            EMAIL,
            "auto-ecole",
            school_subject(payload["school_id"]),
            payload["school_email"],
            subject,
            body,
        )

    # -- payments and convocations (BO-4, NO-4) -------------------------------------

    def on_payment_captured(self, event: Delivered) -> None:
        payload = event.payload
        if not payload.get("school_email"):
            self.record_processed(event.tracking)
            return
        subject, body = texts.school_payment_confirmed(payload)
        self.queue(
            event,
            EMAIL,
            "auto-ecole",
            school_subject(payload["school_id"]),
            payload["school_email"],
            subject,
            body,
        )

    def on_reservation_confirmed(self, event: Delivered, contact: dict) -> None:
        """The candidate's convocation: by e-mail (PDF attached) or by post."""
        payload = {k: str(v) for k, v in event.payload.items()}
        subject, body = texts.convocation(payload, when(payload["exam_starts_at"]))
        candidate = event.payload["candidate_id"]
        convocation = {
            k: payload[k]
            for k in (
                "reservation_id",
                "candidate_name",
                "neph",
                "centre_name",
                "centre_address",
                "centre_city",
                "exam_starts_at",
            )
        }
        if contact.get("email"):
            self.queue(
                event,
                EMAIL,
                "candidat",
                candidate,
                contact["email"],
                subject,
                body,
                attachment=convocation,
            )
        elif contact.get("address"):
            recipient = {"name": payload["candidate_name"], **contact["address"]}
            self.queue(event, LETTER, "candidat", candidate, recipient, subject, body)
        else:
            self.record_processed(event.tracking)

    # -- accounts ------------------------------------------------------------------

    def on_account_activation_requested(self, event: Delivered) -> None:
        url = self.settings.public_url
        subject, body = texts.account_activation(event.payload, url)
        self._to_account(event, subject, body)

    def on_password_reset_requested(self, event: Delivered) -> None:
        subject, body = texts.password_reset(event.payload, self.settings.public_url)
        self._to_account(event, subject, body)

    def _to_account(self, event: Delivered, subject: str, body: str) -> None:
        payload = event.payload
        self.queue(
            event,
            EMAIL,
            "compte",
            payload["account_id"],
            payload["email"],
            subject,
            body,
        )

    # -- messages ------------------------------------------------------------------

    def queue(
        self,
        event: Delivered,
        channel: str,
        audience: str,
        subject_id: UUID,
        recipient: Any,
        subject: str,
        body: str,
        attachment: dict[str, Any] | None = None,
    ) -> None:
        content = {"recipient": recipient, "subject": subject, "body": body}
        if attachment is not None:
            content["convocation"] = attachment
        message = Message(
            cause=event.event_id,
            channel=channel,
            audience=audience,
            subject_id=subject_id,
            sealed=self.vault.seal(subject_id, content),
        )
        self.save(message, tracking=event.tracking)

    def content(self, message: Message) -> dict[str, Any] | None:
        """What the message says and to whom; None once the person was erased."""
        return self.vault.unseal(message.subject_id, message.sealed)

    def get_message(self, message_id: UUID) -> Message:
        return self.repository.get(message_id)

    def mark_sent(self, message: Message, tracking: Tracking) -> None:
        message.mark_sent(at=self.clock.now())
        self.save(message, tracking=tracking)

    def abandon(self, message: Message, reason: str, tracking: Tracking) -> None:
        message.abandon(reason)
        self.save(message, tracking=tracking)
