"""The exam centres' keys and files on the in-memory store (RE-1, issue 14):
only a key's hash is kept, a revoked key opens nothing, and a centre records
results for its own exams only."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.common.clock import FrozenClock
from services.results.application import ResultsApplication
from services.results.centres import (
    OTHER_CENTRE,
    CentreDesk,
    CentreKeyRefused,
    UnknownCentreKey,
)
from services.results.domain import PARIS

EXAM = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
LYON, NICE = uuid4(), uuid4()


@pytest.fixture
def app() -> ResultsApplication:
    return ResultsApplication(
        clock=FrozenClock(EXAM + timedelta(hours=1)),
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )


def confirm(app: ResultsApplication, position: int, session_id: UUID) -> UUID:
    reservation_id = uuid4()
    app.on_confirmed(
        {
            "reservation_id": reservation_id,
            "school_id": "ecole",
            "candidate_id": uuid4(),
            "session_id": session_id,
            "centre_name": "Centre",
            "centre_city": "Lyon",
            "exam_starts_at": EXAM.isoformat(),
        },
        Tracking("booking", position),
    )
    return reservation_id


def test_only_a_hash_of_the_key_is_stored_and_it_opens_its_centre(app):
    desk = CentreDesk(app)
    issued = desk.issue(LYON)
    key = issued["key"]
    assert desk.centre_of(key) == LYON
    secret = key.split("_", 2)[2]
    stored = b"".join(
        n.state for n in app.recorder.select_notifications(start=1, limit=100)
    )
    assert secret.encode() not in stored
    assert [k["key_id"] for k in desk.listing()] == [issued["key_id"]]
    assert "hash" not in desk.listing()[0]


@pytest.mark.parametrize(
    "forged",
    ["", "pmcc_", "Bearer x", "pmcc_zz_secret", "x" * 500],
)
def test_anything_but_a_key_in_force_is_refused(app, forged):
    desk = CentreDesk(app)
    key = desk.issue(LYON)["key"]
    for wrong in (forged, key[:-1] + ("A" if key[-1] != "A" else "B")):
        with pytest.raises(CentreKeyRefused, match="absente, invalide ou révoquée"):
            desk.centre_of(wrong)


def test_a_key_is_revoked_by_its_id_or_with_every_key_of_its_centre(app):
    desk = CentreDesk(app)
    first, second = desk.issue(LYON), desk.issue(LYON)
    other = desk.issue(NICE)
    assert desk.revoke(UUID(first["key_id"])) == [first["key_id"]]
    with pytest.raises(CentreKeyRefused):
        desk.centre_of(first["key"])
    assert desk.centre_of(second["key"]) == LYON
    assert desk.revoke(LYON) == [second["key_id"]]
    with pytest.raises(CentreKeyRefused):
        desk.centre_of(second["key"])
    with pytest.raises(UnknownCentreKey):
        desk.revoke(LYON)  # nothing left in force
    assert desk.centre_of(other["key"]) == NICE


def test_a_centre_records_its_own_exams_and_no_other_centres(app):
    here, there = uuid4(), uuid4()
    mine, theirs = confirm(app, 1, here), confirm(app, 2, there)
    centres = {here: LYON, there: NICE}
    asked: list[UUID] = []

    def session_centre(session_id: UUID) -> UUID:
        asked.append(session_id)
        return centres[session_id]

    desk = CentreDesk(app)
    key = desk.issue(LYON)["key"]
    report = desk.import_results(
        key, f"reservation;note\n{mine};36\n{theirs};30\n", session_centre
    )
    assert report == {"imported": 1, "refused": [{"line": 3, "reason": OTHER_CENTRE}]}
    assert app.repository.get(mine).recorded
    assert not app.repository.get(theirs).recorded
    assert sorted(asked) == sorted([here, there])
    with pytest.raises(CentreKeyRefused):
        desk.import_results("pmcc_x_y", f"reservation;note\n{mine};20\n", centres.get)
