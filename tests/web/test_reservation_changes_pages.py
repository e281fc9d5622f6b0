"""« Réservations » after payment in headless Chromium (BO-6, BO-7, BI-4,
BO-8): a paid seat moved to another slot, another cancelled with its credit
note downloaded, the history of each, and no button once the deadline is past."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, Route, expect

from services.booking.deadlines import changes_allowed_until
from services.booking.rules import PARIS
from services.common.documents import DAYS, MONTHS
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import travel  # noqa: F401
from tests.e2e.test_booking_api import centre, next_weekday
from tests.e2e.test_cancellation_api import _paid_session
from tests.e2e.test_erasure import _signed_in_again
from tests.e2e.test_sepa_refunds import _paid_by_sepa
from tests.helpers import one_line, pdf_text
from tests.web.pages_tour import serious_violations, sideways_overflow
from tests.web.test_booking_pages import apps  # noqa: F401
from tests.web.test_candidate_pages import sign_in_as


def _french_day(at: datetime) -> str:
    """« mardi 12 janvier », as the page writes a day (Paris time)."""
    day = at.astimezone(PARIS)
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def _paid_seats(gateway, school, scheduling, candidates, first: int) -> dict:
    """Two seats of a Monday session two weeks ahead in Lyon, paid by card,
    and a Thursday session three weeks ahead in the same centre."""
    paid = _paid_session(gateway, school, scheduling, candidates, first)
    site = centre(scheduling, "TEST-ANNUL", "Lyon", 45.76, 4.84)  # the same
    monday = paid["session"]
    return {
        **paid,
        "site": site,
        "monday": monday,
        "thursday": scheduling.schedule_session(
            site, next_weekday(3, 3), 18, COLLECTIVE
        ),
        "until": changes_allowed_until(
            datetime.fromisoformat(monday["starts_at"]), "69"
        ),
    }


def test_a_paid_seat_is_moved_another_cancelled_and_its_credit_note_downloaded(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    tmp_path,
):
    scheduling, candidates = apps
    school = new_school()
    paid = _paid_seats(gateway, school, scheduling, candidates, first=9700)
    moved_id, cancelled_id = paid["lines"]
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/reservations")
    moved = page.locator(f"#reservations tr[data-reservation='{moved_id}']")
    cancelled = page.locator(f"#reservations tr[data-reservation='{cancelled_id}']")
    # A Monday exam: until the Tuesday before, 23:59 Paris time.
    expect(moved).to_contain_text(
        f"Modifiable jusqu'au {_french_day(paid['until'])} à 23 h 59"
    )

    # Modifier: the search, the centre, the Thursday slot, confirmed.
    moved.get_by_role("button", name="Modifier la réservation de Test Siège0").click()
    panel = page.locator("#modification")
    expect(panel.get_by_role("heading", level=3)).to_have_text(
        "Modifier la réservation de Test Siège0"
    )
    expect(panel.get_by_label("Ville ou code postal")).to_have_value("Lyon")
    panel.get_by_role("button", name="Rechercher un créneau").click()
    expect(page.locator("#modification-message")).to_contain_text("de Lyon (Rhône)")
    panel.locator(f"li[data-centre='{paid['site']}'] button").click()
    # Chosen from the list, the centre's pin shows on the map, as on Inscription.
    pin = panel.locator(f".epingle[data-centre='{paid['site']}']")
    expect(pin).to_have_class(re.compile("choisi"))
    current = panel.locator(f"li[data-session='{paid['monday']['id']}']")
    expect(current).to_contain_text("créneau actuel")
    expect(current.get_by_role("button")).to_be_disabled()
    assert serious_violations(page) == []  # the search, the map and the slots
    panel.locator(f"li[data-session='{paid['thursday']['id']}']").get_by_role(
        "button", name="Choisir ce créneau pour Test Siège0"
    ).click()
    question = page.get_by_role("dialog")
    expect(question).to_contain_text("Déplacer l'examen de Test Siège0 au jeudi")
    question.get_by_role("button", name="Confirmer la modification").click()
    message = page.locator("#reservations-message")
    expect(message).to_contain_text("Créneau de Test Siège0 modifié : jeudi")
    expect(panel).to_be_hidden()
    thursday = datetime.fromisoformat(paid["thursday"]["starts_at"])
    expect(moved).to_contain_text(_french_day(thursday))
    expect(moved).to_contain_text("confirmée")

    # Its history: every step in order, with who did it.
    moved.get_by_role(
        "button", name="Historique de la réservation de Test Siège0"
    ).click()
    steps = page.locator(f"#historique-{moved_id} li")
    expect(steps.first).to_contain_text(
        "Place réservée, dans le panier (par l'auto-école)"
    )
    # The platform's own steps (convocations sent) come in between, later.
    _in_order(
        steps.all_inner_texts(),
        ["Place réservée", "Payée : réservation confirmée", "Créneau modifié : du"],
    )
    expect(steps.filter(has_text="Créneau modifié")).to_contain_text(
        re.compile(r"Créneau modifié : du \d\d/\d\d/\d{4} à 09 h 00 \(Centre Lyon\)")
    )

    # Annuler: kept when the school says no, cancelled when it confirms.
    drop = cancelled.get_by_role("button", name="Annuler la réservation de Test Siège1")
    drop.click()
    page.get_by_role("dialog").get_by_role(
        "button", name="Garder la réservation"
    ).click()
    expect(cancelled).to_contain_text("confirmée")
    # The first answer is lost on the way back: the school tries again, with
    # the same key, and the cancellation is done once.
    sent_keys: list[str | None] = []

    def lose_first_answer(route: Route) -> None:
        sent_keys.append(route.request.headers.get("idempotency-key"))
        if len(sent_keys) == 1:
            route.fetch()  # the platform cancels; the answer never comes back
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/reservations/*/annulation", lose_first_answer)
    drop.click()
    question = page.get_by_role("dialog")
    expect(question).to_contain_text("remboursé sur la carte utilisée")
    question.get_by_role("button", name="Confirmer l'annulation").click()
    expect(message).to_have_text(
        "Le service est injoignable. Vérifiez votre connexion et réessayez."
    )
    drop.click()
    page.get_by_role("dialog").get_by_role(
        "button", name="Confirmer l'annulation"
    ).click()
    expect(message).to_contain_text("Réservation de Test Siège1 annulée")
    assert len(sent_keys) == 2 and sent_keys[0] and sent_keys[0] == sent_keys[1]
    expect(cancelled).to_contain_text("annulée")
    expect(cancelled).not_to_contain_text("Modifiable jusqu'au")
    expect(
        cancelled.get_by_role("button", name=re.compile("^(Modifier|Annuler)"))
    ).to_have_count(0)

    # The credit note, once billing has made it (the page waits for it).
    with page.expect_download(timeout=30_000) as note:
        cancelled.get_by_role(
            "button", name="Télécharger l'avoir de Test Siège1"
        ).click()
    assert note.value.suggested_filename == "avoir.pdf"
    saved = tmp_path / "avoir.pdf"
    note.value.save_as(saved)
    text = one_line(pdf_text(saved.read_bytes()))
    assert "Facture d'avoir n° A" in text and "Test Siège1" in text, text
    assert "30,00 €" in text, text

    cancelled.get_by_role(
        "button", name="Historique de la réservation de Test Siège1"
    ).click()
    expect(
        page.locator(f"#historique-{cancelled_id} li").filter(has_text="Annulée")
    ).to_contain_text("Annulée, place libérée (par l'auto-école)")
    # Shown again after the cancellation, the list keeps Siège0's history open.
    expect(steps.first).to_contain_text("Place réservée")
    # Open histories and row buttons still pass axe and fit a phone.
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 740})
    assert sideways_overflow(page) == 0


def test_past_the_deadline_the_api_refuses_and_the_buttons_are_gone(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
    travel,  # noqa: F811
):
    scheduling, candidates = apps
    school = new_school()
    paid = _paid_seats(gateway, school, scheduling, candidates, first=9710)
    line = paid["lines"][0]
    # The last minute to act: the page still offers both buttons.
    travel(paid["until"] - timedelta(seconds=59) - datetime.now(UTC))
    school = _signed_in_again(gateway, school)
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/reservations")
    row = page.locator(f"#reservations tr[data-reservation='{line}']")
    expect(row).to_contain_text("Modifiable jusqu'au")
    drop = row.get_by_role("button", name="Annuler la réservation de Test Siège0")
    expect(drop).to_be_enabled()

    # A minute later the page, still open, is answered by the API in French.
    travel(timedelta(seconds=61))
    row.get_by_role("button", name="Modifier la réservation de Test Siège0").click()
    panel = page.locator("#modification")
    panel.get_by_role("button", name="Rechercher un créneau").click()
    panel.locator(f"li[data-centre='{paid['site']}'] button").click()
    panel.locator(f"li[data-session='{paid['thursday']['id']}']").get_by_role(
        "button", name="Choisir ce créneau pour Test Siège0"
    ).click()
    page.get_by_role("dialog").get_by_role(
        "button", name="Confirmer la modification"
    ).click()
    expect(page.locator("#modification-message")).to_contain_text(
        "Le délai est dépassé : une réservation ne peut plus être modifiée"
    )
    panel.get_by_role("button", name="Abandonner la modification").click()
    expect(panel).to_be_hidden()
    drop.click()
    page.get_by_role("dialog").get_by_role(
        "button", name="Confirmer l'annulation"
    ).click()
    message = page.locator("#reservations-message")
    expect(message).to_contain_text(
        "Le délai est dépassé : une réservation ne peut plus être annulée "
        "moins de 3 jours ouvrés avant l'examen"
    )
    expect(message).to_have_class(re.compile("erreur"))

    # Shown again, no reservation offers to change or cancel.
    page.reload()
    expect(row).to_contain_text("confirmée")
    rows = page.locator("#reservations tbody tr[data-reservation]")
    expect(rows).to_have_count(2)
    expect(page.locator("#reservations")).not_to_contain_text("Modifiable jusqu'au")
    expect(
        page.locator("#reservations").get_by_role(
            "button", name=re.compile("^(Modifier|Annuler)")
        )
    ).to_have_count(0)
    expect(row.get_by_role("button", name=re.compile("^Historique"))).to_be_visible()


def _in_order(texts: list[str], expected: list[str]) -> None:
    """Each of `expected` is in one of `texts`, in that order."""
    found = [next((i for i, t in enumerate(texts) if e in t), -1) for e in expected]
    assert -1 not in found and found == sorted(found), texts


def test_a_seat_paid_by_sepa_is_said_to_be_refunded_by_a_later_transfer(
    page: Page,
    gateway: str,
    new_school,
    apps,  # noqa: F811
):
    """Not « remboursé » at once: the transfer comes once the debit is
    collected, and not at all if the bank returns it (BI-4)."""
    scheduling, candidates = apps
    school = new_school()
    line, _ = _paid_by_sepa(gateway, school, scheduling, candidates, first=9720)
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/reservations")
    row = page.locator(f"#reservations tr[data-reservation='{line}']")
    row.get_by_role("button", name="Annuler la réservation de Test Siège0").click()
    later = (
        "remboursé par virement sur le compte prélevé une fois le prélèvement "
        "encaissé (aucun virement si votre banque le rejette)"
    )
    question = page.get_by_role("dialog")
    expect(question).to_contain_text(later)
    expect(question).not_to_contain_text("carte")
    question.get_by_role("button", name="Confirmer l'annulation").click()
    message = page.locator("#reservations-message")
    expect(message).to_contain_text("Réservation de Test Siège0 annulée")
    expect(message).to_contain_text(later)
