"""Returned SEPA debits against the real stack (BI-1): the bank's file imported
with `pmc sepa-returns` cancels the reservations the debit paid for, frees
their seats, tells the school, and limits it to card payments; the same file
twice, or a hostile one, changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import requests

from services.billing.provider import APPROVED_TOKEN
from services.billing.standing import CARD_ONLY
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import mails_to, wait_for
from tests.sepa_files import BILLION_LAUGHS, XXE, Return, camt054, pain002

PARIS = ZoneInfo("Europe/Paris")
UNPAID_SUBJECT = "Prélèvement SEPA impayé : réservations annulées"
CANCELLED = "annulée (prélèvement impayé)"
BANK = {
    "iban": "FR14 2004 1010 0505 0001 3M02 606",
    "bic": "PSSTFRPPLIL",
    "titulaire": "Auto-école du Centre",
}


def _session(scheduling, code: str) -> UUID:
    site = centre(scheduling, code, "Villeurbanne", 45.77, 4.88)
    return UUID(
        scheduling.schedule_session(site, next_weekday(2, 3), 18, COLLECTIVE)["id"]
    )


def _hold_seats(gateway, school, candidates, session_id: UUID, count: int, first: int):
    nephs = activated_files(candidates, school, count, first=first)
    held = [hold(gateway, school, n, str(session_id)) for n in nephs]
    assert all(r.status_code == 201 for r in held), [r.text for r in held]
    return [r.json()["id"] for r in held]


def _pay_sepa(gateway, school, key: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/paiement/sepa",
        json={"cgv": True, "cle": key, **BANK},
        headers=school["headers"],
    )


def _payments(gateway, school) -> list[dict]:
    answer = requests.get(f"{gateway}/api/paiements", headers=school["headers"])
    return answer.json()["items"]


def _statuses(gateway, school) -> dict[str, str]:
    items = requests.get(f"{gateway}/api/reservations", headers=school["headers"])
    return {r["id"]: r["status"] for r in items.json()["items"]}


def _debit_in_bank_file(pmc, invoice: int) -> tuple[str, str]:
    """The end-to-end id and mandate reference of the invoice's debit, as
    today's pain.008 gives them to the bank."""
    today = datetime.now(UTC).astimezone(PARIS).date()
    exported = pmc("sepa-file", today.isoformat())
    assert exported.returncode == 0, exported.stderr
    e2e = f"F{today:%Y}{invoice:06d}"
    (debit,) = [
        block
        for block in exported.stdout.split("<DrctDbtTxInf>")
        if f"<EndToEndId>{e2e}</EndToEndId>" in block
    ]
    return e2e, re.search(r"<MndtId>([^<]+)</MndtId>", debit).group(1)


def _school_paid_by_sepa(gateway, new_school, scheduling, candidates, code, first):
    school = new_school()
    session_id = _session(scheduling, code)
    lines = _hold_seats(gateway, school, candidates, session_id, 2, first)
    paid = _pay_sepa(gateway, school, "sepa-retour-1")
    assert paid.status_code == 201, paid.text
    wait_for(lambda: set(_statuses(gateway, school).values()) == {"confirmée"})
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 16)
    (payment,) = wait_for(
        lambda: [p for p in _payments(gateway, school) if p["status"] == "payé"]
    )
    return school, session_id, lines, payment


def _import(pmc, tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return pmc("sepa-returns", str(path))


def _unpaid_mails(mail_folder, school) -> list:
    return [
        m
        for m in mails_to(mail_folder, school["email"])
        if m["Subject"] == UNPAID_SUBJECT
    ]


def test_a_returned_debit_cancels_its_reservations_and_limits_the_school_to_card(
    gateway, new_school, scheduling, candidates, pmc, mail_folder, tmp_path
):
    school, session_id, lines, payment = _school_paid_by_sepa(
        gateway, new_school, scheduling, candidates, "TEST-RETOUR-1", first=9610
    )
    e2e, mandate = _debit_in_bank_file(pmc, payment["invoice_number"])
    file = camt054([Return(e2e, "AM04", mandate, "60.00")], credits=1)

    imported = _import(pmc, tmp_path, "camt054.xml", file)
    assert imported.returncode == 0, imported.stderr
    assert "appliqué — provision insuffisante (AM04)" in imported.stdout

    # The reservations are cancelled, their seats free in the search again.
    wait_for(lambda: set(_statuses(gateway, school).values()) == {CANCELLED})
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 18)
    convocation = requests.get(
        f"{gateway}/api/reservations/{lines[0]}/convocation", headers=school["headers"]
    )
    assert convocation.status_code == 409
    # The payment shows « impayé » and why.
    (row,) = wait_for(
        lambda: [p for p in _payments(gateway, school) if p["status"] == "impayé"]
    )
    assert row["reason"] == "provision insuffisante (AM04)"
    # The school is told which candidates lost their seat, why, and what to do.
    (mail,) = wait_for(lambda: _unpaid_mails(mail_folder, school))
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Test Siège0 (NEPH 200000009610)" in body
    assert "Test Siège1 (NEPH 200000009611)" in body
    assert "provision insuffisante (code AM04)" in body
    assert "payer par carte bancaire" in body
    assert "convocations ne sont plus valables" in body

    # SEPA is refused now, in French; the card works.
    new_session = _session(scheduling, "TEST-RETOUR-1B")
    _hold_seats(gateway, school, candidates, new_session, 1, first=9615)
    refused = _pay_sepa(gateway, school, "sepa-retour-2")
    assert refused.status_code == 409
    assert refused.json()["message"] == CARD_ONLY
    by_card = requests.post(
        f"{gateway}/api/paiement/carte",
        json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": "carte-apres-retour"},
        headers=school["headers"],
    )
    assert by_card.status_code == 201, by_card.text

    # The same file again, and the same return as a pain.002: nothing more.
    again = _import(pmc, tmp_path, "camt054-bis.xml", file)
    assert again.returncode == 0 and "déjà enregistré" in again.stdout
    report = _import(pmc, tmp_path, "pain002.xml", pain002([Return(e2e, "MS02")]))
    assert report.returncode == 0 and "déjà enregistré" in report.stdout
    assert scheduling.session(session_id)["free_seats"] == 18
    assert len(_unpaid_mails(mail_folder, school)) == 1
    assert [p["reason"] for p in _payments(gateway, school) if p["reason"]] == [
        "provision insuffisante (AM04)"
    ]


def test_a_pain002_rejection_applies_and_hostile_files_change_nothing(
    gateway, new_school, scheduling, candidates, pmc, mail_folder, tmp_path
):
    school, session_id, _, payment = _school_paid_by_sepa(
        gateway, new_school, scheduling, candidates, "TEST-RETOUR-2", first=9620
    )
    other, _, _, theirs = _school_paid_by_sepa(
        gateway, new_school, scheduling, candidates, "TEST-RETOUR-3", first=9630
    )
    e2e, mandate = _debit_in_bank_file(pmc, payment["invoice_number"])
    _, their_mandate = _debit_in_bank_file(pmc, theirs["invoice_number"])
    good = pain002([Return(e2e, "AC04", mandate, "60.00")], accepted=1)

    hostile = {
        "xxe.xml": XXE,
        "laughs.xml": BILLION_LAUGHS,
        "huge.xml": good + b" " * (6 * 1024 * 1024),
        "namespace.xml": good.replace(b"pain.002.001.03", b"pain.002.001.99"),
        "controle.xml": good.replace(e2e.encode(), e2e.encode()[:4] + b"\x07"),
        "vide.xml": b"",
    }
    for name, content in hostile.items():
        refused = _import(pmc, tmp_path, name, content)
        assert refused.returncode == 2, (name, refused.stdout)
        assert refused.stderr.startswith("Fichier refusé : "), (name, refused.stderr)
    # My invoice with another school's mandate: reported, applied to nobody.
    crossed = pain002([Return(e2e, "AC04", their_mandate)])
    reported = _import(pmc, tmp_path, "croise.xml", crossed)
    assert reported.returncode == 1
    assert "la référence de mandat est celle d'un autre paiement" in reported.stdout
    unknown = _import(pmc, tmp_path, "inconnu.xml", pain002([Return("F1999000001")]))
    assert unknown.returncode == 1 and "référence inconnue" in unknown.stdout
    assert {p["status"] for p in _payments(gateway, school)} == {"payé"}
    assert {p["status"] for p in _payments(gateway, other)} == {"payé"}
    assert scheduling.session(session_id)["free_seats"] == 16

    applied = _import(pmc, tmp_path, "pain002.xml", good)
    assert applied.returncode == 0, applied.stderr
    assert "pain.002 : 1 prélèvement(s) retourné(s), 1 autre(s)" in applied.stdout
    wait_for(lambda: set(_statuses(gateway, school).values()) == {CANCELLED})
    wait_for(lambda: scheduling.session(session_id)["free_seats"] == 18)
    (mail,) = wait_for(lambda: _unpaid_mails(mail_folder, school))
    assert (
        "compte clôturé (code AC04)"
        in mail.get_body(preferencelist=("plain",)).get_content()
    )
    # The other school is untouched: paid, confirmed, told nothing, SEPA open.
    assert set(_statuses(gateway, other).values()) == {"confirmée"}
    assert _unpaid_mails(mail_folder, other) == []
    assert {p["status"] for p in _payments(gateway, other)} == {"payé"}
