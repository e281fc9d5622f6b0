"""Integration events: the versioned contracts between services.

A producer dumps with the contract, a consumer loads with it; the routing key on
the bus is `event_type`, the version travels in a header. Consumers read
tolerantly (unknown fields are ignored), so adding a field is compatible; any
other change is a new version. tests/contracts proves every producer's output
loads in every consumer.
"""

from __future__ import annotations

from services.common.contracts.base import SEALED, Contract, Dumper, dumper
from services.common.contracts.billing import (
    DebitReturned,
    PaymentCaptured,
    RefundIssued,
    RefundWithheld,
)
from services.common.contracts.booking import (
    HoldCancelled,
    ReminderDue,
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
    SeatOffered,
    SlotReleased,
    SlotReserved,
    WaitingEntryDropped,
)
from services.common.contracts.candidates import (
    CandidateActivated,
    CandidateActivationRequested,
    CandidateArchived,
    CandidateCreated,
    CandidateErased,
    CandidateExpired,
    CandidateRefused,
    EmailValidated,
)
from services.common.contracts.identity import (
    AccountActivationRequested,
    CandidateAccountCodeRequested,
    DigitalIdentityNotice,
    PasswordResetRequested,
    SessionEnded,
    SessionsRevoked,
    SignInFailuresReported,
)
from services.common.contracts.notifier import ConvocationSent
from services.common.contracts.results import ResultPublished
from services.common.contracts.scheduling import (
    SessionCancelled,
    SessionScheduled,
)

__all__ = [
    "ALL",
    "SEALED",
    "AccountActivationRequested",
    "CandidateAccountCodeRequested",
    "CandidateActivated",
    "CandidateActivationRequested",
    "CandidateArchived",
    "CandidateCreated",
    "CandidateErased",
    "CandidateExpired",
    "CandidateRefused",
    "Contract",
    "ConvocationSent",
    "DebitReturned",
    "DigitalIdentityNotice",
    "Dumper",
    "EmailValidated",
    "HoldCancelled",
    "PasswordResetRequested",
    "PaymentCaptured",
    "RefundIssued",
    "RefundWithheld",
    "ReminderDue",
    "ReservationCancelled",
    "ReservationChanged",
    "ReservationConfirmed",
    "ResultPublished",
    "SeatOffered",
    "SessionCancelled",
    "SessionEnded",
    "SessionScheduled",
    "SessionsRevoked",
    "SignInFailuresReported",
    "SlotReleased",
    "SlotReserved",
    "WaitingEntryDropped",
    "by_event_type",
    "dumper",
]

ALL: tuple[type[Contract], ...] = (
    CandidateCreated,
    CandidateActivationRequested,
    CandidateActivated,
    CandidateArchived,
    EmailValidated,
    CandidateRefused,
    CandidateExpired,
    CandidateErased,
    AccountActivationRequested,
    PasswordResetRequested,
    CandidateAccountCodeRequested,
    DigitalIdentityNotice,
    SignInFailuresReported,
    SessionsRevoked,
    SessionEnded,
    SessionScheduled,
    SessionCancelled,
    SlotReserved,
    SlotReleased,
    PaymentCaptured,
    DebitReturned,
    ReservationConfirmed,
    ReservationCancelled,
    ReservationChanged,
    SeatOffered,
    WaitingEntryDropped,
    HoldCancelled,
    ReminderDue,
    RefundIssued,
    RefundWithheld,
    ConvocationSent,
    ResultPublished,
)


def by_event_type(event_type: str) -> type[Contract]:
    for contract in ALL:
        if contract.event_type == event_type:
            return contract
    raise KeyError(event_type)
