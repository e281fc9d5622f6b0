"""Candidate creation and CSV import with idempotency keys, on the real
PostgreSQL: a retry, even concurrent, creates one file (TR-3)."""

from __future__ import annotations

import secrets
from uuid import UUID

import eventlet
import pytest

from services.candidates.application import CandidatesApplication, InvalidCandidateFile
from services.candidates.domain import NephClaim
from services.common.idempotency import IdempotencyConflict
from tests.candidates.test_candidate_file import GOOD


@pytest.fixture(scope="module")
def app(settings):
    app = CandidatesApplication(settings=settings)
    yield app
    app.close()


def neph() -> str:
    return f"9{secrets.randbelow(10**11):011d}"


def test_the_same_key_twice_gives_the_same_file(app):
    school, data = f"ecole-{secrets.token_hex(3)}", {**GOOD, "neph": neph()}
    first = app.create_file(school, "s@ecole.fr", data, "cle-1")
    again = app.create_file(school, "s@ecole.fr", data, "cle-1")
    assert again["id"] == first["id"]
    # Without the key, the retry would have been refused: the NEPH is taken.
    with pytest.raises(InvalidCandidateFile):
        app.create_file(school, "s@ecole.fr", data)
    with pytest.raises(IdempotencyConflict):
        app.create_file(school, "s@ecole.fr", {**data, "given_names": "Autre"}, "cle-1")


def test_keys_belong_to_one_school(app):
    data = {**GOOD, "neph": neph()}
    app.create_file("ecole-x", "x@ecole.fr", data, "cle-commune")
    other = {**GOOD, "neph": neph()}
    created = app.create_file("ecole-y", "y@ecole.fr", other, "cle-commune")
    assert created["neph"] == other["neph"]


def test_twenty_concurrent_requests_with_one_key_create_one_file(app):
    school, data = f"ecole-{secrets.token_hex(3)}", {**GOOD, "neph": neph()}
    pool = eventlet.GreenPool(20)
    answers = list(
        pool.imap(
            lambda _: app.create_file(school, "s@ecole.fr", data, "cle-course"),
            range(20),
        )
    )
    assert len({a["id"] for a in answers}) == 1
    claim = app.repository.get(NephClaim.create_id(data["neph"]))
    assert str(claim.candidate_id) == answers[0]["id"]


def test_an_import_retried_with_its_key_creates_each_line_once(app):
    school = f"ecole-{secrets.token_hex(3)}"
    first, second = neph(), neph()
    csv = (
        "neph;civilite;nom_naissance;prenoms;date_naissance;email\n"
        f"{first};MME;Martin;Léa;02/05/2007;lea@example.fr\n"
        f"{second};M;Petit;Hugo;2007-13-40;hugo@example.fr\n"
    )
    report = app.import_csv(school, "s@ecole.fr", csv, "import-1")
    assert report["created"] == 1 and len(report["failed"]) == 1
    pool = eventlet.GreenPool(2)
    again = list(
        pool.imap(
            lambda _: app.import_csv(school, "s@ecole.fr", csv, "import-1"), [1, 2]
        )
    )
    assert again == [report, report]
    holder = app.repository.get(NephClaim.create_id(first)).candidate_id
    assert isinstance(holder, UUID)
    with pytest.raises(IdempotencyConflict):
        app.import_csv(school, "s@ecole.fr", csv.replace("Hugo", "Paul"), "import-1")
