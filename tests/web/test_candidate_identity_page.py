"""The candidate's space shows their digital identity and what to do next:
online, the registered e-letter sent, then the form for the photos and the
video (ID-7, seeds 001 and 003)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e import registered_letter_steps as letters
from tests.e2e.test_digital_identity import JPEG, MP4, _ask, _candidate, _request
from tests.helpers import wait_for
from tests.web.pages_tour import serious_violations


def test_online_the_page_says_a_letter_was_sent_then_takes_the_files(
    page: Page, gateway: str, mail_folder, sms_folder, new_school, settings
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    assert _ask(gateway, candidate, _request()).status_code == 201
    token = candidate["headers"]["Authorization"].removeprefix("Bearer ")
    page.goto(f"{gateway}/candidat/espace")
    page.evaluate("t => sessionStorage.setItem('pmc-jeton-candidat', t)", token)
    page.reload()

    state = page.locator("#identite-etat")
    expect(state).to_contain_text("choisissez comment faire vérifier")
    expect(page.locator("#form-en-ligne")).to_be_hidden()
    page.get_by_role("button", name="Vérifier mon identité en ligne").click()
    expect(page.locator("#espace-message")).to_contain_text(
        "lettre recommandée électronique vous a été envoyée"
    )
    expect(state).to_contain_text("Accusez-en réception")
    expect(state).to_contain_text("trois chiffres")
    assert serious_violations(page) == []
    wait_for(lambda: letters.letters_to(settings, candidate["email"]), timeout=30)

    form = page.locator("#form-en-ligne")
    form.get_by_label("Photo du recto").set_input_files(
        files=[{"name": "recto.jpg", "mimeType": "image/jpeg", "buffer": MP4}]
    )
    form.get_by_label("Ma vidéo").set_input_files(
        files=[{"name": "video.mp4", "mimeType": "video/mp4", "buffer": MP4}]
    )
    page.get_by_role("button", name="Envoyer mes photos et ma vidéo").click()
    # A video sent as the photo is refused, said beside the field.
    expect(page.locator("#espace-message")).to_contain_text("incorrect")
    form.get_by_label("Photo du recto").set_input_files(
        files=[{"name": "recto.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    page.get_by_role("button", name="Envoyer mes photos et ma vidéo").click()
    expect(state).to_contain_text("examinées par un agent")
    expect(form).to_be_hidden()
