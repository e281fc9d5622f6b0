"""Billing keeps nobody's data in clear, on the real stack (issue 11): after a
card and a SEPA checkout, no table of billing's schema holds a candidate's
name or NEPH, the mandate's holder or the IBAN; the school still downloads
invoices naming its candidates, and the bank's file still has the account."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from uuid import UUID, uuid4

import requests

from services.scheduling.domain import COLLECTIVE
from tests.billing.test_sealed_checkouts import unique_iban
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_checkout_api import PARIS_TZ, _pay, _statuses, payments_of
from tests.e2e.test_erasure import (
    _birth_date,
    _confirm,
    _create,
    _file,
    _marker,
    _neph,
    where_found,
)
from tests.helpers import one_line, pdf_text, wait_for


def _held(gateway, school, candidates, session_id: str, name: str) -> str:
    """A confirmed candidate named `name`, a seat held for them; their NEPH."""
    candidate_id = _create(gateway, school, _file(_neph(), name, _birth_date()))
    _confirm(candidates, candidate_id)
    neph = candidates.get_file(UUID(candidate_id))["neph"]
    held = hold(gateway, school, neph, session_id)
    assert held.status_code == 201, held.text
    return neph


def _confirmed(gateway, school) -> None:
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})


def test_billing_keeps_no_name_neph_holder_nor_iban_in_clear(
    gateway, settings, new_school, scheduling, candidates, pmc
):
    school = new_school()
    name, holder, iban = _marker(), _marker(), unique_iban()
    site = centre(scheduling, "TEST-SCELLE", "Lyon", 45.76, 4.84)
    weeks = random.randrange(2, 6)
    session = scheduling.schedule_session(site, next_weekday(3, weeks), 18, COLLECTIVE)
    by_card = _held(gateway, school, candidates, session["id"], name)
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    _confirmed(gateway, school)
    by_sepa = _held(gateway, school, candidates, session["id"], name)
    paid = requests.post(
        f"{gateway}/api/paiement/sepa",
        json={
            "cgv": True,
            "iban": iban,
            "bic": "PSSTFRPPLIL",
            "titulaire": f"Mme {holder}",
            "cle": str(uuid4()),
        },
        headers=school["headers"],
    )
    assert paid.status_code == 201, paid.text
    _confirmed(gateway, school)

    # The school's list of payments and its invoices.
    def paid_rows() -> list[dict]:
        return [p for p in payments_of(gateway, school) if p["status"] == "payé"]

    wait_for(lambda: len(paid_rows()) == 2)
    rows = paid_rows()
    shown = []
    for row in rows:
        pdf = requests.get(
            f"{gateway}/api/paiements/{row['id']}/facture", headers=school["headers"]
        )
        assert pdf.status_code == 200
        shown.append(one_line(pdf_text(pdf.content)).lower())
    for neph in (by_card, by_sepa):
        assert [t for t in shown if name.lower() in t and neph in t]
    # The bank's file debits the account, in the holder's name.
    today = datetime.now(UTC).astimezone(PARIS_TZ).date().isoformat()
    exported = pmc("sepa-file", today)
    assert exported.returncode == 0, exported.stderr
    assert f"<IBAN>{iban}</IBAN>" in exported.stdout
    assert f"Mme {holder}" in exported.stdout

    traces = [name, holder, iban, by_card, by_sepa]
    found = where_found(settings, traces)
    assert {(s, t) for s, t in found if s == "billing"} == set()
