"""A message to one recipient, caused by one event.

Its id is derived from (cause, channel, recipient kind), so the same event can
never queue the same message twice, whatever the redeliveries (NO-3). What it
says and to whom is sealed with the key of the person it concerns
(services/common/personal.py): when that person's data is erased, the
message's content is erased with it.

Messages about a person's own account (activation link, password reset,
sign-in alert, verification code) are `AccountMessage`s: someone is waiting
for them on a page. Their own event topic puts them in a lane of their own,
which a sender of their own follows (services/notifier/mailer.py), so that
a school's bulk mail (a 1,000-line import) never delays another's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

EMAIL = "email"
LETTER = "courrier"
SMS = "sms"
# A registered e-letter (« lettre recommandée électronique »), through its
# provider (services/notifier/registered_letters.py).
REGISTERED_LETTER = "recommande_electronique"

# The audience of messages about a person's own account.
ACCOUNT = "compte"


class MessageStateError(ValueError):
    """The message was already sent or abandoned."""


class Message(Aggregate):
    """One message to one recipient."""

    @staticmethod
    def create_id(cause: str, channel: str, audience: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"pmc-message:{cause}:{channel}:{audience}")

    class Queued(Aggregate.Created):
        cause: str
        channel: str
        audience: str
        subject_id: UUID
        sealed: str
        # A convocation's (absent from messages queued before): the
        # reservation and the exam it is for, so that its sending is told.
        reservation_id: UUID | None = None
        exam_starts_at: datetime | None = None

    @event(Queued)
    def __init__(
        self,
        cause: str,
        channel: str,
        audience: str,
        subject_id: UUID,
        sealed: str,
        reservation_id: UUID | None = None,
        exam_starts_at: datetime | None = None,
    ) -> None:
        self.cause = cause
        self.channel = channel
        self.audience = audience
        self.subject_id = subject_id
        self.sealed = sealed
        self.reservation_id = reservation_id
        self.exam_starts_at = exam_starts_at
        self.sent_at: datetime | None = None
        self.failure: str | None = None

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None and self.failure is None

    class Sent(Aggregate.Event):
        sent_at: datetime

    class ConvocationSent(Aggregate.Event):
        """A convocation sent: carries what `ConvocationSent` publishes, so
        that the relay builds it from this event alone."""

        sent_at: datetime
        reservation_id: UUID
        channel: str
        exam_starts_at: datetime

    def mark_sent(self, at: datetime) -> None:
        if not self.is_pending:
            raise MessageStateError(f"message {self.id} is no longer pending")
        if self.reservation_id is None or self.exam_starts_at is None:
            self._sent(sent_at=at)
        else:
            self.trigger_event(
                self.ConvocationSent,
                sent_at=at,
                reservation_id=self.reservation_id,
                channel=self.channel,
                exam_starts_at=self.exam_starts_at,
            )

    @event(Sent)
    def _sent(self, sent_at: datetime) -> None:
        self.sent_at = sent_at

    @event(ConvocationSent)
    def _convocation_sent(self, sent_at: datetime) -> None:
        self.sent_at = sent_at

    class Abandoned(Aggregate.Event):
        reason: str

    def abandon(self, reason: str) -> None:
        if not self.is_pending:
            raise MessageStateError(f"message {self.id} is no longer pending")
        self._abandoned(reason=reason)

    @event(Abandoned)
    def _abandoned(self, reason: str) -> None:
        self.failure = reason


class AccountMessage(Message):
    """A message about a person's own account: sent in the account lane.

    A subclass only for its event topic (`AccountMessage.Queued`): its id,
    content and life are a `Message`'s."""


@dataclass(frozen=True)
class ConvocationOf:
    """What makes a message a convocation: its reservation and exam."""

    reservation_id: UUID
    exam_starts_at: datetime


def new_message(
    cause: str,
    channel: str,
    audience: str,
    subject_id: UUID,
    sealed: str,
    convocation: ConvocationOf | None = None,
) -> Message:
    """The message `cause` queues, in the lane its audience calls for."""
    kind = AccountMessage if audience == ACCOUNT else Message
    return kind(
        cause=cause,
        channel=channel,
        audience=audience,
        subject_id=subject_id,
        sealed=sealed,
        reservation_id=convocation and convocation.reservation_id,
        exam_starts_at=convocation and convocation.exam_starts_at,
    )
