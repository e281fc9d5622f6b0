"""`pmc export-events` on the real PostgreSQL: seats held, paid and cancelled
through booking, a candidate's file created through candidates, exported to
Parquet and read with DuckDB as analysts would, running README.md's own
example queries; the candidate's NEPH, names and e-mail address appear
nowhere in the files; --from-position exports only later events."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.parquet as pq
import pytest
from eventsourcing.persistence import Tracking

from pmc import analyses, cli
from pmc.event_rows import SCHEMA, exported_fields
from pmc.export import export_log
from services.booking.application import BookingApplication
from services.booking.seats import BookableCandidate
from services.candidates.application import CandidatesApplication
from services.candidates.domain import NephClaim
from services.common.clock import FrozenClock
from tests.booking.test_seats import NOBODY, new_neph, school

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def booking(settings):
    # A school may take every seat of a session here (their caps are tested
    # in tests/booking/test_hold_limits.py).
    app = BookingApplication(
        settings=settings.model_copy(update={"holds_session_percent": 100})
    )
    app.clock = FrozenClock()
    yield app
    app.close()


def _session(app: BookingApplication, centre: str, days: int) -> UUID:
    """A session of `centre` `days` ahead, as scheduling publishes it."""
    session_id = uuid4()
    starts = (app.clock.now() + timedelta(days=days)).replace(hour=9, minute=0)
    app.session_scheduled(
        {
            "session_id": session_id,
            "centre_id": uuid4(),
            "centre_name": centre,
            "centre_address": "1 rue du Centre, 69007",
            "centre_city": "Lyon",
            "departement": "69",
            "kind": "collective",
            "starts_at": starts,
            "duration_minutes": 60,
            "seats": 10,
        }
    )
    return session_id


def _sold(app: BookingApplication, session_id: UUID, name: str = "Léa Martin"):
    """A seat held and paid by a school of its own for a candidate of its own;
    the school's id and the reservation's."""
    ecole, neph = school(), new_neph()
    app.candidate_activated(ecole, neph, uuid4(), name)
    line = app.hold(ecole, neph, session_id, NOBODY)
    app.on_payment_captured(
        SimpleNamespace(
            payload={
                "checkout_id": uuid4(),
                "school_id": ecole,
                "reservation_ids": [UUID(line["id"])],
                "amount_cents": 3000,
                "method": "carte",
            },
            tracking=Tracking("billing>test", random.getrandbits(40)),
        )
    )
    return ecole, UUID(line["id"])


def _export(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["export-events", *args, "--to", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def _last_position(out: str) -> int:
    return int(out.strip().splitlines()[-1].rpartition(" ")[2])


def _booking_view(folder: Path) -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute(analyses.BOOKING_VIEW.format(folder=folder))
    return db


def test_the_readme_quotes_the_queries_the_tests_run_and_every_column():
    readme = README.read_text(encoding="utf-8")
    assert analyses.BOOKING_VIEW.format(folder="export") in readme
    for query in analyses.QUERIES:
        assert query in readme
    for column in SCHEMA.names:
        assert f"| `{column}` |" in readme


def test_seats_sold_and_cancellations_answer_the_readme_queries(
    booking, tmp_path, capsys
):
    before = booking.recorder.max_notification_id() or 0
    soon, later = f"Centre Bron {uuid4()}", f"Centre Vénissieux {uuid4()}"
    in_ten_days = _session(booking, soon, days=10)
    in_twenty_days = _session(booking, later, days=20)
    in_forty_days = _session(booking, later, days=40)
    sold = [_sold(booking, in_ten_days) for _ in range(3)]
    sold += [_sold(booking, in_twenty_days) for _ in range(2)]
    sold += [_sold(booking, in_forty_days) for _ in range(2)]
    # Held and never paid: not sold.
    ecole, neph = school(), new_neph()
    booking.candidate_activated(ecole, neph, uuid4(), "Noé Petit")
    booking.hold(ecole, neph, in_ten_days, NOBODY)
    for ecole, reservation_id in (sold[0], sold[5]):
        booking.cancel(ecole, reservation_id)

    code, out, _ = _export(capsys, tmp_path, "booking", "--from-position", str(before))
    assert code == 0
    assert out.startswith("booking: ") and "events/s" in out
    db = _booking_view(tmp_path)
    this_week = datetime.now(ZoneInfo("Europe/Paris")).date()
    this_week -= timedelta(days=this_week.weekday())
    per_centre = db.sql(analyses.SEATS_SOLD_PER_CENTRE_AND_WEEK).fetchall()
    assert sorted(per_centre) == sorted([(soon, this_week, 3), (later, this_week, 4)])
    by_delay = db.sql(analyses.CANCELLATION_RATE_BY_DELAY_BEFORE_EXAM).fetchall()
    assert [(d, s, c, float(r)) for d, s, c, r in by_delay] == [
        ("0 à 14 jours", 3, 1, 33.3),
        ("15 à 29 jours", 2, 0, 0.0),
        ("30 jours et plus", 2, 1, 50.0),
    ]
    # A pseudonymised id (a candidate's bookable file, named after its NEPH)
    # is the same wherever it appears: its hold joins its activation.
    joined = db.sql(
        "SELECT count(*) FROM booking WHERE event_type = 'Reservation.Held'"
        " AND json_extract_string(data, '$.bookable_id') IN (SELECT aggregate_id"
        " FROM booking WHERE event_type = 'BookableCandidate.Activated')"
    ).fetchall()
    assert joined == [(len(sold) + 1,)]
    # Every position is after the one given, each once, in order.
    positions = [p for (p,) in db.sql("SELECT position FROM booking").fetchall()]
    assert positions == sorted(set(positions)) and positions[0] > before
    assert positions[-1] == _last_position(out)


def test_later_events_only_from_a_position(booking, tmp_path, capsys):
    session_id = _session(booking, f"Centre Givors {uuid4()}", days=12)
    ecole, reservation_id = _sold(booking, session_id)
    code, out, _ = _export(capsys, tmp_path / "first", "booking")
    assert code == 0
    first = _last_position(out)
    booking.cancel(ecole, reservation_id)

    code, out, _ = _export(
        capsys, tmp_path / "next", "booking", "--from-position", str(first)
    )
    assert code == 0
    rows = _booking_view(tmp_path / "next").sql(
        "SELECT event_type, aggregate_id, school_id, refund_cents FROM booking"
        " WHERE event_type LIKE 'Reservation.%'"
    )
    # The cancellation, not the hold or the payment exported before.
    assert rows.fetchall() == [
        ("Reservation.Cancelled", str(reservation_id), ecole, 3000)
    ]
    positions = _booking_view(tmp_path / "next").sql(
        "SELECT min(position) FROM booking"
    )
    assert positions.fetchall()[0][0] > first
    # The candidate's bookable file has the same pseudonym in both exports.
    bookable = "SELECT aggregate_id FROM booking WHERE event_type LIKE 'Bookable%'"
    freed = _booking_view(tmp_path / "next").sql(bookable).fetchall()
    assert freed and set(freed) <= set(
        _booking_view(tmp_path / "first").sql(bookable).fetchall()
    )


def test_no_neph_name_or_email_leaves_in_the_files(booking, settings, tmp_path, capsys):
    neph, birth_name, given_names = new_neph(), f"Zorglub{uuid4().hex[:8]}", "Ysolde"
    email = f"{birth_name.lower()}@example.fr"
    candidates = CandidatesApplication(settings=settings)
    try:
        before = candidates.recorder.max_notification_id() or 0
        candidates.create_file(
            "ecole-export",
            "secretariat@ecole-export.fr",
            {
                "neph": neph,
                "civility": "MME",
                "birth_name": birth_name,
                "usage_name": "",
                "given_names": given_names,
                "birth_date": "14/03/2008",
                "email": email,
            },
        )
    finally:
        candidates.close()
    # Booking hears of the same candidate, under the same NEPH and name.
    ecole = school()
    booking.candidate_activated(ecole, neph, uuid4(), f"{given_names} {birth_name}")
    booking_before = booking.recorder.max_notification_id() - 1

    for name, after in (("candidates", before), ("booking", booking_before)):
        code, _, _ = _export(capsys, tmp_path, name, "--from-position", str(after))
        assert code == 0
    for name in ("candidates", "booking"):
        path = tmp_path / f"{name}.parquet"
        table = pq.read_table(path)
        assert table.num_rows >= 1
        # Compressed bytes could hide a text: the decoded values are searched too.
        everything = str(table.to_pylist()).lower()
        for personal in (neph, birth_name, given_names, email, "2008-03-14"):
            assert personal.lower().encode() not in path.read_bytes().lower()
            assert personal.lower() not in everything
        # Nor the ids anyone knowing the NEPH could compute, which would lead
        # to the candidate's id (and its seats, its results).
        for derived in (
            NephClaim.create_id(neph),
            BookableCandidate.create_id(ecole, neph),
        ):
            assert str(derived) not in everything
    # What analysts do get of the file: its school and its pseudonymous id.
    created = duckdb.sql(
        f"SELECT school_id, data FROM '{tmp_path / 'candidates.parquet'}'"
        " WHERE event_type = 'CandidateFile.Created'"
    ).fetchall()
    assert [school_id for school_id, _ in created] == ["ecole-export"]
    assert '"file_id"' in created[0][1] and "neph" not in created[0][1]


def test_an_unknown_service_is_refused_and_nothing_written(tmp_path, capsys):
    code, _, err = _export(capsys, tmp_path / "out", "booking", "reservations")
    assert code == 2
    assert "unknown service: reservations (known: identity, candidates" in err
    assert not (tmp_path / "out").exists()
    code, _, err = _export(
        capsys, tmp_path / "out", "booking", "billing", "--from-position", "5"
    )
    assert code == 2
    assert "--from-position goes with one service" in err
    assert not (tmp_path / "out").exists()


def test_nothing_new_gives_a_valid_empty_file(booking, tmp_path, capsys):
    last = booking.recorder.max_notification_id() or 0
    code, out, _ = _export(capsys, tmp_path, "booking", "--from-position", str(last))
    assert code == 0
    assert f"booking: 0 events to {tmp_path / 'booking.parquet'}" in out
    # The documented columns, times in UTC, and no rows.
    assert pq.read_schema(tmp_path / "booking.parquet").equals(SCHEMA)
    counted = _booking_view(tmp_path).sql("SELECT count(*) FROM booking").fetchall()
    assert counted == [(0,)]
    assert not list(tmp_path.glob("*.partial"))


def test_a_failed_export_leaves_no_file(booking, tmp_path, monkeypatch):
    _session(booking, f"Centre Rillieux {uuid4()}", days=11)

    def undecodable(notification):
        raise ValueError("an event this version cannot read")

    monkeypatch.setattr(booking.mapper, "to_domain_event", undecodable)
    with pytest.raises(ValueError):
        export_log(booking, tmp_path / "booking.parquet")
    assert list(tmp_path.iterdir()) == []


def test_only_ids_numbers_times_and_named_texts_leave():
    given = {
        "school_id": "ecole-a",
        "neph": "123456789012",
        "digest": "9f86d081884c7d659a2feaa0c55ad015",
        "personal": "c2VhbGVk",
        "reservation_id": "6a0b3c9e-64a4-4d59-9d52-4b5d8d0f3c1e",
        "reservation_ids": ["6a0b3c9e-64a4-4d59-9d52-4b5d8d0f3c1e"],
        "names": ["Léa", "Martin"],
        "birth_date": date(2008, 3, 14),
        "address": {"city": "Lyon"},
        "price_cents": 3000,
        "paid": True,
        "confirmed_at": datetime(2026, 11, 24, 10, tzinfo=UTC),
        "email": None,
    }
    assert exported_fields(given) == {
        "school_id": "ecole-a",
        "reservation_id": "6a0b3c9e-64a4-4d59-9d52-4b5d8d0f3c1e",
        "reservation_ids": ["6a0b3c9e-64a4-4d59-9d52-4b5d8d0f3c1e"],
        "price_cents": 3000,
        "paid": True,
        "confirmed_at": datetime(2026, 11, 24, 10, tzinfo=UTC),
    }
