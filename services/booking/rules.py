"""The rules and wording of holding a seat (BO-1…BO-5): a reservation's
statuses, who acts on it, the refusals, one school's limits, and the window in
which a session can be booked. Pure: no store, no clock of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Pure date arithmetic, shared with scheduling's search window.
from services.common.calendar import bookable_days

PARIS = ZoneInfo("Europe/Paris")
HOLD_DURATION = timedelta(minutes=30)

IN_CART = "dans le panier"
REMOVED = "retirée du panier"
EXPIRED = "expirée"
MOVED = "créneau modifié"
# CONFIRMED = "confirmée", imported from deadlines.py: only it can change.
# Paid by a SEPA debit the bank gave back: the seat is freed, the
# convocation void.
CANCELLED_UNPAID = "annulée (prélèvement impayé)"
# Cancelled by its school before the deadline (BO-7): refunded.
CANCELLED = "annulée"
# Unpaid, in a session the operator cancelled (SC-2): out of the cart.
SESSION_CANCELLED = "session annulée"
# Who acted, as the history shows it (BO-8).
BY_SCHOOL = "auto-école"
# The operator, cancelling the whole session (SC-2).
BY_OPERATOR = "centre d'examen"
# A payment that came after its line had left the cart: the platform gives
# it back (`ReservationCancelled` with no seat to free).
BY_PLATFORM = "plateforme"
PAID_AFTER_RELEASE = "payée après la libération de la place"
LEFT_THE_CART = (EXPIRED, REMOVED, MOVED)
CARD = "carte"
SEPA = "sepa"
# How billing can refund a cancelled seat: to the card, or by SEPA transfer to
# the account the debit was taken from.
REFUNDABLE_ONLINE = (CARD, SEPA)

SAME_SLOT = "La réservation est déjà sur ce créneau : choisissez une autre session."

ALREADY_BOOKED = "Ce candidat a déjà une place réservée pour un examen à venir."
NOT_BOOKABLE = "Aucun dossier activé ne correspond à ce NEPH dans votre auto-école."


class BookingError(ValueError):
    """A booking rule says no."""


class AlreadyBooked(BookingError):
    """The candidate already holds an upcoming seat (BO-2)."""


class SessionFull(BookingError):
    """No free seat left (SC-4)."""


class HoldLimitReached(BookingError):
    """One more seat would pass a cap on what one school holds (issue 12)."""


@dataclass(frozen=True)
class HoldLimits:
    """What one school may hold (settings `PMC_HOLDS_*`): unpaid lines in its
    cart at once, and a share of one session's seats (held or paid), so that
    no school takes a whole session's seats and re-holds them unpaid."""

    per_school: int
    session_percent: int

    def in_session(self, seats: int) -> int:
        """The seats of a session of `seats` one school may have: its share,
        rounded up, and at least one."""
        return max(1, -(-seats * self.session_percent // 100))


def cart_full(cap: int) -> HoldLimitReached:
    return HoldLimitReached(
        f"Votre panier compte déjà {cap} réservations non payées, le maximum "
        "permis à une auto-école : payez-les ou retirez-en avant d'en ajouter."
    )


def session_share_reached(cap: int, seats: int) -> HoldLimitReached:
    return HoldLimitReached(
        f"Votre auto-école a déjà {cap} des {seats} places de cette session, le "
        "maximum permis à une auto-école : choisissez un autre créneau."
    )


class CandidateNotBookable(LookupError):
    """No activated file of this school for this NEPH (BO-1)."""

    def __init__(self) -> None:
        super().__init__(NOT_BOOKABLE)


def check_bookable(exam_starts_at: datetime, now: datetime) -> None:
    """BO-2: from 3 months ahead until midnight (Paris) the day before."""
    first, last = bookable_days(now.astimezone(PARIS).date())
    exam_day = exam_starts_at.astimezone(PARIS).date()
    if exam_day < first:
        raise BookingError(
            "Les réservations ferment à minuit la veille de l'examen : "
            "choisissez une date à partir de demain."
        )
    if exam_day > last:
        raise BookingError(
            "Les sessions ne sont ouvertes à la réservation que 3 mois à l'avance."
        )


# A write that met another one on the same reservation, past its retries.
CHANGED_MEANWHILE = "Cette réservation vient d'être modifiée : réessayez."
