"""The candidate's own result document (RE-2) on the in-memory store: the
same as the school's once released, and "not found" for another
candidate's, before the release, or once the candidate is erased."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from services.results import candidate_side
from services.results.application import ResultsApplication
from services.results.downloads import NOT_FOUND, ResultNotFound
from tests.helpers import one_line, pdf_text
from tests.results.test_results import EXAM, app, clock, confirm  # noqa: F401


def _released(results: ResultsApplication, reservation_id: UUID) -> UUID:
    """Released (as the sweep does): the result's candidate."""
    result = results.repository.get(reservation_id)
    result.publish(EXAM + timedelta(days=1), results._released_result(result))
    results.save(result)
    return result.candidate_id


def test_the_candidate_gets_their_released_result_and_no_other(app):  # noqa: F811
    mine, theirs = confirm(app, 1), confirm(app, 2)
    app.import_results(f"reservation;note\n{mine};37\n{theirs};12\n")
    candidate = app.repository.get(mine).candidate_id
    with pytest.raises(ResultNotFound, match=NOT_FOUND):  # not released yet
        candidate_side.result_pdf(app, candidate, mine)

    _released(app, mine)
    _released(app, theirs)
    pdf = candidate_side.result_pdf(app, candidate, mine)
    assert pdf_text(pdf) == pdf_text(app.result_pdf("ecole", mine))
    assert "Note : 37/40" in one_line(pdf_text(pdf))
    for reservation in (theirs, uuid4()):
        with pytest.raises(ResultNotFound, match=NOT_FOUND):
            candidate_side.result_pdf(app, candidate, reservation)


def test_nothing_once_the_candidate_is_erased(app):  # noqa: F811
    reservation = confirm(app, 1)
    app.import_results(f"reservation;note\n{reservation};36\n")
    candidate = _released(app, reservation)
    app.keystore.forget(candidate)
    with pytest.raises(ResultNotFound, match=NOT_FOUND):
        candidate_side.result_pdf(app, candidate, reservation)
