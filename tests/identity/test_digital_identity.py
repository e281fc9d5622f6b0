"""The digital identity's rules and state machine, in the domain alone (ID-7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.identity.digital_identities import carrier_slots
from services.identity.digital_identity import (
    ACTIVE,
    CHECKING,
    ENDED,
    FILES_AWAITED,
    LOCKED,
    MAIL_CARRIER,
    ONLINE,
    POST_OFFICE,
    POST_OFFICE_MISSED,
    VERIFIED,
    DigitalIdentity,
)
from services.identity.errors import IdentityError, IdentityLocked
from services.identity.identity_rules import check_request
from services.identity.identity_uploads import review_deadline

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
AGENT = uuid4()


def _request(**changes):
    data = {
        "civilite": "Mme",
        "prenoms": ["Léa", "Marie-Anne"],
        "nom_naissance": "Dupont",
        "nom_usage": "",
        "date_naissance": "2000-03-01",
        "commune_naissance": "Saint-Étienne",
        "pays_naissance": "France",
        "nationalite": "française",
        "document": {
            "type": "carte_identite",
            "numero": "X4RTBPFW4",
            "date_expiration": "2031-01-01",
        },
    }
    data.update(changes)
    return data


def test_a_complete_request_passes_and_is_cleaned():
    clean, problems = check_request(_request(), TODAY)
    assert problems == {}
    assert clean["prenoms"] == ["Léa", "Marie-Anne"]
    assert clean["nom_usage"] is None
    assert clean["document"]["numero"] == "X4RTBPFW4"


def test_a_minor_is_refused_the_day_before_the_eighteenth_birthday():
    _, problems = check_request(_request(date_naissance="2008-11-25"), TODAY)
    assert "majeures" in problems["date_naissance"][0]
    _, problems = check_request(_request(date_naissance="2008-11-24"), TODAY)
    assert problems == {}


def test_an_expired_document_is_refused():
    document = {
        "type": "passeport",
        "numero": "19AB12345",
        "date_expiration": "2026-11-23",
    }
    _, problems = check_request(_request(document=document), TODAY)
    assert "expiré" in problems["document.date_expiration"][0]


def test_a_residence_permit_needs_five_years():
    short = {
        "type": "titre_sejour",
        "numero": "RS1234567",
        "date_delivrance": "2025-01-10",
        "date_expiration": "2029-01-10",
    }
    _, problems = check_request(_request(document=short), TODAY)
    assert "5 ans" in problems["document.date_delivrance"][0]
    long = {**short, "date_expiration": "2030-01-10"}
    assert check_request(_request(document=long), TODAY)[1] == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"nom_naissance": "Dupont\x00"},
        {"nom_naissance": "x" * 61},
        {"nom_naissance": ""},
        {"prenoms": []},
        {"date_naissance": "２０００-03-01"},  # full-width digits
        {"date_naissance": "2000-02-30"},
        {"civilite": "Dr"},
        {"document": {"type": "permis", "numero": "X", "date_expiration": "x"}},
        {"document": {"type": "passeport", "numero": "١٢٣٤٥٦٧٨٩"}},  # Arabic digits
    ],
)
def test_hostile_values_are_refused(changes):
    assert check_request(_request(**changes), TODAY)[1]


def _identity() -> DigitalIdentity:
    return DigitalIdentity(
        account_id=uuid4(), personal="sealed", document_digest="d", requested_at=NOW
    )


def test_post_office_runs_to_an_active_identity():
    identity = _identity()
    identity.choose_post_office("n1", NOW, "c")
    assert identity.status == CHECKING and identity.mode == POST_OFFICE
    with pytest.raises(IdentityError):
        identity.check(AGENT, POST_OFFICE, NOW, "a1", "c", code_ok=False)
    assert identity.failures == 1
    identity.check(AGENT, POST_OFFICE, NOW, "a1", "c", code_ok=True)
    assert identity.status == VERIFIED and identity.decided_by == AGENT
    identity.activate(True, "hash", NOW)
    assert identity.status == ACTIVE


def test_the_post_office_deadline_is_fifteen_days():
    identity = _identity()
    identity.choose_post_office("n1", NOW, "c")
    assert identity.missed_deadline(NOW + timedelta(days=15)) is None
    assert identity.missed_deadline(NOW + timedelta(days=15, seconds=1)) == (
        POST_OFFICE_MISSED
    )
    identity.refuse(None, POST_OFFICE_MISSED, NOW, "c")
    assert identity.status == ENDED
    with pytest.raises(IdentityError):
        identity.check(AGENT, POST_OFFICE, NOW, "a", "c")
    identity.renew("sealed-2", "d", NOW)
    assert identity.status == "demandee" and identity.request_number == 2


def test_a_mode_cannot_be_checked_by_another_mode():
    identity = _identity()
    identity.choose_carrier(date(2026, 11, 26), NOW + timedelta(days=3))
    with pytest.raises(IdentityError):
        identity.check(AGENT, ONLINE, NOW, "a", "c")
    identity.check(AGENT, MAIL_CARRIER, NOW, "a", "c")
    assert identity.status == VERIFIED


def test_online_the_files_follow_the_letter_or_the_request_ends():
    identity = _identity()
    with pytest.raises(IdentityError, match="mode de vérification"):
        identity.submit_online(["u1"], NOW + timedelta(days=2))
    identity.choose_online("n", NOW, "c")
    assert identity.status == FILES_AWAITED and identity.mode == ONLINE
    with pytest.raises(IdentityError, match="lettre recommandée"):
        identity.check(AGENT, ONLINE, NOW, "a", "c")
    with pytest.raises(IdentityError):  # no agent refuses files not sent
        identity.refuse(AGENT, "Non", NOW, "c")
    assert identity.missed_deadline(NOW + timedelta(days=15)) is None
    reason = identity.missed_deadline(NOW + timedelta(days=15, seconds=1))
    assert reason is not None and "15 jours" in reason
    identity.refuse(None, reason, NOW + timedelta(days=16), "c")
    assert identity.status == "terminee"


def test_five_wrong_secret_codes_lock():
    identity = _identity()
    identity.choose_online("n", NOW, "c")
    identity.submit_online(["u1", "u2"], NOW + timedelta(days=2))
    identity.check(AGENT, ONLINE, NOW, "a", "c")
    identity.activate(True, "hash", NOW)
    for _ in range(4):
        with pytest.raises(IdentityError) as refused:
            identity.try_secret(False, NOW, "c")
        assert not isinstance(refused.value, IdentityLocked)
    with pytest.raises(IdentityLocked):
        identity.try_secret(False, NOW, "c")
    assert identity.status == LOCKED
    with pytest.raises(IdentityLocked):
        identity.try_secret(True, NOW, "c")


def test_the_mail_carrier_never_comes_on_a_weekend_or_a_public_holiday():
    # From Sunday 27 April 2025: 1 and 8 May (Thursdays) and Ascension
    # (29 May) are public holidays everywhere in France.
    slots = carrier_slots(date(2025, 4, 27))
    assert slots[0] == date(2025, 4, 29)  # the day after tomorrow, a Tuesday
    assert date(2025, 5, 1) not in slots and date(2025, 5, 8) not in slots
    assert all(day.weekday() < 5 for day in slots)
    assert date(2025, 5, 2) in slots and len(slots) == 10
    assert slots[-1] == date(2025, 5, 14)


def test_the_online_review_counts_paris_working_days():
    # Wednesday 13 May 2026, 12:00 in Paris; Thursday 14 is Ascension Day.
    sent = datetime(2026, 5, 13, 10, 0, tzinfo=UTC)
    assert review_deadline(sent) == datetime(2026, 5, 18, 10, 0, tzinfo=UTC)
    # Friday 23:30 in Paris (21:30 UTC): the half hour left of Friday, then
    # Monday and Tuesday; a Friday evening in UTC is already Saturday in Paris.
    friday = datetime(2026, 6, 5, 21, 30, tzinfo=UTC)
    assert review_deadline(friday) == datetime(2026, 6, 9, 21, 30, tzinfo=UTC)
    saturday_in_paris = datetime(2026, 6, 5, 22, 30, tzinfo=UTC)
    assert review_deadline(saturday_in_paris) == datetime(2026, 6, 9, 22, 0, tzinfo=UTC)
    # Over the change to summer time (Sunday 29 March 2026): 48 real hours.
    before = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # Friday, 10:00 in Paris
    assert review_deadline(before) == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
