"""The notifier nameko service: consumes events, queues and sends messages."""

from __future__ import annotations

from nameko.timer import timer

from services.common import contracts
from services.common.consumer import consume
from services.common.dependencies import ApplicationProvider, service_health
from services.common.envelope import Delivered
from services.common.errors import PlatformError
from services.common.rpc import RpcProxy, rpc
from services.notifier import (
    identity_notices,
    reminders,
    result_notices,
    seat_offers,
    waiting_notices,
)
from services.notifier.application import NotifierApplication
from services.notifier.mailer import AccountMailer, Mailer

# How often the print queue is looked at for letters past their retention.
LETTER_SWEEP_SECONDS = 10


class NotifierService:
    """E-mails, letters and SMS caused by the platform's events (NO-1…NO-4)."""

    name = "notifier"
    candidates = RpcProxy("candidates")
    app: NotifierApplication = ApplicationProvider(
        NotifierApplication, followers=[AccountMailer.factory, Mailer.factory]
    )

    @consume("candidates", contracts.CandidateCreated)
    def on_candidate_created(self, event: Delivered) -> None:
        """Ask the candidate to confirm the file their school created (CA-3),
        and tell them by SMS too (seed 004)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_candidate_created(event)

    @consume("candidates", contracts.CandidateActivationRequested)
    def on_candidate_activation_requested(self, event: Delivered) -> None:
        """A new link (or letter) for the candidate: resent, or a new e-mail."""
        if self.app.skipped_erased(event):
            return
        self.app.on_candidate_activation_requested(event)

    @consume("candidates", contracts.CandidateActivated)
    def on_candidate_activated(self, event: Delivered) -> None:
        """Tell the school its candidate confirmed the file (CA-3)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_candidate_activated(event)

    @consume("candidates", contracts.CandidateRefused)
    def on_candidate_refused(self, event: Delivered) -> None:
        """Tell the school the candidate refused the file."""
        if self.app.skipped_erased(event):
            return
        self.app.on_candidate_refused(event)

    @consume("candidates", contracts.CandidateExpired)
    def on_candidate_expired(self, event: Delivered) -> None:
        """Tell the school, and forget the candidate's data here too (CA-4)."""
        self.app.on_candidate_expired(event)

    @consume("candidates", contracts.CandidateErased)
    def on_candidate_erased(self, event: Delivered) -> None:
        """Forget the erased candidate's messages and letters (TR-4)."""
        self.app.on_candidate_erased(event)

    @timer(interval=LETTER_SWEEP_SECONDS)
    def purge_old_letters(self) -> None:
        """Delete letters kept in the print queue past their retention."""
        self.app.purge_old_letters()

    @consume("identity", contracts.AccountActivationRequested)
    def on_account_activation_requested(self, event: Delivered) -> None:
        """E-mail the activation link of a new account (ID-1)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_account_activation_requested(event)

    @consume("identity", contracts.PasswordResetRequested)
    def on_password_reset_requested(self, event: Delivered) -> None:
        """E-mail a password reset link (ID-4)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_password_reset_requested(event)

    @consume("identity", contracts.CandidateAccountCodeRequested)
    def on_candidate_code_requested(self, event: Delivered) -> None:
        """E-mail or text a candidate account's verification code (ID-6)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_candidate_code_requested(event)

    @consume("identity", contracts.DigitalIdentityNotice)
    def on_digital_identity_notice(self, event: Delivered) -> None:
        """E-mail and text a digital identity's code or notice (ID-7)."""
        if self.app.skipped_erased(event):
            return
        self.app._queue_all(event, identity_notices.messages(self.app, event))

    @consume("identity", contracts.SignInFailuresReported)
    def on_sign_in_failures_reported(self, event: Delivered) -> None:
        """Tell an account's owner of many wrong passwords (issue 12)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_sign_in_failures_reported(event)

    @consume("billing", contracts.PaymentCaptured)
    def on_payment_captured(self, event: Delivered) -> None:
        """Confirm the school's inscriptions by e-mail (BO-4)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_payment_captured(event)

    @consume("billing", contracts.DebitReturned)
    def on_debit_returned(self, event: Delivered) -> None:
        """Tell the school its SEPA debit came back, and what is cancelled."""
        if self.app.skipped_erased(event):
            return
        self.app.on_debit_returned(event)

    @consume("booking", contracts.ReservationConfirmed)
    def on_reservation_confirmed(self, event: Delivered) -> None:
        """Send the candidate's convocation, by e-mail or by post (NO-4)."""
        if self.app.skipped_erased(event):
            return
        contact = self.candidates.contact(str(event.payload["candidate_id"]))
        self.app.on_reservation_confirmed(event, contact)

    @consume("billing", contracts.RefundIssued)
    def on_refund_issued(self, event: Delivered) -> None:
        """Tell the school a cancelled seat is refunded, with its credit note."""
        if self.app.skipped_erased(event):
            return
        self.app.on_refund_issued(event)

    @consume("billing", contracts.RefundWithheld)
    def on_refund_withheld(self, event: Delivered) -> None:
        """Tell the school a SEPA refund is withheld, its debit returned (BI-4)."""
        if self.app.skipped_erased(event):
            return
        self.app.on_refund_withheld(event)

    @consume("booking", contracts.ReservationCancelled)
    def on_reservation_cancelled(self, event: Delivered) -> None:
        """Tell the candidate the school cancelled their seat (BO-7)."""
        if self.app.skipped_erased(event):
            return
        # The school may cancel, then erase the file (as the README advises).
        contact = self._contact_of_file(event)
        if contact is not None:
            self.app.on_reservation_cancelled(event, contact)

    @consume("booking", contracts.ReservationChanged)
    def on_reservation_changed(self, event: Delivered) -> None:
        """A new convocation for the candidate, and the school told (BO-6)."""
        if self.app.skipped_erased(event):
            return
        contact = self.candidates.contact(str(event.payload["candidate_id"]))
        self.app.on_reservation_changed(event, contact)

    @consume("booking", contracts.SeatOffered)
    def on_seat_offered(self, event: Delivered) -> None:
        """Tell the school a freed seat is held in its cart for its candidate
        in line, until when (EX-2)."""
        if self.app.skipped_erased(event):
            return
        contact = self._contact_of_file(event)
        if contact is not None:
            seat_offers.tell_the_school(self.app, event, contact)

    @consume("booking", contracts.WaitingEntryDropped)
    def on_waiting_entry_dropped(self, event: Delivered) -> None:
        """Tell the school the platform took its candidate out of a waiting
        list, and why (EX-2)."""
        if self.app.skipped_erased(event):
            return
        contact = self._contact_of_file(event)
        if contact is not None:
            waiting_notices.tell_the_school(
                self.app, event, contact, waiting_notices.entry_dropped
            )

    @consume("booking", contracts.HoldCancelled)
    def on_hold_cancelled(self, event: Delivered) -> None:
        """Tell the school an unpaid seat in its cart ended with its session,
        which the operator cancelled (SC-2)."""
        if self.app.skipped_erased(event):
            return
        contact = self._contact_of_file(event)
        if contact is not None:
            waiting_notices.tell_the_school(
                self.app, event, contact, waiting_notices.hold_cancelled
            )

    @consume("booking", contracts.ReminderDue)
    def on_reminder_due(self, event: Delivered) -> None:
        """Remind the candidate of their exam, two days before (EX-3)."""
        if self.app.skipped_erased(event):
            return
        contact = self._contact_of_file(event)
        if contact is not None:
            reminders.remind(self.app, event, contact)

    @consume("results", contracts.ResultPublished)
    def on_result_published(self, event: Delivered) -> None:
        """RE-2: the school told by e-mail, the candidate sent the result
        (e-mail with its PDF, or a letter enclosing it), once."""
        if self.app.skipped_erased(event):
            return
        if not event.payload.get("candidate_name"):
            # Released with nothing readable (erased before): nobody to tell.
            self.app.record_processed(event.tracking)
            return
        contact = self._contact_of_file(event)
        if contact is not None:
            self.app._queue_all(
                event, result_notices.messages(self.app, event, contact)
            )

    def _contact_of_file(self, event: Delivered) -> dict | None:
        """The candidate's contact (and the school's address) for an event
        about their file; None, the event marked done, once the file is
        erased: nobody is left to tell."""
        try:
            return self.candidates.contact(str(event.payload["candidate_id"]))
        except PlatformError as exc:
            if exc.status != 404:
                raise
            self.app.record_processed(event.tracking)
            return None

    @rpc
    def ping(self) -> str:
        """Readiness probe for the gateway."""
        return "pong"

    @rpc
    def health(self) -> dict:
        """Readiness: this service's read models and senders, parked events (TR-2)."""
        return service_health(self.name, self.app)
