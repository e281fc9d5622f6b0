"""Refunds of SEPA-paid reservations on the real PostgreSQL (BI-4): credited
once like a card payment, paid back by credit transfer in one pain.001 file,
valid against its schema, once the debit is collected; never when the bank
returned the debit."""

from __future__ import annotations

import random
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from services.billing.application import BillingApplication
from services.billing.credit_notes import credit_note_number
from services.billing.domain import CreditNoteSequence, Refund
from services.billing.invoices import PARIS, invoice_number
from services.billing.projections import READ_MODELS
from services.billing.provider import APPROVED_TOKEN, SimulatedCardProvider
from services.billing.sepa import REFUND_AFTER_DAYS
from services.billing.transfers import NothingToTransfer, RefundTransfer
from services.common.clock import FrozenClock
from tests.billing.test_checkout import SEPA, cart
from tests.billing.test_debit_returns import _e2e
from tests.billing.test_refunds import _cancelled
from tests.helpers import one_line, pdf_text
from tests.sepa_files import Return, pain002, transfers


@pytest.fixture
def billing(settings):
    app = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    # A day of its own, far from the other tests' (the files are the day's).
    app.clock = FrozenClock(
        datetime(2031, 1, 1, 10, tzinfo=UTC) + timedelta(days=random.randrange(3000))
    )
    followers = {name: model.follower(app) for name, model in READ_MODELS.items()}
    for name, follower in followers.items():
        app.views[name] = follower.view
    app.catch_up = lambda: [f.run_until_caught_up() for f in followers.values()]
    yield app
    for follower in followers.values():
        follower.release()
    app.close()


def _today(billing) -> date:
    return billing.clock.now().astimezone(PARIS).date()


def _paid_by_sepa(billing, seats: int = 2) -> tuple[str, dict]:
    school = f"ecole-{secrets.token_hex(3)}"
    paid = billing.pay_by_sepa(school, f"cle-{secrets.token_hex(4)}", cart(seats), SEPA)
    return school, paid


def _refunded(billing, school: str, paid: dict, line: int = 0) -> Refund:
    refund_id = billing.on_reservation_cancelled(_cancelled(paid, school, line))
    billing.catch_up()
    return billing.repository.get(UUID(refund_id))


def _transfers(xml: bytes) -> dict[str, tuple[str, str, str]]:
    """Each transfer of a valid pain.001 by end-to-end id."""
    return {one[0]: one[1:] for one in transfers(xml)}


def _note(refund: Refund) -> str:
    return credit_note_number(refund.credit_note_number, refund.refunded_at)


def test_a_sepa_refund_is_credited_once_and_paid_back_once_due(billing):
    school, paid = _paid_by_sepa(billing)
    checkout = billing.repository.get(UUID(paid["id"]))
    # A card payment's refund first: SEPA's credit note takes the next number.
    card_school = f"ecole-{secrets.token_hex(3)}"
    card = billing.pay_by_card(card_school, "cle", cart(1), APPROVED_TOKEN)
    card_refund = _refunded(billing, card_school, card)
    refund = _refunded(billing, school, paid)
    # Redelivered under another position: the same refund, nothing more.
    again = billing.on_reservation_cancelled(_cancelled(paid, school))
    assert again == str(refund.id) and billing.repository.get(refund.id).version == 1
    assert refund.method == "sepa" and refund.amount_cents == 3000
    # The same gapless sequence as card refunds' credit notes.
    assert refund.credit_note_number == card_refund.credit_note_number + 1
    sequence = billing.repository.get(CreditNoteSequence.create_id())
    assert sequence.last == refund.credit_note_number
    text = one_line(
        pdf_text(billing.credit_note_pdf(school, UUID(paid["reservation_ids"][0])))
    )
    assert f"Facture d'avoir n° {_note(refund)}" in text and "30,00 €" in text

    # Not before the debit is collected and past its return period.
    with pytest.raises(NothingToTransfer):
        billing.sepa_transfers(_today(billing))
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    report = billing.sepa_transfers(_today(billing))
    transfers = _transfers(report.xml)  # valid against pain.001.001.03
    invoice = invoice_number(checkout.invoice_number, checkout.paid_at)
    assert transfers[_note(refund).replace("-", "")] == (
        "30.00",
        "FR1420041010050500013M02606",
        f"Passer mon code, avoir {_note(refund)} (facture {invoice})",
    )
    # The IBAN stays sealed: never in the refund's nor the file's events.
    for aggregate in (refund.id, RefundTransfer.create_id(refund.id)):
        for stored in billing.aggregate_history(aggregate):
            assert "FR1420041010050500013M02606" not in repr(stored.__dict__)

    # The same day again: the same file, byte for byte.
    assert billing.sepa_transfers(_today(billing)).xml == report.xml
    # The next day: not a second time.
    billing.clock.advance(timedelta(days=1))
    billing.catch_up()
    try:
        later = _transfers(billing.sepa_transfers(_today(billing)).xml)
    except NothingToTransfer:
        later = {}
    assert _note(refund).replace("-", "") not in later


def test_a_file_holds_each_refund_due_with_exact_amounts(billing):
    school, paid = _paid_by_sepa(billing, seats=3)
    first = _refunded(billing, school, paid, 0)
    second = _refunded(billing, school, paid, 1)
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    report = billing.sepa_transfers(_today(billing))
    transfers = _transfers(report.xml)
    for refund in (first, second):
        assert transfers[_note(refund).replace("-", "")][0] == "30.00"
    assert re.search(rb"<MsgId>PMC-VIR-\d{8}</MsgId>", report.xml)


def test_a_debit_returned_before_the_file_is_never_paid_back(billing):
    school, paid = _paid_by_sepa(billing)
    refund = _refunded(billing, school, paid)
    checkout = billing.repository.get(UUID(paid["id"]))
    billing.import_returns(pain002([Return(_e2e(checkout), "AM04")]))
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    try:
        report = billing.sepa_transfers(_today(billing))
        transfers, withheld = _transfers(report.xml), report.withheld
    except NothingToTransfer as nothing:
        transfers, withheld = {}, nothing.withheld
    assert _note(refund).replace("-", "") not in transfers
    assert (_note(refund), "prélèvement impayé (provision insuffisante (AM04))") in (
        withheld
    )


def test_a_debit_returned_before_the_cancellation_is_not_refunded(billing):
    school, paid = _paid_by_sepa(billing)
    billing.catch_up()
    checkout = billing.repository.get(UUID(paid["id"]))
    billing.import_returns(pain002([Return(_e2e(checkout), "MS02")]))
    assert billing.on_reservation_cancelled(_cancelled(paid, school)) is None
    assert not billing._exists(Refund.create_id(paid["reservation_ids"][0]))


def test_a_day_to_come_is_refused(billing):
    tomorrow = _today(billing) + timedelta(days=1)
    with pytest.raises(Exception, match="est à venir"):
        billing.sepa_transfers(tomorrow)


def test_card_refunds_never_go_in_a_transfer_file(billing):
    school = f"ecole-{secrets.token_hex(3)}"
    paid = billing.pay_by_card(school, "cle", cart(1), APPROVED_TOKEN)
    refund = _refunded(billing, school, paid)
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    assert refund.id not in billing.views["sepa_refunds"].unfiled(_today(billing))


def test_a_debit_returned_after_its_refund_was_transferred_is_reported(billing):
    """The money went out in a file already: the return's report says so, for
    the back office to claim it with the unpaid debit."""
    school, paid = _paid_by_sepa(billing)
    refund = _refunded(billing, school, paid)
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    billing.sepa_transfers(_today(billing))
    checkout = billing.repository.get(UUID(paid["id"]))
    report = billing.import_returns(pain002([Return(_e2e(checkout), "MD06")]))
    (line,) = report["lines"]
    assert line["outcome"] == "appliqué"
    assert f"déjà remboursé par virement (avoir {_note(refund)})" in line["detail"]


def test_a_debit_returned_while_the_file_is_written_is_not_in_it(billing, settings):
    """The return lands between the file's reading and its save (another
    process): the save fails its version check, and the refund is withheld."""
    school, paid = _paid_by_sepa(billing)
    refund = _refunded(billing, school, paid)
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    checkout = billing.repository.get(UUID(paid["id"]))
    other = BillingApplication(settings=settings, provider=SimulatedCardProvider())
    other.views["payment_list"] = billing.views["payment_list"]
    read = billing._due

    def due_then_returned(day):
        found = read(day)
        other.import_returns(pain002([Return(_e2e(checkout), "AM04")]))
        billing._due = read  # the retry reads again, undisturbed
        return found

    billing._due = due_then_returned
    try:
        try:
            report = billing.sepa_transfers(_today(billing))
            sent, withheld = _transfers(report.xml), report.withheld
        except NothingToTransfer as nothing:
            sent, withheld = {}, nothing.withheld
    finally:
        other.close()
    assert _note(refund).replace("-", "") not in sent
    assert _note(refund) in [note for note, _ in withheld]


def _withheld_events(billing, refund_id: UUID) -> list[Refund.Withheld]:
    return [
        e
        for e in billing.repository.event_store.get(refund_id)
        if isinstance(e, Refund.Withheld)
    ]


def test_a_debit_returned_before_its_refund_was_transferred_withholds_it_once(billing):
    """The school is told (`RefundWithheld`) once: a second import of the
    return, and the transfer files after it, withhold nothing again."""
    school, paid = _paid_by_sepa(billing)
    refund = _refunded(billing, school, paid)
    checkout = billing.repository.get(UUID(paid["id"]))
    returned = pain002([Return(_e2e(checkout), "AM04")])
    billing.import_returns(returned)
    (withheld,) = _withheld_events(billing, refund.id)
    assert (withheld.reason_code, withheld.reason) == ("AM04", "provision insuffisante")
    assert (withheld.checkout_id, withheld.amount_cents) == (checkout.id, 3000)
    billing.import_returns(returned)
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    with pytest.raises(NothingToTransfer) as nothing:
        billing.sepa_transfers(_today(billing))
    assert _note(refund) in [note for note, _ in nothing.value.withheld]
    assert len(_withheld_events(billing, refund.id)) == 1


def test_a_refund_recorded_after_its_debit_came_back_is_withheld_by_the_file(
    billing,
):
    """A cancellation crossing the return (read the payment before the return
    was saved) is recorded after it: the return could not withhold it, the
    next transfer file does, once, with the bank's reason."""
    school, paid = _paid_by_sepa(billing)
    before = billing.repository.get(UUID(paid["id"]))
    billing.catch_up()  # the return is matched through the payment list
    report = billing.import_returns(pain002([Return(_e2e(before), "AC04")]))
    assert [line["outcome"] for line in report["lines"]] == ["appliqué"]
    billing._refundable = lambda payload: before  # read before the return
    refund = _refunded(billing, school, paid)
    assert _withheld_events(billing, refund.id) == []
    billing.clock.advance(timedelta(days=REFUND_AFTER_DAYS))
    for _ in range(2):
        with pytest.raises(NothingToTransfer):
            billing.sepa_transfers(_today(billing))
    (withheld,) = _withheld_events(billing, refund.id)
    assert (withheld.reason_code, withheld.reason) == ("AC04", "compte clôturé")
