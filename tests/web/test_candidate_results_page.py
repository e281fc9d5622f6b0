"""The candidate's results in their space, in headless Chromium against the
real stack (RE-2): nothing before the release, 24 hours after the exam; then
« Résultats » with the score, the outcome and the validity of a pass, and
the result's PDF downloaded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import Page, expect

from services.common.documents import short_date
from services.results.domain import valid_until
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import pmc, travel  # noqa: F401
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_candidate_account import PASSWORD
from tests.e2e.test_candidate_space import _own_files, _signed_in_candidate
from tests.e2e.test_checkout_api import _pay, _statuses
from tests.helpers import one_line, pdf_text, wait_for
from tests.web.pages_tour import serious_violations
from tests.web.test_booking_pages import apps  # noqa: F401

DOWNLOAD = re.compile(r"^Télécharger le résultat \(PDF\) — Examen du ")


def _sign_in(page: Page, gateway: str, email: str) -> None:
    page.goto(f"{gateway}/candidat/espace")
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Me connecter").click()


def test_the_candidate_sees_their_result_once_released_and_downloads_it(
    page: Page,
    gateway: str,
    new_school,
    mail_folder,
    apps,  # noqa: F811
    pmc,  # noqa: F811
    travel,  # noqa: F811
    tmp_path: Path,
):
    scheduling, _ = apps
    school = new_school()
    candidate = _signed_in_candidate(gateway, mail_folder, school)
    [file] = _own_files(gateway, candidate)
    site = centre(scheduling, "PAGE-RESULTAT-CAND", "Dijon", 47.32, 5.04)
    session = scheduling.schedule_session(site, next_weekday(3, 2), 18, COLLECTIVE)
    held = hold(gateway, school, file["neph"], session["id"])
    assert held.status_code == 201, held.text
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    reservation = held.json()["id"]
    wait_for(lambda: _statuses(gateway, school).get(reservation) == "confirmée", 60)
    exam = datetime.fromisoformat(session["starts_at"])

    travel(exam - datetime.now(UTC) + timedelta(hours=1))
    scores = tmp_path / "resultats.csv"
    scores.write_text(f"reservation;note\n{reservation};36\n", encoding="utf-8")
    # Booking's confirmation reaches results a moment after the school's list.
    wait_for(lambda: pmc("import-results", str(scores)).returncode == 0, 60)

    # Recorded, not released yet: the file shows, no result.
    travel(timedelta(hours=22, minutes=58))
    _sign_in(page, gateway, candidate["email"])
    item = page.locator("#liste-dossiers li[data-dossier]")
    expect(item).to_contain_text("État : activé")
    expect(item.get_by_role("heading", name="Résultats")).to_have_count(0)

    travel(timedelta(minutes=2))

    def released() -> bool:
        # The release sweep runs every second: reload until it is out.
        page.reload()
        page.wait_for_load_state("networkidle")
        return page.get_by_role("heading", name="Résultats").count() == 1

    wait_for(released, 30)
    results = page.get_by_role("group", name="Résultats")
    expect(results).to_contain_text("Centre Dijon, Dijon")
    expect(results).to_contain_text("Note : 36/40 — Résultat : admis")
    valid = short_date(valid_until(exam, 36))
    expect(results).to_contain_text(f"Valable jusqu'au {valid}")
    assert serious_violations(page) == []

    with page.expect_download() as download:
        results.get_by_role("button", name=DOWNLOAD).click()
    assert download.value.suggested_filename == "resultat.pdf"
    text = one_line(pdf_text(Path(download.value.path()).read_bytes()))
    assert "Résultat de l'examen du code de la route" in text
    assert f"NEPH : {file['neph']}" in text
    assert "Note : 36/40" in text and "Résultat : admis" in text
    assert f"Valable jusqu'au {valid}" in text
