"""« Exporter (CSV) » on « Réservations » and « Paiements et factures »
(EX-1), in headless Chromium: the downloaded files open as a French
spreadsheet reads them."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path
from uuid import uuid4

import requests
from playwright.sync_api import Page, expect

from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.e2e.test_checkout_api import _pay
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import sign_in_as


def downloaded(page: Page, tmp_path: Path, filename: str) -> list[list[str]]:
    """Click the page's export button; the file's rows as a spreadsheet reads
    them (BOM stripped, `;`)."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter (CSV)").click()
    assert download.value.suggested_filename == filename
    saved = tmp_path / filename
    download.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_school_downloads_its_reservations_and_payments_as_csv(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    tmp_path: Path,
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-EXPORT", "Besançon", 47.24, 6.02)
    exam = next_weekday(3, 3)
    session = scheduling.schedule_session(site, exam, 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=secrets.randbelow(10**8))
    held = requests.post(
        f"{gateway}/api/panier",
        json={"neph": neph, "session": session["id"]},
        headers=school["headers"],
    )
    assert held.status_code == 201, held.text
    assert _pay(gateway, school, str(uuid4())).status_code == 201

    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/reservations")
    expect(page.locator("#reservations tbody tr[data-reservation]")).to_contain_text(
        "confirmée"
    )
    header, *rows = downloaded(page, tmp_path, "reservations.csv")
    assert header[:3] == ["NEPH", "Candidat", "Date de l'examen"]
    assert [row[:2] + row[4:7] for row in rows] == [
        [neph, "Test Siège0", "Centre Besançon", "Besançon", "confirmée"]
    ]
    assert rows[0][2:4] == [exam.strftime("%d/%m/%Y"), "09:00"]

    page.get_by_role("link", name="Paiements et factures").click()
    expect(page.locator("#paiements tbody tr")).to_contain_text("payé")
    header, *rows = downloaded(page, tmp_path, "paiements.csv")
    assert header[3:6] == ["Moyen de paiement", "Places", "Montant TTC"]
    assert [row[3:7] for row in rows] == [["Carte bancaire", "1", "30,00", "payé"]]
