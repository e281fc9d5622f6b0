"""« Résultats » in headless Chromium against the real stack (RE-1, RE-2,
EX-1): a centre's results imported, nothing shown before 24 hours after the
exam, then the list with pass, fail, absent and validity, each result's PDF, the
session's PDF and the CSV export."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import requests
from playwright.sync_api import Page, expect

from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import pmc, travel  # noqa: F401
from tests.e2e.test_booking_api import activated_files, centre, next_weekday
from tests.e2e.test_checkout_api import _pay
from tests.e2e.test_erasure import _signed_in_again
from tests.helpers import pdf_text, wait_for
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import sign_in_as
from tests.web.test_export_pages import downloaded


def _confirmed(gateway: str, school: dict) -> list[dict]:
    answer = requests.get(f"{gateway}/api/reservations", headers=school["headers"])
    assert answer.status_code == 200, answer.text
    return [r for r in answer.json()["items"] if r["status"] == "confirmée"]


def _saved(page: Page, tmp_path: Path, name: str) -> bytes:
    """Click the button named `name`; the downloaded file's bytes."""
    with page.expect_download() as download:
        page.get_by_role("button", name=name).click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    return saved.read_bytes()


def test_the_school_sees_its_results_a_day_after_the_exam_and_downloads_them(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    pmc,  # noqa: F811
    travel,  # noqa: F811
    tmp_path: Path,
):
    scheduling, candidates = apps
    school = new_school()
    site = centre(scheduling, "PAGE-RESULTATS", "Besançon", 47.24, 6.02)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    nephs = activated_files(candidates, school, 3, first=secrets.randbelow(10**8))
    for neph in nephs:
        held = requests.post(
            f"{gateway}/api/panier",
            json={"neph": neph, "session": session["id"]},
            headers=school["headers"],
        )
        assert held.status_code == 201, held.text
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    wait_for(lambda: len(_confirmed(gateway, school)) == 3, 60)
    by_neph = {r["neph"]: r for r in _confirmed(gateway, school)}
    passed, failed, absent = (by_neph[n]["id"] for n in nephs)
    exam = datetime.fromisoformat(by_neph[nephs[0]]["exam_starts_at"])

    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    file = tmp_path / "resultats.csv"
    file.write_text(
        f"reservation;note\n{passed};37\n{failed};20\n{absent};absent\n",
        encoding="utf-8",
    )
    # Booking's confirmations reach results a moment after the school's list.
    wait_for(lambda: pmc("import-results", str(file)).returncode == 0, 60)

    school = _signed_in_again(gateway, school)  # days later: a new token
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/resultats")
    expect(page.locator("#resultats-message")).to_have_text("Aucun résultat publié.")

    travel(timedelta(hours=24))
    school = _signed_in_again(gateway, school)  # the token has expired
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace")
    page.get_by_role("link", name="Résultats").click()
    rows = page.locator("#resultats tbody tr")

    def all_out() -> bool:
        # The release sweep runs every second: reload until all are out.
        page.reload()
        page.wait_for_load_state("networkidle")
        return rows.count() == 3

    wait_for(all_out, 30)
    validity = exam.date().replace(year=exam.year + 5)
    expect(rows.filter(has_text=nephs[0])).to_contain_text("37/40")
    expect(rows.filter(has_text=nephs[0])).to_contain_text("admis")
    expect(rows.filter(has_text=nephs[1])).to_contain_text("ajourné")
    expect(rows.filter(has_text=nephs[2])).to_contain_text("absent")
    expect(rows.filter(has_text=nephs[2])).not_to_contain_text("/40")

    header, *lines = downloaded(page, tmp_path, "resultats.csv")
    assert header == [
        "NEPH",
        "Candidat",
        "Date de l'examen",
        "Heure",
        "Centre",
        "Ville",
        "Note sur 40",
        "Résultat",
        "Valable jusqu'au",
    ]
    assert sorted(line[:2] + line[4:] for line in lines) == [
        [nephs[0], "Test Siège0", "Centre Besançon", "Besançon", "37", "admis",
         validity.strftime("%d/%m/%Y")],
        [nephs[1], "Test Siège1", "Centre Besançon", "Besançon", "20", "ajourné", ""],
        [nephs[2], "Test Siège2", "Centre Besançon", "Besançon", "", "absent", ""],
    ]  # fmt: skip

    one = pdf_text(_saved(page, tmp_path, "Télécharger le résultat de Test Siège0"))
    assert "Test Siège0" in one and nephs[0] in one and "37/40" in one
    assert validity.strftime("%d/%m/%Y") in one
    both = pdf_text(_saved(page, tmp_path, "Télécharger les résultats de la session"))
    assert "Test Siège0" in both and "Test Siège1" in both and "ajourné" in both

    # Searched by name: only that candidate.
    page.get_by_label("Nom du candidat ou NEPH").fill("siege1")
    page.get_by_role("button", name="Rechercher").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(nephs[1])
