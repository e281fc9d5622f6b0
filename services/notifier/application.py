"""The notifier's application: turns events into queued messages (NO-1…NO-3)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.common.documents import when
from services.common.envelope import Delivered
from services.common.personal import school_subject
from services.common.store import ServiceApplication
from services.common.validation import is_french_mobile
from services.notifier import (
    cancellation_texts,
    candidate_texts,
    change_texts,
    late_payments,
    session_notices,
    sms_texts,
    texts,
)
from services.notifier.domain import (
    EMAIL,
    LETTER,
    SMS,
    ConvocationOf,
    Message,
    new_message,
)
from services.notifier.letters import remove_letters_of, remove_letters_older_than
from services.notifier.publications import PUBLISHED

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


def _convocation_of(payload: dict[str, Any]) -> ConvocationOf:
    """The reservation and exam a confirmation or change convenes for."""
    starts = payload["exam_starts_at"]
    if not isinstance(starts, datetime):
        starts = datetime.fromisoformat(str(starts))
    return ConvocationOf(UUID(str(payload["reservation_id"])), starts)


class NotifierApplication(ServiceApplication):
    """Queues one message per event and recipient; the dispatcher sends them."""

    name: ClassVar[str] = "notifier"
    # Convocations sent, for the reservation's history (BO-8).
    published: ClassVar = PUBLISHED

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

    def _to_school(
        self,
        event: Delivered,
        subject: str,
        body: str,
        attachment: tuple[str, Any] | None = None,
    ) -> None:
        payload = event.payload
        self.queue(
            event,
            EMAIL,
            "auto-ecole",
            school_subject(payload["school_id"]),
            payload["school_email"],
            subject,
            body,
            attachment=attachment,
        )

    # -- payments and convocations (BO-4, NO-4) -------------------------------------

    def on_payment_captured(self, event: Delivered) -> None:
        payload = event.payload
        if not payload.get("school_email"):
            self.record_processed(event.tracking)
            return
        subject, body = texts.school_payment_confirmed(payload)
        invoice = payload.get("invoice")
        self._to_school(event, subject, body, ("invoice", invoice) if invoice else None)

    def on_debit_returned(self, event: Delivered) -> None:
        """Tell the school its SEPA debit came back and what is cancelled."""
        if not event.payload.get("school_email"):
            self.record_processed(event.tracking)  # the school's key is gone
            return
        card_only = self.settings.sepa_card_only_after_return
        subject, body = texts.debit_returned(event.payload, card_only)
        self._to_school(event, subject, body)

    def on_refund_issued(self, event: Delivered) -> None:
        """Tell the school its cancelled seat is refunded; the credit note attached."""
        payload = event.payload
        if not payload.get("school_email"):
            self.record_processed(event.tracking)  # the school's key is gone
            return
        subject, body = cancellation_texts.refund_issued(payload)
        note = payload.get("credit_note")
        self._to_school(event, subject, body, ("credit_note", note) if note else None)

    def on_refund_withheld(self, event: Delivered) -> None:
        """Tell the school, once, that a SEPA refund will not be transferred:
        its debit came back."""
        if not event.payload.get("school_email"):
            self.record_processed(event.tracking)  # the school's key is gone
            return
        subject, body = cancellation_texts.refund_withheld(event.payload)
        self._to_school(event, subject, body)

    def on_reservation_cancelled(self, event: Delivered, contact: dict) -> None:
        """Tell the candidate, by e-mail when they have an address, that the
        school cancelled their seat."""
        by = event.payload.get("cancelled_by")
        if by == cancellation_texts.BY_OPERATOR:
            self._queue_all(event, session_notices.messages(self, event, contact))
            return
        if by == late_payments.BY_PLATFORM:
            self._queue_all(event, late_payments.messages(self, event, contact))
            return
        if not contact.get("email"):
            self.record_processed(event.tracking)
            return
        subject, body = cancellation_texts.reservation_cancelled(event.payload)
        candidate = event.payload["candidate_id"]
        self.queue(event, EMAIL, "candidat", candidate, contact["email"], subject, body)

    def on_reservation_confirmed(self, event: Delivered, contact: dict) -> None:
        """The candidate's convocation: by e-mail (PDF attached) or by post."""
        payload = {k: str(v) for k, v in event.payload.items() if v is not None}
        subject, body = texts.convocation(payload, when(payload["exam_starts_at"]))
        message = self._convocation(event, contact, subject, body)
        self._queue_all(event, [message] if message else [])

    def on_reservation_changed(self, event: Delivered, contact: dict) -> None:
        """A change of slot (BO-6): the candidate's new convocation (e-mail
        with the PDF, or by post) and the school told, in one save."""
        payload = {k: str(v) for k, v in event.payload.items() if v is not None}
        subject, body = change_texts.convocation_changed(payload)
        message = self._convocation(event, contact, subject, body)
        messages = [message] if message else []
        if contact.get("school_email"):
            subject, body = change_texts.school_told(payload)
            school = school_subject(payload["school_id"])
            messages.append(
                self.compose(
                    event,
                    EMAIL,
                    "auto-ecole",
                    school,
                    contact["school_email"],
                    subject,
                    body,
                )
            )
        self._queue_all(event, messages)

    def _convocation(
        self, event: Delivered, contact: dict, subject: str, body: str
    ) -> Message | None:
        """The candidate's convocation for the reservation `event` confirms
        or moves: by e-mail (PDF attached) or by post (the letter enclosing
        it); None when they have neither. Its sending is told
        (ConvocationSent, BO-8)."""
        payload = {k: str(v) for k, v in event.payload.items() if v is not None}
        candidate = event.payload["candidate_id"]
        of = _convocation_of(event.payload)
        printed = ("convocation", {k: payload.get(k) for k in CONVOCATION})
        if contact.get("email"):
            channel, recipient = EMAIL, contact["email"]
        elif contact.get("address"):
            # One PDF to print: the letter, then the convocation's pages.
            channel = LETTER
            recipient = {"name": payload["candidate_name"], **contact["address"]}
            body = texts.enclosing(body, texts.CONVOCATION_ENCLOSED)
        else:
            return None
        return self.compose(
            event, channel, "candidat", candidate, recipient, subject, body, printed, of
        )

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
        convocation: ConvocationOf | None = None,
    ) -> Message:
        """A message, its content sealed with the key of whom it concerns.
        `attachment`: a document's kind (« convocation », « invoice ») and
        its data; the mailer prints it as PDF when it sends. `convocation`:
        the reservation it convenes for, told once it is sent."""
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
            convocation=convocation,
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
