"""Candidate files on the in-memory store (walking-skeleton scope)."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.candidates.application import CandidateFileNotFound, CandidatesApplication
from services.candidates.domain import (
    ACTIVATED,
    AWAITING_EMAIL,
    CandidateFileStateError,
    InvalidCandidateFile,
)
from services.common.clock import FrozenClock

GOOD = {
    "school_id": "ecole",
    "neph": "123456789012",
    "civility": "MME",
    "birth_name": " Nguyen ",
    "given_names": "Linh",
    "email": " Linh.Nguyen@Example.fr ",
}


@pytest.fixture
def app() -> CandidatesApplication:
    return CandidatesApplication(
        clock=FrozenClock(), env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def test_a_new_file_awaits_email_validation_with_cleaned_fields(app):
    created = app.create_file(**GOOD)
    assert created["status"] == AWAITING_EMAIL
    assert created["birth_name"] == "Nguyen"
    assert created["email"] == "linh.nguyen@example.fr"


def test_every_wrong_field_gets_its_own_message_and_nothing_is_saved(app):
    with pytest.raises(InvalidCandidateFile) as error:
        app.create_file(
            school_id="ecole",
            neph="12345",
            civility="Mlle",
            birth_name=" ",
            given_names="",
            email="nope",
        )
    assert set(error.value.fields) == {
        "neph",
        "civility",
        "birth_name",
        "given_names",
        "email",
    }
    assert app.recorder.max_notification_id() in (None, 0)


def test_validating_the_email_activates_the_file_once(app):
    created = app.create_file(**GOOD)
    validated = app.validate_email(UUID(created["id"]))
    assert validated["status"] == ACTIVATED
    with pytest.raises(CandidateFileStateError):
        app.validate_email(UUID(created["id"]))


def test_a_file_without_email_cannot_validate_one(app):
    created = app.create_file(**{**GOOD, "email": None})
    with pytest.raises(CandidateFileStateError):
        app.validate_email(UUID(created["id"]))


def test_a_school_cannot_read_another_schools_file(app):
    created = app.create_file(**GOOD)
    assert app.get_file(UUID(created["id"]), school_id="ecole")["neph"] == GOOD["neph"]
    with pytest.raises(CandidateFileNotFound):
        app.get_file(UUID(created["id"]), school_id="autre-ecole")
