"""The receipt a candidate downloads after confirming (CA-3): French dates,
the school that filed, the request number."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from services.candidates.application import CandidatesApplication
from services.candidates.domain import CandidateFile
from services.candidates.publications import PUBLISHED
from services.common import contracts
from services.common.clock import FrozenClock
from services.common.sealing import open_message
from tests.candidates.test_candidate_file import GOOD, SCHOOL, token
from tests.helpers import one_line, pdf_text


def _confirmed() -> tuple[CandidatesApplication, dict]:
    clock = FrozenClock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    app = CandidatesApplication(
        clock=clock, env={"PERSISTENCE_MODULE": "eventsourcing.popo"}
    )
    file = app.create_file(*SCHOOL, GOOD, school_name="Auto-école du Centre")
    app.confirm(UUID(file["id"]), token(app, file))
    return app, file


def test_the_receipt_writes_dates_the_french_way_and_names_the_school():
    app, file = _confirmed()
    text = one_line(pdf_text(app.receipt_pdf(UUID(file["id"]), SCHOOL[0])))
    assert "Confirmé le : 24 novembre 2026" in text
    assert "Date de naissance : 14/03/2008" in text
    assert "Dossier déposé par l'auto-école : Auto-école du Centre" in text
    assert f"Numéro de demande : {file['request_number']}" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text


def test_the_activation_tells_whom_to_tell_and_what_the_convocation_needs():
    app, file = _confirmed()
    (confirmed,) = [
        e
        for e in app.aggregate_history(UUID(file["id"]))
        if isinstance(e, CandidateFile.Confirmed)
    ]
    body = PUBLISHED[CandidateFile.Confirmed].dump(confirmed, app)
    assert "birth_date" not in body  # sealed on the bus, opened by its reader
    opened, _ = open_message(contracts.CandidateActivated, body, app.keystore)
    loaded = contracts.CandidateActivated().load(opened)
    assert loaded["school_name"] == "Auto-école du Centre"
    assert loaded["school_email"] == SCHOOL[1]
    assert loaded["birth_date"] == "2008-03-14"
