"""One reservation's history (BO-8): every step, in order, with its time and
who did it, replayed from the reservation's own events: booking's (held,
paid, changed, cancelled) and those other services report to it (refunded,
convocation sent: services/booking/reported_steps.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from services.booking.domain import Reservation
from services.booking.rules import (
    BY_OPERATOR,
    BY_SCHOOL,
    EXPIRED,
    PARIS,
    SESSION_CANCELLED,
)
from services.common.documents import euros

SYSTEM = "plateforme"
BANK = "banque"

# How a convocation travelled (the notifier's channels), as the school reads it.
CHANNELS = {"email": "par e-mail", "courrier": "par courrier"}
# Where the money goes back: the card paid with, or the account debited.
METHODS = {"carte": "sur la carte"}

Step = tuple[datetime, str, str]


def _at(moment: datetime) -> str:
    return f"{moment.astimezone(PARIS):%d/%m/%Y à %H h %M}"


_HOLD = "Place réservée, dans le panier"


def _held(e: Reservation.Held) -> Step:
    return e.timestamp, _HOLD, BY_SCHOOL


def _released(e: Reservation.Released) -> Step:
    by = {EXPIRED: SYSTEM, SESSION_CANCELLED: BY_OPERATOR}.get(e.reason, BY_SCHOOL)
    return e.released_at, f"Place libérée : {e.reason}", by


def _confirmed(e: Reservation.Confirmed) -> Step:
    return e.confirmed_at, "Payée : réservation confirmée", BY_SCHOOL


def _cancelled_unpaid(e: Reservation.CancelledUnpaid) -> Step:
    return e.cancelled_at, f"Annulée, prélèvement impayé : {e.reason}", BANK


def _changed(e: Reservation.Changed) -> Step:
    step = (
        f"Créneau modifié : du {_at(e.previous_exam_starts_at)} "
        f"({e.previous_centre_name}) au {_at(e.exam_starts_at)} ({e.centre_name})"
    )
    return e.changed_at, step, e.changed_by


def _cancelled(e: Reservation.Cancelled) -> Step:
    # Its refund, when billing makes it, is a step of its own.
    return e.cancelled_at, "Annulée, place libérée", e.cancelled_by


def _refunded(e: Reservation.Refunded) -> Step:
    if e.method == "sepa":
        # Credited now, transferred later: only once the debit is collected.
        how = "à virer sur le compte prélevé une fois le prélèvement encaissé"
        step = f"Remboursement de {euros(e.amount_cents)} {how}"
    else:
        how = METHODS.get(e.method, f"({e.method})")
        step = f"Remboursée : {euros(e.amount_cents)} {how}"
    step = f"{step}, facture d'avoir n° {e.credit_note_number}"
    return e.refunded_at, step, e.refunded_by


def _convocation_sent(e: Reservation.ConvocationSent) -> Step:
    how = CHANNELS.get(e.channel, f"par {e.channel}")
    step = f"Convocation envoyée {how} (examen du {_at(e.exam_starts_at)})"
    return e.sent_at, step, e.sent_by


STEPS: dict[type, Callable[[Any], Step]] = {
    Reservation.Held: _held,
    Reservation.Released: _released,
    Reservation.Confirmed: _confirmed,
    Reservation.CancelledUnpaid: _cancelled_unpaid,
    Reservation.Changed: _changed,
    Reservation.Cancelled: _cancelled,
    Reservation.Refunded: _refunded,
    Reservation.ConvocationSent: _convocation_sent,
}


def history(events: Iterable[Any]) -> list[dict[str, str]]:
    """The steps of a reservation's stored events, oldest first; events that
    say nothing to the school (none yet) are left out.

    In the order they happened: a step another service reports is recorded
    when its message arrives, possibly after a later step of booking's own
    (a convocation sent just before a change, told just after it). The
    hold, stamped by the store rather than the platform's clock (which tests
    move), comes first as it was. Sorting is stable: same instant, stored
    order."""
    steps = sorted(
        (STEPS[type(e)](e) for e in events if type(e) in STEPS),
        key=lambda step: (step[1] != _HOLD, step[0]),
    )
    return [{"at": at.isoformat(), "step": step, "by": by} for at, step, by in steps]
