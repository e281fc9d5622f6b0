"""One reservation's story across services against the real stack (OP-1):
held, paid, changed, cancelled and refunded through the gateway, then `pmc
timeline` lists in order the events of booking, billing, notifier and results
that concern it, each request's events under its one correlation id; from the
payment's end and the candidate's, the same story; no personal data shown."""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID, uuid4

import pytest

from services.booking.application import BookingApplication
from tests.e2e.test_cancellation_api import _cancel, _paid_session
from tests.e2e.test_change_of_slot import _change, _other_session
from tests.e2e.test_reservation_history import _kinds
from tests.helpers import wait_for

FIRST = 7800  # the candidates' NEPH range, as `first=` below (unique in tests/e2e)


@pytest.fixture(scope="module")
def booking(settings):
    app = BookingApplication(settings=settings)
    yield app
    app.close()


def _shown(pmc, story: dict) -> dict[str, dict[str, str]]:
    """Each subject's timeline, as text and as JSON lines: run once each."""
    shown: dict[str, dict[str, str]] = {}
    for subject in ("reservation", "checkout", "candidate"):
        shown[subject] = {}
        for form, extra in (("text", ()), ("json", ("--json",))):
            done = pmc("timeline", f"--{subject}", story[subject], *extra)
            assert done.returncode == 0, done.stderr
            shown[subject][form] = done.stdout
    return shown


def _rows(shown: dict[str, dict[str, str]], subject: str) -> list[dict]:
    return [json.loads(line) for line in shown[subject]["json"].splitlines()]


def _named(rows: list[dict]) -> list[tuple[str, str]]:
    return [(r["service"], f"{r['aggregate_type']}.{r['event_type']}") for r in rows]


def _of(rows: list[dict], service: str, kind: str) -> list[dict]:
    return [r for r in rows if _named([r]) == [(service, kind)]]


def _one(rows: list[dict], service: str, kind: str) -> dict:
    (row,) = _of(rows, service, kind)
    return row


def _in_order(rows: list[dict], wanted: list[tuple[str, str]]) -> bool:
    """Whether `wanted` appear in `rows` in this order (others between)."""
    named = iter(_named(rows))
    return all(any(n == w for n in named) for w in wanted)


def _story(gateway, school, scheduling, candidates, booking) -> dict:
    """A reservation held, paid, changed, cancelled and refunded."""
    paid = _paid_session(gateway, school, scheduling, candidates, first=7800)
    line = paid["lines"][0]
    wait_for(lambda: _kinds(gateway, school, line).count("convocation envoyée") == 1)
    changed = _change(gateway, school, line, _other_session(scheduling)["id"])
    assert changed.status_code == 200, changed.text
    wait_for(lambda: _kinds(gateway, school, line).count("convocation envoyée") == 2)
    cancelled = _cancel(gateway, school, line)
    assert cancelled.status_code == 200, cancelled.text
    wait_for(lambda: "remboursée" in _kinds(gateway, school, line), 30)
    reservation = booking.repository.get(UUID(line))
    return {
        "reservation": line,
        "other_line": paid["lines"][1],
        "checkout": str(reservation.checkout_id),
        "candidate": str(reservation.candidate_id),
        "school": school,
    }


def test_one_story_in_order_across_services_from_each_end(
    gateway, pmc, new_school, scheduling, candidates, booking
):
    story = _story(gateway, new_school(), scheduling, candidates, booking)
    shown = _shown(pmc, story)
    _the_reservations_story(shown, story)
    _the_same_story_from_the_payment_and_from_the_candidate(shown, story)
    _no_personal_data_shown(shown, story)


def _the_reservations_story(shown, story):
    line = story["reservation"]
    rows = _rows(shown, "reservation")
    times = [datetime.fromisoformat(r["at"]) for r in rows]
    assert times == sorted(times)
    assert {r["service"] for r in rows} >= {"booking", "billing", "notifier", "results"}
    assert _in_order(
        rows,
        [
            ("booking", "Reservation.Held"),
            ("billing", "Checkout.Started"),
            ("billing", "Checkout.Captured"),
            ("booking", "Reservation.Confirmed"),
            ("booking", "Reservation.Changed"),
            ("booking", "Reservation.Cancelled"),
            ("billing", "Refund.Issued"),
            ("booking", "Reservation.Refunded"),
        ],
    )
    assert _in_order(
        rows,
        [
            ("results", "ExamResult.Confirmed"),
            ("results", "ExamResult.Moved"),
            ("results", "ExamResult.Cancelled"),
        ],
    )
    # Billing: the payment with its invoice number, the refund with its credit note.
    assert _of(rows, "billing", "InvoiceSequence.NumberIssued")
    assert _of(rows, "billing", "CreditNoteSequence.NumberIssued")
    refund = _one(rows, "billing", "Refund.Issued")
    assert refund["fields"]["amount_cents"] == 3000
    # Notifier: two convocations queued and sent, and the cancellation e-mails.
    sent = _of(rows, "notifier", "Message.ConvocationSent")
    assert len([r for r in sent if r["fields"]["reservation_id"] == line]) == 2
    assert len(_of(rows, "booking", "Reservation.ConvocationSent")) == 2
    queued = _of(rows, "notifier", "Message.Queued")
    cancel = _one(rows, "booking", "Reservation.Cancelled")["correlation_id"]
    assert [r for r in queued if r["correlation_id"] == cancel]

    # One correlation id per request, on every service's events it caused.
    paid = _one(rows, "billing", "Checkout.Captured")["correlation_id"]
    assert paid is not None
    for service, kind in [
        ("billing", "Checkout.Started"),
        ("billing", "InvoiceSequence.NumberIssued"),
        ("booking", "Reservation.Confirmed"),
        ("results", "ExamResult.Confirmed"),
    ]:
        # Both lines of the cart, confirmed by the same payment.
        assert {r["correlation_id"] for r in _of(rows, service, kind)} == {paid}
    assert cancel not in (None, paid)
    for service, kind in [
        ("billing", "Refund.Issued"),
        ("billing", "CreditNoteSequence.NumberIssued"),
        ("booking", "Reservation.Refunded"),
        ("results", "ExamResult.Cancelled"),
    ]:
        assert _one(rows, service, kind)["correlation_id"] == cancel, kind
    changed = _one(rows, "booking", "Reservation.Changed")["correlation_id"]
    assert _one(rows, "results", "ExamResult.Moved")["correlation_id"] == changed
    assert changed not in (None, paid, cancel)
    # The cart's other line shows only through the payment both shared.
    other = story["other_line"]
    assert {
        r["correlation_id"]
        for r in rows
        if other in (r["aggregate_id"], r["fields"].get("reservation_id"))
    } == {paid}


def _the_same_story_from_the_payment_and_from_the_candidate(shown, story):
    mine = {(r["service"], r["position"]) for r in _rows(shown, "reservation")}
    for subject in ("checkout", "candidate"):
        seen = {(r["service"], r["position"]) for r in _rows(shown, subject)}
        assert mine <= seen, subject
    # The payment's story holds both lines: the other one's events too.
    assert {r["aggregate_id"] for r in _rows(shown, "checkout")} >= {
        story["reservation"],
        story["other_line"],
    }


def _no_personal_data_shown(shown, story):
    lines = shown["reservation"]["text"].splitlines()
    assert lines[0].startswith(f"Chronologie de la réservation {story['reservation']}")
    assert any("Reservation" in x and "Refunded" in x for x in lines)
    for subject, forms in shown.items():
        for text in forms.values():
            for personal in ("Siège", "Siege", f"2{FIRST:011d}", f"siege{FIRST}"):
                assert personal not in text, (subject, personal)
            assert story["school"]["email"] not in text


def test_a_malformed_id_is_refused_and_an_unknown_one_finds_nothing(pmc):
    malformed = pmc("timeline", "--reservation", "pas-un-id")
    assert malformed.returncode == 2
    assert "Identifiant de réservation invalide" in malformed.stderr
    assert malformed.stdout == ""
    unknown = pmc("timeline", "--checkout", str(uuid4()))
    assert unknown.returncode == 1
    assert "Aucun événement pour ce paiement" in unknown.stderr
    both = pmc("timeline", "--reservation", str(uuid4()), "--checkout", str(uuid4()))
    assert both.returncode == 2
