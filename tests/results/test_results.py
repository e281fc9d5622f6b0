"""Results on the in-memory store: scores, the 24-hour release, once (RE-1),
and the centres' files line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.common.clock import FrozenClock
from services.results.application import NotYetKnown, ResultsApplication
from services.results.domain import (
    PARIS,
    ExamResult,
    ResultError,
    published_fields,
    valid_until,
)
from services.results.imports import MAX_LINES, ResultsFileRefused

EXAM = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)


def seat(**changes) -> ExamResult:
    fields = {
        "reservation_id": uuid4(),
        "school_id": "ecole",
        "candidate_id": uuid4(),
        "session_id": uuid4(),
        "centre_name": "Centre de Lyon",
        "centre_city": "Lyon",
        "exam_starts_at": EXAM,
        **changes,
    }
    return ExamResult(**fields)


@pytest.mark.parametrize(
    ("score", "outcome"),
    [(40, "admis"), (35, "admis"), (34, "ajourné"), (0, "ajourné")],
)
def test_a_pass_is_35_or_more_out_of_40(score, outcome):
    said = published_fields({"candidate_name": "Emma"}, EXAM, score)
    assert (said["score"], said["outcome"]) == (score, outcome)
    assert said["candidate_name"] == "Emma"


@pytest.mark.parametrize("score", [41, -1, 100])
def test_a_score_beyond_0_to_40_is_refused(score):
    with pytest.raises(ResultError, match="entre 0 et 40"):
        seat().record(score, EXAM, "")


def test_an_absent_candidate_has_no_score_and_no_validity():
    said = published_fields({}, EXAM, None)
    assert (said["score"], said["outcome"], said["valid_until"]) == (
        None,
        "absent",
        None,
    )
    assert published_fields({}, EXAM, 35)["valid_until"] == "2031-12-07"


def test_the_events_hold_the_result_only_sealed():
    result = seat(personal="scellé-1")
    result.record(36, EXAM + timedelta(hours=1), "scellé-2")
    result.publish(EXAM + timedelta(days=2), "scellé-3")
    confirmed, recorded, published = result.collect_events()
    assert confirmed.personal == "scellé-1"
    assert recorded.sealed == "scellé-2"
    assert published.sealed == "scellé-3"
    for event in (recorded, published):
        assert not {"score", "outcome", "valid_until"} & set(vars(event))


def test_a_pass_is_valid_five_years_from_the_exam_day():
    assert valid_until(EXAM, 35) == date(2031, 12, 7)
    assert valid_until(EXAM, 34) is None
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=PARIS)
    assert valid_until(leap, 38) == date(2033, 2, 28)


def test_no_result_before_the_exam_starts():
    with pytest.raises(ResultError, match="pas encore commencé"):
        seat().record(36, EXAM - timedelta(minutes=1), "")


def test_a_result_is_recorded_once():
    result = seat()
    result.record(36, EXAM, "")
    with pytest.raises(ResultError, match="déjà enregistré"):
        result.record(30, EXAM, "")


def test_no_result_for_a_cancelled_reservation():
    result = seat()
    result.cancel()
    with pytest.raises(ResultError, match="annulée"):
        result.record(36, EXAM, "")


def test_released_at_exactly_24_hours_after_the_start_and_once():
    result = seat()
    result.record(36, EXAM + timedelta(hours=1), "")
    assert not result.is_due(EXAM + timedelta(hours=24) - timedelta(seconds=1))
    with pytest.raises(ResultError):
        result.publish(EXAM + timedelta(hours=23, minutes=59), "")
    assert result.is_due(EXAM + timedelta(hours=24))
    result.publish(EXAM + timedelta(hours=24), "")
    assert not result.is_due(EXAM + timedelta(days=3))
    with pytest.raises(ResultError):
        result.publish(EXAM + timedelta(days=3), "")


def test_a_moved_seat_is_released_24_hours_after_its_new_exam():
    result = seat()
    result.move(uuid4(), "Centre de Bron", "Bron", EXAM + timedelta(days=7))
    with pytest.raises(ResultError, match="pas encore commencé"):
        result.record(36, EXAM + timedelta(days=1), "")
    result.record(36, EXAM + timedelta(days=7), "")
    assert not result.is_due(EXAM + timedelta(days=7, hours=23))
    assert result.is_due(EXAM + timedelta(days=8))


# -- the application and the centres' files ------------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock((EXAM + timedelta(hours=2)).astimezone(UTC))


@pytest.fixture
def app(clock) -> ResultsApplication:
    return ResultsApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def recorded(app: ResultsApplication, reservation_id: UUID) -> dict | None:
    result = app.repository.get(reservation_id)
    return app.seals.open(result.candidate_id, result.sealed_result)


def confirm(app: ResultsApplication, position: int, starts_at=EXAM) -> UUID:
    reservation_id = uuid4()
    payload = {
        "reservation_id": reservation_id,
        "school_id": "ecole",
        "candidate_id": uuid4(),
        "session_id": uuid4(),
        "centre_name": "Centre de Lyon",
        "centre_city": "Lyon",
        "exam_starts_at": starts_at.isoformat(),
        "candidate_name": "Emma Martin",
        "neph": "123456789012",
        "birth_date": "2005-03-14",
    }
    app.on_confirmed(payload, Tracking("booking", position))
    return reservation_id


def test_a_file_with_good_and_bad_lines_imports_the_good_ones(app):
    first, second, third, cancelled = (confirm(app, n) for n in range(1, 5))
    app.on_cancelled({"reservation_id": cancelled}, Tracking("booking", 5))
    tomorrow = confirm(app, 6, EXAM + timedelta(days=1))
    unknown = uuid4()
    text = (
        "\ufeffreservation;note\n"
        f"{first};36\n"
        f"{second};absent\n"
        f"{third};41\n"
        f"{first};36\n"
        f"{unknown};20\n"
        f"{cancelled};20\n"
        f"{tomorrow};20\n"
        f"{third};٣٥\n"
        f"{third};3\u200b5\n"
        "pas-un-numéro;12\n"
        f"{third};12;de trop\n"
    )
    report = app.import_results(text)
    assert report["imported"] == 2
    reasons = {line["line"]: line["reason"] for line in report["refused"]}
    assert sorted(reasons) == list(range(4, 13))
    assert "entre 0 et 40" in reasons[4]
    assert "(ligne 2)" in reasons[5]
    assert "inconnue" in reasons[6]
    assert "annulée" in reasons[7]
    assert "pas encore commencé" in reasons[8]
    assert "Note invalide" in reasons[9]  # Arabic-Indic digits
    assert "note" in reasons[10]  # an invisible character
    assert "réservation invalide" in reasons[11]
    assert "colonnes" in reasons[12]
    assert recorded(app, first) == {"score": 36, "absent": False}
    assert recorded(app, second) == {"score": None, "absent": True}
    # A second file with a different result for the same seat is refused.
    again = app.import_results(f"reservation;note\n{first};20\n")
    assert again["imported"] == 0
    assert "déjà enregistré" in again["refused"][0]["reason"]
    assert recorded(app, first)["score"] == 36


def test_a_refused_file_imports_nothing(app):
    reservation = confirm(app, 1)
    with pytest.raises(ResultsFileRefused, match="Colonnes manquantes"):
        app.import_results(f"reservation;score\n{reservation};36\n")
    with pytest.raises(ResultsFileRefused, match="U\\+0000"):
        app.import_results(f"reservation;note\n{reservation};3\x006\n")
    lines = "".join(f"{uuid4()};1\n" for _ in range(MAX_LINES + 1))
    with pytest.raises(ResultsFileRefused, match="au plus"):
        app.import_results("reservation;note\n" + lines)
    assert not app.repository.get(reservation).recorded


def test_a_change_before_its_confirmation_is_tried_again_later(app):
    with pytest.raises(NotYetKnown):
        app.on_cancelled({"reservation_id": uuid4()}, Tracking("booking", 1))


# -- `pmc import-results`: files refused before anything is read into the store --


def test_a_file_too_big_or_not_utf8_is_refused_whole(tmp_path, capsys):
    from argparse import Namespace

    from pmc.results import REFUSED, import_results
    from services.common import inputs

    huge = tmp_path / "enorme.csv"
    huge.write_bytes(b"reservation;note\n" + b"x" * inputs.CSV_MAX)
    assert import_results(Namespace(file=str(huge))) == REFUSED
    assert "plus de" in capsys.readouterr().err
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("reservation;note\nnoté;12\n".encode("latin-1"))
    assert import_results(Namespace(file=str(latin))) == REFUSED
    assert "UTF-8" in capsys.readouterr().err
    assert import_results(Namespace(file=str(tmp_path / "absent.csv"))) == REFUSED
    assert "Fichier illisible" in capsys.readouterr().err


def test_what_is_released_is_sealed_and_empty_once_the_candidate_is_erased(app):
    kept, erased = confirm(app, 1), confirm(app, 2)
    assert app.import_results(f"reservation;note\n{kept};36\n{erased};12\n") == {
        "imported": 2,
        "refused": [],
    }
    result = app.repository.get(kept)
    assert app.seals.open(result.candidate_id, app._released_result(result)) == {
        "candidate_name": "Emma Martin",
        "neph": "123456789012",
        "birth_date": "2005-03-14",
        "score": 36,
        "outcome": "admis",
        "valid_until": "2031-12-07",
    }
    gone = app.repository.get(erased)
    app.keystore.forget(gone.candidate_id)
    assert app._released_result(gone) == ""
    assert app.seals.open(gone.candidate_id, gone.personal) is None
    # No key is made again for someone erased.
    assert app.keystore.key(gone.candidate_id, owner=app.name) is None
