"""The notifier's application: turns events into queued messages (NO-1…NO-3)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.common.store import ServiceApplication
from services.common.validation import is_french_mobile
from services.notifier import candidate_texts, sms_texts, texts
from services.notifier.domain import EMAIL, LETTER, SMS, Message, new_message
from services.notifier.letters import remove_letters_of, remove_letters_older_than

# What the convocation prints (services/common/documents.py).
CONVOCATION = (
    "reservation_id",
    "candidate_name",
    "birth_date",
    "neph",
    "school_name",
    "centre_name",
    "centre_address",
    "centre_city",
    "exam_starts_at",
    "change_deadline",
    "verification_code",
)

log = logging.getLogger(__name__)


class NotifierApplication(ServiceApplication):
    """Queues one message per event and recipient; the dispatcher sends them."""

    name: ClassVar[str] = "notifier"

    def skipped_erased(self, event: Delivered) -> bool:
        """Whether `event` was sealed for someone erased since, and so skipped:
        there is nothing left to write, and trying again would not change it."""
        if not event.erased:
            return False
        log.info("message for an erased subject skipped: %s", event.event_id)
        self.record_processed(event.tracking)
        return True

    # -- candidates ----------------------------------------------------------------

    def on_candidate_created(self, event: Delivered) -> None:
        """The link (or letter) to confirm, and an SMS telling the candidate
        their school created the file (seed 004), in one save."""
        messages = self._activation_messages(event)
        phone = event.payload.get("phone")
        if messages and phone and is_french_mobile(phone):
            body = sms_texts.candidate_created(event.payload)
            candidate = event.payload["candidate_id"]
            messages.append(
                self.compose(event, SMS, "candidat", candidate, phone, "", body)
            )
        self._queue_all(event, messages)

    def on_candidate_activation_requested(self, event: Delivered) -> None:
        self._queue_all(event, self._activation_messages(event))

    def _activation_messages(self, event: Delivered) -> list[Message]:
        """The e-mailed link, or the letter with its code; none once erased."""
        payload = event.payload
        url = self.settings.public_url
        candidate = payload["candidate_id"]
        if payload.get("email"):
            subject, body = texts.candidate_activation_email(
                payload, url, self.clock.now()
            )
            return [
                self.compose(
                    event, EMAIL, "candidat", candidate, payload["email"], subject, body
                )
            ]
        if payload.get("address") and payload.get("birth_name"):
            subject, body = texts.candidate_activation_letter(
                payload, url, self.clock.now()
            )
            recipient = {
                "name": f"{payload['given_names']} {payload['birth_name']}",
                **payload["address"],
            }
            return [
                self.compose(
                    event, LETTER, "candidat", candidate, recipient, subject, body
                )
            ]
        # Erased before this was published: there is nobody to write to.
        return []

    def _queue_all(self, event: Delivered, messages: list[Message]) -> None:
        """Queue every message an event causes, with the event's tracking: all
        of them or none, so that a redelivery never queues half of them."""
        if messages:
            self.save(*messages, tracking=event.tracking)
        else:
            self.record_processed(event.tracking)

    def on_candidate_activated(self, event: Delivered) -> None:
        """Tell the school its candidate confirmed the file (once per event)."""
        if not event.payload.get("school_email"):
            # Confirmed before the school's address travelled with the event.
            self.record_processed(event.tracking)
            return
        subject, body = texts.candidate_confirmed(event.payload)
        self._to_school(event, subject, body)

    def on_candidate_refused(self, event: Delivered) -> None:
        subject, body = texts.candidate_refused(event.payload)
        self._to_school(event, subject, body)

    def on_candidate_expired(self, event: Delivered) -> None:
        if event.erased:  # the school's own key is gone: nobody to tell
            self.record_processed(event.tracking)
        else:
            subject, body = texts.candidate_expired(event.payload)
            self._to_school(event, subject, body)
        # Erasure (CA-4): what this service holds of the candidate goes too.
        candidate: UUID = event.payload["candidate_id"]
        # Every key of the candidate: their copies on the bus (retries, dead
        # letters) become unreadable too.
        self.vault.forget(candidate)
        remove_letters_of(self.settings.print_folder, candidate)

    def on_candidate_erased(self, event: Delivered) -> None:
        """Erasure (TR-4): the candidate's messages become unreadable (their key
        is forgotten: one not sent yet is abandoned by the mailer) and their
        letters not printed yet leave the print queue."""
        candidate: UUID = event.payload["candidate_id"]
        self.vault.forget(candidate)
        remove_letters_of(self.settings.print_folder, candidate)
        self.record_processed(event.tracking)

    def purge_old_letters(self) -> int:
        """Letters left in the print queue past their retention are deleted."""
        days = self.settings.letter_retention_days
        return remove_letters_older_than(
            self.settings.print_folder, self.clock.now(), days
        )

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
        invoice = payload.get("invoice")
        self.queue(
            event,
            EMAIL,
            "auto-ecole",
            school_subject(payload["school_id"]),
            payload["school_email"],
            subject,
            body,
            attachment=("invoice", invoice) if invoice else None,
        )

    def on_debit_returned(self, event: Delivered) -> None:
        """Tell the school its SEPA debit came back and what is cancelled."""
        if not event.payload.get("school_email"):
            self.record_processed(event.tracking)  # the school's key is gone
            return
        card_only = self.settings.sepa_card_only_after_return
        subject, body = texts.debit_returned(event.payload, card_only)
        self._to_school(event, subject, body)

    def on_reservation_confirmed(self, event: Delivered, contact: dict) -> None:
        """The candidate's convocation: by e-mail (PDF attached) or by post."""
        payload = {k: str(v) for k, v in event.payload.items() if v is not None}
        subject, body = texts.convocation(payload, when(payload["exam_starts_at"]))
        candidate = event.payload["candidate_id"]
        convocation = {k: payload.get(k) for k in CONVOCATION}
        if contact.get("email"):
            self.queue(
                event,
                EMAIL,
                "candidat",
                candidate,
                contact["email"],
                subject,
                body,
                attachment=("convocation", convocation),
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

    def on_sign_in_failures_reported(self, event: Delivered) -> None:
        url = self.settings.public_url
        subject, body = texts.failed_sign_ins(event.payload, url)
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

    def on_candidate_code_requested(self, event: Delivered) -> None:
        """A candidate account's code: by e-mail, or by SMS to a mobile."""
        payload = event.payload
        account = payload["account_id"]
        if payload["channel"] == "email" and payload.get("email"):
            subject, body = candidate_texts.code_email(payload)
            self.queue(event, EMAIL, "compte", account, payload["email"], subject, body)
        elif payload["channel"] == "sms" and payload.get("phone"):
            body = candidate_texts.code_sms(payload)
            self.queue(event, SMS, "compte", account, payload["phone"], "", body)
        else:
            self.record_processed(event.tracking)  # erased: nobody to send to

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
        attachment: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """Queue the one message `event` causes (see `compose`)."""
        message = self.compose(
            event, channel, audience, subject_id, recipient, subject, body, attachment
        )
        self.save(message, tracking=event.tracking)

    def compose(
        self,
        event: Delivered,
        channel: str,
        audience: str,
        subject_id: UUID,
        recipient: Any,
        subject: str,
        body: str,
        attachment: tuple[str, dict[str, Any]] | None = None,
    ) -> Message:
        """A message, its content sealed with the key of whom it concerns.
        `attachment`: a document's kind (« convocation », « invoice ») and
        its data; the mailer prints it as PDF when it sends."""
        content = {"recipient": recipient, "subject": subject, "body": body}
        if attachment is not None:
            kind, data = attachment
            content[kind] = data
        return new_message(
            cause=event.event_id,
            channel=channel,
            audience=audience,
            subject_id=subject_id,
            sealed=self.vault.seal(subject_id, content),
        )

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
