"""The digital identity's rules and state machine, in the domain alone (ID-7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from services.identity.digital_identity import (
    ACTIVE,
    CHECKING,
    ENDED,
    LOCKED,
    MAIL_CARRIER,
    ONLINE,
    POST_OFFICE,
    POST_OFFICE_MISSED,
    VERIFIED,
    DigitalIdentity,
    IdentityError,
    IdentityLocked,
)
from services.identity.identity_rules import check_request

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


def test_five_wrong_secret_codes_lock():
    identity = _identity()
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
