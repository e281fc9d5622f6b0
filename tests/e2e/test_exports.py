"""A school exports its reservations and its payments (EX-1) and opens them
as a French spreadsheet would: BOM, `;`, French columns and dates, decimal
commas, accents intact, a formula typed as a name shown as text, and nothing
of another school, on the real stack."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from uuid import uuid4

import requests

from services.booking.rules import PARIS
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_cancellation_api import _cancel
from tests.e2e.test_checkout_api import _pay, _statuses
from tests.e2e.test_erasure import _birth_date, _confirm, _create, _file, _neph
from tests.helpers import pdf_text, wait_for

FORMULA = '=HYPERLINK("x")'


def _paid_seat(gateway, school, scheduling, candidates, given_names, birth_name):
    """A candidate's seat at Besançon, paid: (NEPH, reservation, payment)."""
    neph, line = _held_seat(
        gateway, school, scheduling, candidates, given_names, birth_name
    )
    paid = _pay(gateway, school, str(uuid4()))
    assert paid.status_code == 201, paid.text
    wait_for(lambda: _statuses(gateway, school).get(line["id"]) == "confirmée", 30)
    return neph, line, paid.json()


def _held_seat(gateway, school, scheduling, candidates, given_names, birth_name):
    """A candidate's seat at Besançon, in the cart: (NEPH, reservation)."""
    neph = _neph()
    data = {
        **_file(neph, birth_name, _birth_date()),
        "birth_name": birth_name,
        "given_names": given_names,
        "email": f"export{neph}@example.fr",
    }
    _confirm(candidates, _create(gateway, school, data))
    site = centre(scheduling, "TEST-EXPORT", "Besançon", 47.24, 6.02)
    session = scheduling.schedule_session(site, next_weekday(2, 3), 18, COLLECTIVE)
    held = hold(gateway, school, neph, session["id"])
    assert held.status_code == 201, held.text
    return neph, held.json()


def _exported(gateway: str, school: dict, path: str, **params: str):
    """The file as downloaded, then its rows as a spreadsheet reads them."""
    answer = requests.get(
        f"{gateway}{path}", params=params, headers=school["headers"], timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM: accents shown right
    assert b"\r\n" in answer.content and b"\n" not in answer.content.replace(
        b"\r\n", b""
    )
    text = answer.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_a_school_exports_its_own_reservations_and_payments_for_a_spreadsheet(
    gateway, new_school, scheduling, candidates
):
    school, other = new_school(), new_school()
    neph, line, payment = _paid_seat(
        gateway, school, scheduling, candidates, FORMULA, "Dupré-Éloïse"
    )
    their_neph, _, their_payment = _paid_seat(
        gateway, other, scheduling, candidates, "Zoé", "Ferrière"
    )

    header, *rows = _exported(gateway, school, "/api/reservations/export")
    assert header == [
        "NEPH",
        "Candidat",
        "Date de l'examen",
        "Heure",
        "Centre",
        "Ville",
        "Statut",
        "Modifiable jusqu'au",
        "Payée le",
    ]
    exam = datetime.fromisoformat(line["exam_starts_at"]).astimezone(PARIS)
    [row] = rows
    shown = dict(zip(header, row, strict=True))
    # The formula is text to the spreadsheet; the name's accents are intact.
    assert shown["Candidat"] == f"'{FORMULA} Dupré-Éloïse"
    assert shown["NEPH"] == neph
    assert shown["Date de l'examen"] == exam.strftime("%d/%m/%Y")
    assert shown["Heure"] == "09:00"
    assert (shown["Centre"], shown["Ville"]) == ("Centre Besançon", "Besançon")
    assert shown["Statut"] == "confirmée"
    assert shown["Modifiable jusqu'au"].endswith(" 23:59")
    assert shown["Payée le"] == datetime.now(PARIS).strftime("%d/%m/%Y")
    # Nothing of the other school's, which exports its own only.
    assert their_neph not in str(rows) and "Ferrière" not in str(rows)
    _, *theirs = _exported(gateway, other, "/api/reservations/export")
    assert [r[0] for r in theirs] == [their_neph]
    # The same search as the list: a NEPH that is not theirs finds nothing.
    _, *found = _exported(
        gateway, school, "/api/reservations/export", recherche=their_neph
    )
    assert found == []

    def paid_in_the_list() -> list[list[str]] | None:
        # Billing's list is a read model: the capture lands there a moment after.
        exported = _exported(gateway, school, "/api/paiements/export")
        return exported if "payé" in exported[-1] else None

    header, *rows = wait_for(paid_in_the_list, 30)
    assert header == [
        "Date",
        "Heure",
        "Référence",
        "Moyen de paiement",
        "Places",
        "Montant TTC",
        "Statut",
        "Payé le",
        "Facture n°",
        "Avoirs",
        "Remboursé TTC",
    ]
    [row] = rows
    shown = dict(zip(header, row, strict=True))
    assert shown["Date"] == datetime.now(PARIS).strftime("%d/%m/%Y")
    assert shown["Référence"] == payment["id"] != their_payment["id"]
    assert shown["Moyen de paiement"] == "Carte bancaire"
    assert (shown["Places"], shown["Montant TTC"]) == ("1", "30,00")
    assert shown["Statut"] == "payé"
    assert shown["Payé le"] == shown["Date"]
    # The invoice's number as the invoice itself prints it.
    invoice = requests.get(
        f"{gateway}/api/paiements/{payment['id']}/facture", headers=school["headers"]
    )
    number = f"F{datetime.now(PARIS):%Y}-{payment['invoice_number']:06d}"
    assert shown["Facture n°"] == number and number in pdf_text(invoice.content)
    assert shown["Avoirs"] == shown["Remboursé TTC"] == ""  # nothing refunded
    _, *theirs = _exported(gateway, other, "/api/paiements/export")
    assert [r[2] for r in theirs] == [their_payment["id"]]


def test_the_files_say_when_a_seat_was_paid_and_which_credit_notes_a_payment_has(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    kept, _, payment = _paid_seat(
        gateway, school, scheduling, candidates, "Anaïs", "Lefèvre"
    )
    gone, cancelled, other_payment = _paid_seat(
        gateway, school, scheduling, candidates, "Noé", "Garnier"
    )
    waiting, _ = _held_seat(gateway, school, scheduling, candidates, "Inès", "Roux")
    done = _cancel(gateway, school, cancelled["id"])
    assert done.status_code == 200, done.text

    # Paid today (Paris) whether kept or cancelled since; empty until paid.
    header, *rows = _exported(gateway, school, "/api/reservations/export")
    paid_on = {row[0]: row[header.index("Payée le")] for row in rows}
    today = datetime.now(PARIS).strftime("%d/%m/%Y")
    assert paid_on == {kept: today, gone: today, waiting: ""}

    # The credit note as the PDF prints it, in its payment's row only.
    note = wait_for(
        lambda: (
            (
                r := requests.get(
                    f"{gateway}/api/reservations/{cancelled['id']}/avoir",
                    headers=school["headers"],
                )
            ).status_code
            == 200
            and r
        ),
        30,
    )
    number = re.search(r"A\d{4}-\d{6}", pdf_text(note.content)).group()

    def refunded_in_the_list() -> dict[str, dict[str, str]] | None:
        # Billing's list is a read model: the refund lands there a moment after.
        header, *rows = _exported(gateway, school, "/api/paiements/export")
        shown = {r[2]: dict(zip(header, r, strict=True)) for r in rows}
        return shown if shown[other_payment["id"]]["Avoirs"] else None

    shown = wait_for(refunded_in_the_list, 30)
    assert shown[other_payment["id"]]["Avoirs"] == f"{number} (30,00 €)"
    assert shown[other_payment["id"]]["Remboursé TTC"] == "30,00"
    # Its payment stays paid: the credit note gives one seat back, not it.
    assert shown[other_payment["id"]]["Statut"] == "payé"
    assert shown[payment["id"]]["Avoirs"] == shown[payment["id"]]["Remboursé TTC"] == ""
