"""Centres and sessions on the in-memory store (SC-1, SC-2)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from services.common.clock import FrozenClock
from services.scheduling.application import NotFound, SchedulingApplication
from services.scheduling.domain import (
    COLLECTIVE,
    INDIVIDUAL,
    PARIS,
    ExamCentre,
    SchedulingError,
)

CENTRES = """code;nom;adresse;code_postal;ville;latitude;longitude;pmr;horaires
LYO-1;Centre Lyon Part-Dieu;10 rue Garibaldi;69003;Lyon;45.76;4.85;oui;8 h–18 h
STR-1;Centre Strasbourg;2 quai Kléber;67000;Strasbourg;;;non;
BAD;Sans code postal;1 rue;6900;Lyon;;;;
"""


@pytest.fixture
def app() -> SchedulingApplication:
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    return SchedulingApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=PARIS)


def test_centres_from_csv_with_a_report_of_refused_lines(app):
    report = app.import_centres(CENTRES)
    assert report["created"] == 2
    assert [f["line"] for f in report["failed"]] == [4]
    strasbourg = app.repository.get(ExamCentre.create_id("STR-1"))
    assert strasbourg.departement == "67"
    assert round(strasbourg.latitude) == 49  # placed from the communes data set


def test_sessions_follow_sc2(app):
    app.import_centres(CENTRES)
    lyon, strasbourg = ExamCentre.create_id("LYO-1"), ExamCentre.create_id("STR-1")
    rules = {
        at("2026-12-06 10:00"): "Aucune session le dimanche.",
        at("2026-12-25 10:00"): "Aucune session un jour férié.",
        at("2026-12-01 07:30"): "Les sessions ont lieu entre 8 h et 19 h",
        at("2026-12-01 18:30"): "Les sessions ont lieu entre 8 h et 19 h",
    }
    for starts, message in rules.items():
        with pytest.raises(SchedulingError) as error:
            app.schedule_session(lyon, starts, 18, COLLECTIVE)
        assert error.value.fields["starts_at"][0].startswith(message)
    with pytest.raises(SchedulingError) as error:
        app.schedule_session(lyon, at("2026-12-01 09:00"), 3, INDIVIDUAL)
    assert error.value.fields["seats"] == [
        "Une session individuelle a de 1 à 2 places."
    ]
    # St Stephen's Day is a holiday in Alsace only.
    assert app.schedule_session(lyon, at("2026-12-26 09:00"), 18, COLLECTIVE)
    with pytest.raises(SchedulingError):
        app.schedule_session(strasbourg, at("2026-12-26 09:00"), 18, COLLECTIVE)


def test_sessions_from_csv(app):
    app.import_centres(CENTRES)
    report = app.import_sessions(
        "centre;debut;duree;places;type\n"
        "LYO-1;2026-12-01 09:00;60;18;collective\n"
        "LYO-1;2026-12-01 10:30;60;2;individuelle\n"
        "LYO-1;2026-12-06 09:00;60;18;collective\n"
        "INCONNU;2026-12-01 09:00;60;18;collective\n"
    )
    assert report["created"] == 2
    assert [f["line"] for f in report["failed"]] == [4, 5]


def test_a_session_is_published_with_its_centre_and_can_be_cancelled(app):
    app.import_centres(CENTRES)
    session = app.schedule_session(
        ExamCentre.create_id("LYO-1"), at("2026-12-01 10:30"), 2, INDIVIDUAL
    )
    session_id = UUID(session["id"])
    published = app.published_session(session_id)
    assert published["centre_name"] == "Centre Lyon Part-Dieu"
    assert published["centre_address"] == "10 rue Garibaldi, 69003"
    assert published["seats"] == 2 and published["kind"] == INDIVIDUAL
    assert app.cancel_session(session_id)["cancelled"] is True
    with pytest.raises(SchedulingError, match="déjà annulée"):
        app.cancel_session(session_id)
    with pytest.raises(NotFound, match="annulée"):
        app.published_session(session_id)
