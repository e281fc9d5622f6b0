"""A candidate's file never gives the school's own mailbox (issue 12): the
address identity published for the school, whatever the caller says, compared
without case or « +tag »; on creation, CSV import and contact change."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from services.candidates.application import (
    CandidatesApplication,
    InvalidCandidateFile,
)
from services.candidates.mailboxes import SCHOOLS_OWN_ADDRESS, SchoolMailbox, mailbox
from services.common.clock import FrozenClock
from tests.candidates.test_candidate_file import GOOD

SCHOOL_ID = "ecole-b"
OWN = "Secretariat@Ecole-B.fr"


@pytest.fixture
def app() -> CandidatesApplication:
    app = CandidatesApplication(
        clock=FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
    )
    # As identity's AccountActivationRequested tells it.
    app.school_address_published(SCHOOL_ID, OWN, Tracking("identity", 1))
    return app


def test_one_mailbox_whatever_the_case_or_the_plus_tag():
    assert mailbox(" Secretariat+Candidats@ECOLE-B.fr ") == "secretariat@ecole-b.fr"
    assert mailbox("a+b+c@x.fr") == "a@x.fr"


@pytest.mark.parametrize(
    "email",
    ["secretariat@ecole-b.fr", "SECRETARIAT+lea@Ecole-B.fr", " Secretariat@ecole-b.FR"],
)
def test_a_file_giving_the_school_s_own_address_is_refused_and_not_saved(app, email):
    before = app.recorder.max_notification_id()
    # The caller does not say it: identity's word is enough.
    with pytest.raises(InvalidCandidateFile) as refused:
        app.create_file(SCHOOL_ID, "", {**GOOD, "email": email})
    assert refused.value.fields == {"email": [SCHOOLS_OWN_ADDRESS]}
    assert app.recorder.max_notification_id() == before


def test_the_address_is_kept_only_as_a_keyed_hash(app):
    known = app.repository.get(SchoolMailbox.create_id(SCHOOL_ID))
    stored = str(app.recorder.select_notifications(start=1, limit=10))
    assert "ecole-b.fr" not in stored.lower() and len(known.digest) == 64


def test_another_school_and_another_address_are_not_refused(app):
    assert app.create_file("ecole-c", "", {**GOOD, "email": OWN})["id"]
    assert app.create_file(
        SCHOOL_ID, "", {**GOOD, "neph": "123456789099", "email": "lea@ecole-b.fr"}
    )["id"]


def test_an_address_the_school_says_is_its_own_is_refused_too(app):
    with pytest.raises(InvalidCandidateFile):
        app.create_file(
            "ecole-d",
            "direction@ecole-d.fr",
            {**GOOD, "email": "Direction+1@ecole-d.fr"},
        )


def test_a_csv_line_with_the_school_s_address_is_reported(app):
    lines = [
        "neph;civilite;nom_naissance;nom_usage;prenoms;date_naissance;email",
        "100000000001;M;Martin;;Jean;01/02/2005;jean@example.fr",
        "100000000002;M;Martin;;Paul;01/02/2005;secretariat+paul@ecole-b.fr",
    ]
    report = app.import_csv(SCHOOL_ID, "", "\n".join(lines))
    assert report["created"] == 1
    assert report["failed"] == [
        {"line": 3, "neph": "100000000002", "errors": {"email": [SCHOOLS_OWN_ADDRESS]}}
    ]


def test_a_contact_change_to_the_school_s_address_is_refused(app):
    file = app.create_file(SCHOOL_ID, "", GOOD)
    with pytest.raises(InvalidCandidateFile) as refused:
        app.change_contact(SCHOOL_ID, UUID(file["id"]), {"email": OWN.upper()})
    assert refused.value.fields == {"email": [SCHOOLS_OWN_ADDRESS]}
    assert (
        app.get_file(UUID(file["id"]), SCHOOL_ID)["email"]
        == GOOD["email"].strip().lower()
    )


def test_a_new_address_published_replaces_the_old_one(app):
    app.school_address_published(
        SCHOOL_ID, "accueil@ecole-b.fr", Tracking("identity", 2)
    )
    assert app.create_file(SCHOOL_ID, "", {**GOOD, "email": OWN})["id"]
    with pytest.raises(InvalidCandidateFile):
        app.create_file(
            SCHOOL_ID,
            "",
            {**GOOD, "neph": "123456789098", "email": "accueil@ecole-b.fr"},
        )
