"""Candidate files on the in-memory store, with a clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.candidates.activation import RECEIPT_VALIDITY
from services.candidates.application import NEPH_UNAVAILABLE, CandidatesApplication
from services.candidates.domain import (
    ACTIVATED,
    ARCHIVED,
    AWAITING_EMAIL,
    REFUSED,
    CandidateFileError,
    CandidateFileStateError,
)
from services.candidates.errors import (
    CandidateFileNotFound,
    InvalidCandidateFile,
    ReceiptLinkExpired,
)
from services.candidates.publications import ACTIVATION
from services.common.clock import FrozenClock

SCHOOL = ("ecole-a", "secretariat@ecole-a.fr")
GOOD = {
    "neph": "123456789012",
    "civility": "MME",
    "birth_name": " Nguyen ",
    "usage_name": "",
    "given_names": "Linh Mai",
    "birth_date": "14/03/2008",
    "email": " Linh.Nguyen@Example.fr ",
}
BY_POST = {
    **GOOD,
    "neph": "123456789013",
    "email": "",
    "address": {"street": "4 rue Garibaldi", "postal_code": "69006", "city": "Lyon"},
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
def app(clock) -> CandidatesApplication:
    return CandidatesApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )


def token(app: CandidatesApplication, file: dict) -> str:
    nonce = app.repository.get(UUID(file["id"])).activation_nonce
    return app.links.token(ACTIVATION, UUID(file["id"]), nonce)


def test_a_new_file_awaits_email_validation_with_cleaned_fields(app):
    created = app.create_file(*SCHOOL, GOOD)
    assert created["status"] == AWAITING_EMAIL
    assert created["birth_name"] == "Nguyen"
    assert created["email"] == "linh.nguyen@example.fr"
    assert created["birth_date"] == "2008-03-14"
    assert created["contact"] == "email"


def test_every_wrong_field_gets_its_own_message_and_nothing_is_saved(app):
    with pytest.raises(InvalidCandidateFile) as error:
        app.create_file(
            *SCHOOL,
            {"neph": "12345", "civility": "Mlle", "birth_name": " ", "email": "nope"},
        )
    assert set(error.value.fields) == {
        "neph",
        "civility",
        "birth_name",
        "given_names",
        "birth_date",
        "email",
    }
    assert app.recorder.max_notification_id() in (None, 0)


def test_without_email_the_postal_address_is_mandatory(app):
    with pytest.raises(InvalidCandidateFile) as error:
        app.create_file(*SCHOOL, {**GOOD, "email": None})
    assert error.value.fields["address.street"] == [
        "L'adresse est obligatoire (obligatoire sans adresse e-mail)."
    ]
    created = app.create_file(*SCHOOL, BY_POST)
    assert created["contact"] == "courrier"


def test_the_candidate_must_be_15_on_the_day_of_submission(app, clock):
    fifteen_tomorrow = {**GOOD, "birth_date": "2011-11-24"}
    with pytest.raises(InvalidCandidateFile) as error:
        app.create_file(*SCHOOL, fifteen_tomorrow)
    assert error.value.fields["birth_date"] == [
        "Le candidat doit avoir au moins 15 ans le jour du dépôt du dossier."
    ]
    clock.advance(timedelta(days=1))
    assert app.create_file(*SCHOOL, fifteen_tomorrow)["status"] == AWAITING_EMAIL


def test_a_neph_is_in_one_active_file_at_a_time_whatever_the_school(app):
    first = app.create_file(*SCHOOL, GOOD)
    # Another school learns only that it cannot use it, not that a school has
    # it (no NEPH oracle); the school that has it is told so.
    with pytest.raises(InvalidCandidateFile) as error:
        app.create_file("ecole-b", "b@ecole-b.fr", GOOD)
    assert error.value.fields["neph"] == [NEPH_UNAVAILABLE]
    assert "actif" not in NEPH_UNAVAILABLE and "auto-école" not in NEPH_UNAVAILABLE
    with pytest.raises(InvalidCandidateFile) as mine:
        app.create_file(*SCHOOL, GOOD)
    assert mine.value.fields["neph"] == [
        "Votre auto-école a déjà un dossier actif pour ce NEPH."
    ]
    # Refused, the file frees its NEPH: the school creates a new one.
    app.refuse(UUID(first["id"]), token(app, first))
    assert app.create_file("ecole-b", "b@ecole-b.fr", GOOD)["status"] == AWAITING_EMAIL


def test_the_candidate_confirms_once_with_the_link(app):
    created = app.create_file(*SCHOOL, GOOD)
    link = token(app, created)
    seen = app.for_candidate(UUID(created["id"]), link)
    assert seen["given_names"] == "Linh Mai"
    confirmed = app.confirm(UUID(created["id"]), link)
    assert confirmed["status"] == ACTIVATED
    # D + the day the file was created (its event's time, not the test's clock).
    created_day = created["created_at"][:10].replace("-", "")
    assert confirmed["request_number"].startswith(f"D{created_day}-")
    with pytest.raises(CandidateFileError):
        app.confirm(UUID(created["id"]), link)  # the link is used up
    pdf = app.receipt_pdf(
        UUID(created["id"]), token=app.receipt_token(UUID(created["id"]))
    )
    assert pdf.startswith(b"%PDF")
    with pytest.raises(CandidateFileNotFound):
        app.receipt_pdf(UUID(created["id"]), token="faux")


def test_the_receipt_link_expires_after_a_day_and_its_deadline_cannot_be_moved(
    app, clock
):
    created = app.create_file(*SCHOOL, GOOD)
    file_id = UUID(created["id"])
    app.confirm(file_id, token(app, created))
    link = app.receipt_token(file_id)
    clock.advance(RECEIPT_VALIDITY - timedelta(seconds=1))
    assert app.receipt_pdf(file_id, token=link).startswith(b"%PDF")
    clock.advance(timedelta(seconds=1))
    with pytest.raises(ReceiptLinkExpired, match="auto-école"):
        app.receipt_pdf(file_id, token=link)
    # A later deadline written over the signed one opens nothing.
    stamp, _, mac = link.partition(".")
    for forged in (f"{int(stamp) + 86_400}.{mac}", f"{stamp}", f"{stamp}.", "٣.x"):
        with pytest.raises(CandidateFileNotFound):
            app.receipt_pdf(file_id, token=forged)
    # The school still downloads it, and can hand it on.
    assert app.receipt_pdf(file_id, SCHOOL[0]).startswith(b"%PDF")


def test_a_wrong_or_late_link_is_refused(app, clock):
    created = app.create_file(*SCHOOL, GOOD)
    with pytest.raises(CandidateFileError, match="pas valide"):
        app.confirm(UUID(created["id"]), "faux-jeton")
    link = token(app, created)
    clock.advance(timedelta(days=7, minutes=1))
    with pytest.raises(CandidateFileError, match="expiré"):
        app.confirm(UUID(created["id"]), link)


def test_a_letter_code_opens_the_file_of_a_candidate_without_email(app):
    created = app.create_file(*SCHOOL, BY_POST)
    file = app.repository.get(UUID(created["id"]))
    code = app.links.code(ACTIVATION, file.id, file.activation_nonce)
    with pytest.raises(CandidateFileError):
        app.redeem_code(BY_POST["neph"], "MAUVAISCOD")
    opened = app.redeem_code(BY_POST["neph"], code.lower())
    assert app.confirm(UUID(opened["candidate_id"]), opened["token"])["status"] == (
        ACTIVATED
    )


def test_a_new_email_on_an_active_file_must_be_validated_again(app):
    created = app.create_file(*SCHOOL, GOOD)
    app.confirm(UUID(created["id"]), token(app, created))
    changed = app.change_contact(
        SCHOOL[0], UUID(created["id"]), {"email": "linh.mai@example.fr"}
    )
    assert changed["email_to_validate"] is True
    assert changed["status"] == ACTIVATED
    validated = app.confirm(UUID(created["id"]), token(app, created))
    assert validated["email_to_validate"] is False
    assert validated["email"] == "linh.mai@example.fr"
    with pytest.raises(InvalidCandidateFile):
        app.change_contact(SCHOOL[0], UUID(created["id"]), {"email": "x"})


def test_archive_and_tenant_isolation(app):
    created = app.create_file(*SCHOOL, GOOD)
    with pytest.raises(CandidateFileNotFound):
        app.get_file(UUID(created["id"]), school_id="ecole-b")
    with pytest.raises(CandidateFileNotFound):
        app.archive("ecole-b", UUID(created["id"]))
    with pytest.raises(CandidateFileStateError):
        app.archive(SCHOOL[0], UUID(created["id"]))  # still awaiting
    app.confirm(UUID(created["id"]), token(app, created))
    assert app.archive(SCHOOL[0], UUID(created["id"]))["status"] == ARCHIVED


def test_refusing_ends_the_file(app):
    created = app.create_file(*SCHOOL, GOOD)
    assert app.refuse(UUID(created["id"]), token(app, created))["status"] == REFUSED


def test_csv_import_reports_each_bad_line(app):
    lines = ["neph;civilite;nom_naissance;nom_usage;prenoms;date_naissance;email"]
    lines += [
        f"1000000000{i:02d};M;Martin;;Jean;01/02/2005;jean{i}@example.fr"
        for i in range(5)
    ]
    lines.append("123;M;Martin;;Jean;01/02/2005;bad@example.fr")  # line 7
    lines.append("100000000099;M;Martin;;Jean;01/02/2020;")  # line 8: age, contact
    report = app.import_csv(*SCHOOL, "\n".join(lines))
    assert report["created"] == 5
    assert [f["line"] for f in report["failed"]] == [7, 8]
    assert "neph" in report["failed"][0]["errors"]
    assert {"birth_date", "address.street"} <= set(report["failed"][1]["errors"])
    with pytest.raises(InvalidCandidateFile):
        app.import_csv(*SCHOOL, "nom;prenom\nA;B")


# -- erasure (TR-4) ------------------------------------------------------------


def test_an_erased_file_is_unreadable_everywhere_and_frees_its_neph(app):
    file = app.create_file(*SCHOOL, GOOD)
    candidate = UUID(file["id"])
    app.confirm(candidate, token(app, file))
    sealed = app.repository.get(candidate).personal

    erased = app.erase(candidate, "ecole-a", seat_upcoming=False)

    assert erased == {"id": file["id"], "status": "effacé"}
    # Every copy sealed with the file's key, in any event, is unreadable now.
    assert app.vault.unseal(candidate, sealed) is None
    with pytest.raises(CandidateFileNotFound):
        app.get_file(candidate, "ecole-a")
    # The school may file the candidate again, from scratch.
    assert app.create_file(*SCHOOL, GOOD)["neph"] == GOOD["neph"]


def test_erasing_twice_answers_the_same_and_adds_nothing(app):
    candidate = UUID(app.create_file(*SCHOOL, GOOD)["id"])
    first = app.erase(candidate, "ecole-a", seat_upcoming=False)
    events = len(app.aggregate_history(candidate))
    assert app.erase(candidate, "ecole-a", seat_upcoming=True) == first
    assert len(app.aggregate_history(candidate)) == events


def test_a_candidate_with_an_upcoming_seat_is_not_erased(app):
    candidate = UUID(app.create_file(*SCHOOL, GOOD)["id"])
    with pytest.raises(CandidateFileStateError, match="réservation d'examen à venir"):
        app.erase(candidate, "ecole-a", seat_upcoming=True)
    assert app.get_file(candidate, "ecole-a")["birth_name"] == "Nguyen"


def test_another_schools_file_is_not_found(app):
    candidate = UUID(app.create_file(*SCHOOL, GOOD)["id"])
    with pytest.raises(CandidateFileNotFound):
        app.erase(candidate, "ecole-b", seat_upcoming=False)
    assert app.get_file(candidate, "ecole-a")["status"]


def test_retention_counts_from_the_day_a_file_ended(app, clock):
    file = app.create_file(*SCHOOL, GOOD)
    candidate = UUID(file["id"])
    app.refuse(candidate, token(app, file))
    aggregate = app.repository.get(candidate)
    retention = timedelta(days=365)
    assert not aggregate.retention_over(clock.now() + retention / 2, retention)
    assert aggregate.retention_over(clock.now() + retention, retention)
