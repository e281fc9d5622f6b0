"""`pmc timeline`'s pure parts: the ids an event names, how they are looked
for in a stored state, which events a hop keeps, and the lines shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, UUIDAsHex

from pmc.timeline import (
    Entry,
    as_uuid,
    correlation_pattern,
    entry,
    followed_ids,
    json_line,
    line,
    named_ids,
    of_story,
    ordered,
    search_patterns,
)
from services.common.store import CORRELATION_KEY

AT = datetime(2026, 6, 1, 10, 0, 0, 123_000, tzinfo=UTC)


def _entry(aggregate_type="Checkout", at=AT, position=1, names=None, **fields):
    return Entry(
        service="billing",
        position=position,
        aggregate_type=aggregate_type,
        aggregate_id=uuid4(),
        version=1,
        event_type="Started",
        at=at,
        correlation_id="c0ffee00-0000-4000-8000-000000000000",
        fields=fields,
        names=names or {},
    )


def test_ids_are_named_as_uuids_texts_and_lists_and_nothing_else():
    one, two, three = uuid4(), uuid4(), uuid4()
    fields = {
        "checkout_id": one,
        "reservation_ids": [str(two), str(three)],
        "school_id": "not-an-id",
        "digest": one.hex,  # 32 hex digits: a digest's spelling, not an id's
        "amount_cents": 3000,
    }
    assert named_ids(fields) == {"checkout_id": {one}, "reservation_ids": {two, three}}
    assert as_uuid(str(one).upper()) == one
    assert as_uuid("x" * 36) is None


def test_an_id_is_found_in_a_stored_state_in_both_spellings():
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    wanted = uuid4()
    as_field = transcoder.encode({"checkout_id": wanted})
    as_text = transcoder.encode({"reservation_ids": [str(wanted)]})
    patterns = search_patterns({wanted})
    assert any(p in as_field for p in patterns)
    assert any(p in as_text for p in patterns)
    assert not any(p in transcoder.encode({"checkout_id": uuid4()}) for p in patterns)


def test_a_correlation_id_is_found_as_the_store_writes_it():
    state = JSONTranscoder().encode({"a": 1, CORRELATION_KEY: "req-12345678"})
    assert correlation_pattern("req-12345678") in state
    assert correlation_pattern("req-1234567") not in state


def test_an_event_becomes_an_entry_without_its_personal_data():
    event = SimpleNamespace(
        originator_id=uuid4(),
        originator_version=2,
        timestamp=AT,
        checkout_id=uuid4(),
        personal="c2VhbGVk",
        buyer={"name": "Dupont"},
        birth_date=AT.date(),
        amount_cents=3000,
        credit_note_number="A2026-000001",
        cancelled_by="auto-école",
    )
    found = entry("booking", 7, event, "corr-1234")
    assert found.aggregate_type == "SimpleNamespace"
    assert found.fields == {
        "checkout_id": str(event.checkout_id),
        "amount_cents": 3000,
        "credit_note_number": "A2026-000001",
        "cancelled_by": "auto-école",
    }
    assert found.names == {"checkout_id": {event.checkout_id}}


def test_the_hop_follows_the_subjects_own_fields():
    checkout, candidate = uuid4(), uuid4()
    held = _entry(names={"checkout_id": {checkout}, "candidate_id": {candidate}})
    assert followed_ids([held], "reservation") == {checkout}
    assert followed_ids([held], "candidate") == {checkout}
    assert followed_ids([held], "checkout") == set()


def test_a_hop_leaves_out_other_reservations():
    mine, other = uuid4(), uuid4()
    assert of_story(_entry(names={"reservation_id": {mine}}), {mine})
    assert not of_story(_entry(names={"reservation_id": {other}}), {mine})
    assert of_story(_entry(names={"reservation_ids": {mine, other}}), {mine})
    assert of_story(_entry("InvoiceSequence"), {mine})  # names no reservation
    reservation = _entry("Reservation")
    assert not of_story(reservation, {mine})
    assert of_story(reservation, {reservation.aggregate_id})


def test_lines_are_in_time_order_in_paris_with_a_few_safe_fields():
    late = _entry(at=AT.replace(hour=11), position=1)
    early = _entry(at=AT, position=2, amount_cents=3000, status="payé", lines=[1])
    assert ordered([late, early]) == [early, late]
    shown = line(early)
    assert shown.startswith("01/06/2026 12:00:00.123  billing")
    assert f"Checkout {str(early.aggregate_id)[:8]}" in shown
    assert "corr c0ffee00" in shown
    assert shown.endswith("status=payé amount_cents=3000")
    as_json = json.loads(json_line(early))
    assert as_json["at"] == AT.isoformat()
    assert as_json["aggregate_id"] == str(early.aggregate_id)
    assert as_json["fields"]["amount_cents"] == 3000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--reservation", "１" * 32], "Identifiant de réservation invalide"),
        (["--checkout", "pas-un-id"], "Identifiant de paiement invalide"),
        (["--candidate", str(uuid4()) + "\x00"], "Identifiant de candidat invalide"),
    ],
)
def test_a_malformed_id_is_refused_before_any_log_is_read(argv, message, capsys):
    from pmc.cli import main

    assert main(["timeline", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.out == ""
