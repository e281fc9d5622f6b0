"""The candidate takes every step of their digital identity on their own pages
(ID-7, seeds 001 and 003): the request, refused beside the field for a minor
or an expired document; the post office with its deadline, or the mail
carrier on an offered day; the activation code and the secret code; then the
strong sign-in with phone and secret code. Agents act through the API."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import Locator, Page, expect

from services.common.documents import MONTHS
from tests.e2e.test_digital_identity import (
    _activation_sms,
    _agent_headers,
    _ask,
    _candidate,
    _document_number,
    _request,
    _sms_with,
    _strong,
    agents,  # noqa: F401  (a fixture)
)
from tests.web.pages_tour import serious_violations, sideways_overflow


def _french_day(iso: str) -> str:
    """« 9 décembre 2026 », the day of an instant in Paris, as the page says."""
    day = datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Paris"))
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _national(e164: str) -> str:
    """+33612345678 → « 06 12 34 56 78 », as a person types it."""
    digits = "0" + e164.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def _open_space(page: Page, gateway: str, candidate: dict) -> None:
    token = candidate["headers"]["Authorization"].removeprefix("Bearer ")
    page.goto(f"{gateway}/candidat/espace")
    page.evaluate("t => sessionStorage.setItem('pmc-jeton-candidat', t)", token)
    page.reload()


def _fill_request(form: Locator, number: str, born: str, expires: str) -> None:
    form.get_by_role("radio", name="Carte d'identité").check()
    form.get_by_label("Numéro de la pièce d'identité").fill(number)
    form.get_by_label("Date d'expiration de la pièce").fill(expires)
    form.get_by_label("Madame").check()
    form.get_by_label("Prénom(s)").fill("Inès  Marie-Claire")
    form.get_by_label("Nom de naissance").fill("Benali")
    form.get_by_label("Date de naissance").fill(born)
    form.get_by_label("Commune de naissance").fill("Roubaix")
    form.get_by_label("Pays de naissance").fill("France")
    form.get_by_label("Nationalité").fill("française")


def _send_request(page: Page) -> None:
    """Read the information over, then confirm it."""
    page.get_by_role("button", name="Vérifier mes informations").click()
    recap = page.locator("#identite-recapitulatif")
    expect(recap).to_be_visible()
    expect(page.locator("#titre-recapitulatif")).to_be_focused()
    expect(recap).to_contain_text("Inès Marie-Claire")
    page.get_by_role("button", name="Confirmer ma demande").click()


def test_request_post_office_activation_and_strong_sign_in_on_the_pages(
    page: Page,
    gateway: str,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    _open_space(page, gateway, candidate)
    state = page.locator("#identite-etat")
    message = page.locator("#espace-message")
    expect(state).to_contain_text("Vous n'avez pas demandé d'Identité Numérique")
    expect(page.locator("#identite-choix")).to_be_hidden()
    form = page.locator("#form-identite")
    number = _document_number()

    # A minor is refused, said beside the birth date; nothing is recorded.
    _fill_request(form, number, born="2012-01-01", expires="2099-01-01")
    _send_request(page)
    born = form.get_by_label("Date de naissance")
    expect(page.locator("#form-identite-date_naissance-erreur")).to_contain_text(
        "réservée aux personnes majeures"
    )
    expect(born).to_have_attribute("aria-invalid", "true")
    expect(born).to_be_focused()
    expect(message).to_contain_text("incorrect")
    assert serious_violations(page) == []
    # An expired document too, beside its expiry date.
    born.fill("1998-06-21")
    form.get_by_label("Date d'expiration de la pièce").fill("2020-01-01")
    _send_request(page)
    expect(
        page.locator("#form-identite-document-date_expiration-erreur")
    ).to_contain_text("expiré")
    expect(page.locator("#form-identite-date_naissance-erreur")).to_have_count(0)
    # A residence permit shows its issue date, asked for only then.
    issued = form.get_by_label("Date de délivrance du titre de séjour")
    expect(issued).to_be_hidden()
    form.get_by_role("radio", name="Titre de séjour").check()
    expect(issued).to_be_visible()
    form.get_by_role("radio", name="Carte d'identité").check()
    expect(issued).to_be_hidden()
    own = requests.get(f"{gateway}/api/candidat/identite", headers=candidate["headers"])
    assert own.json()["statut"] is None

    form.get_by_label("Date d'expiration de la pièce").fill("2099-01-01")
    _send_request(page)
    expect(message).to_contain_text(
        "Votre demande d'Identité Numérique est enregistrée"
    )
    expect(state).to_contain_text("choisissez comment faire vérifier")
    expect(form).to_be_hidden()
    asked = requests.get(
        f"{gateway}/api/candidat/identite", headers=candidate["headers"]
    )
    assert asked.json()["donnees"]["prenoms"] == ["Inès", "Marie-Claire"]
    assert serious_violations(page) == []

    # At the post office: the document and the 6-digit code, until when. The
    # focus waits on the first way to choose, for the keyboard.
    post_office = page.get_by_role("button", name="Passage en bureau de poste")
    expect(post_office).to_be_focused()
    page.keyboard.press("Enter")
    expect(message).to_contain_text("code à 6 chiffres vous a été envoyé")
    deadline = requests.get(
        f"{gateway}/api/candidat/identite", headers=candidate["headers"]
    ).json()["echeance"]
    expect(state).to_contain_text(f"bureau de poste avant le {_french_day(deadline)}")
    expect(state).to_contain_text("15 jours")
    steps = page.locator("#identite-consignes")
    expect(steps).to_contain_text(f"Carte d'identité n° {number}")
    expect(steps).to_contain_text("code à 6 chiffres reçu par SMS et par e-mail")
    expect(page.locator("#identite-choix")).to_be_hidden()
    expect(page.locator("#form-activation")).to_be_hidden()
    assert serious_violations(page) == []

    # The counter agent checks the document and the code (through the API).
    sms = _sms_with(sms_folder, candidate["phone"], "bureau de poste")[-1]
    code = re.search(r"le code (\d{6})", sms).group(1)
    counter = _agent_headers(gateway, agents("guichet"))
    case = requests.post(
        f"{gateway}/api/agents/guichet/recherche",
        json={"numero": number},
        headers=counter,
    ).json()
    checked = requests.post(
        f"{gateway}/api/agents/guichet/{case['identity_id']}/verification",
        json={"code": code},
        headers=counter,
    )
    assert checked.status_code == 200, checked.text

    page.reload()
    expect(state).to_contain_text("Votre identité est vérifiée")
    expect(steps).to_be_hidden()
    activation = page.locator("#form-activation")
    activation_code = _activation_sms(sms_folder, candidate)
    activation.get_by_label("Code d'activation").fill(activation_code)
    activation.get_by_label("Créez votre code secret").fill("2468")
    activation.get_by_label("Confirmez votre code secret").fill("2486")
    page.get_by_role("button", name="Activer mon Identité Numérique").click()
    expect(page.locator("#form-activation-confirmation-erreur")).to_contain_text(
        "pas identiques"
    )
    assert serious_violations(page) == []
    activation.get_by_label("Confirmez votre code secret").fill("2468")
    activation.get_by_label("Code d'activation").fill("12345")
    page.get_by_role("button", name="Activer mon Identité Numérique").click()
    expect(page.locator("#form-activation-code-erreur")).to_contain_text("6 chiffres")
    activation.get_by_label("Code d'activation").fill(activation_code)
    page.get_by_role("button", name="Activer mon Identité Numérique").click()
    expect(message).to_contain_text("Votre Identité Numérique est activée")
    expect(state).to_contain_text("Votre Identité Numérique est active")
    expect(activation).to_be_hidden()

    # Signed out, the candidate signs in with phone and secret code.
    page.get_by_role("button", name="Me déconnecter").click()
    expect(message).to_contain_text("déconnecté")
    page.reload()
    strong = page.locator("#form-connexion-forte")
    strong.get_by_label("Numéro de téléphone mobile").fill(
        _national(candidate["phone"])
    )
    strong.get_by_label("Code secret").fill("1357")
    page.get_by_role("button", name="S'identifier avec mon Identité Numérique").click()
    expect(message).to_contain_text("Il vous reste 4 essai(s)")
    strong.get_by_label("Code secret").fill("24a8")
    page.get_by_role("button", name="S'identifier avec mon Identité Numérique").click()
    expect(page.locator("#form-connexion-forte-code_secret-erreur")).to_contain_text(
        "4 chiffres"
    )
    assert serious_violations(page) == []
    strong.get_by_label("Code secret").fill("2468")
    page.get_by_role("button", name="S'identifier avec mon Identité Numérique").click()
    expect(message).to_contain_text("connecté(e) avec votre Identité Numérique")
    expect(page.locator("#dossiers")).to_be_visible()
    expect(state).to_contain_text("Votre Identité Numérique est active")

    # Five wrong secret codes lock it; the page says so and offers a new
    # request, started from the data entered before.
    for _ in range(5):
        _strong(gateway, candidate["phone"], "1357")
    page.reload()
    expect(state).to_contain_text("verrouillée après 5 codes secrets erronés")
    expect(page.locator("#titre-demande")).to_have_text("Faire une nouvelle demande")
    expect(form.get_by_label("Nom de naissance")).to_have_value("Benali")


def test_the_mail_carrier_comes_on_an_offered_day_and_a_refusal_says_why(
    page: Page,
    gateway: str,
    mail_folder,
    sms_folder,
    new_school,
    agents,  # noqa: F811
):
    candidate = _candidate(gateway, mail_folder, sms_folder, new_school)
    data = _request()
    assert _ask(gateway, candidate, data).status_code == 201
    slots = requests.get(
        f"{gateway}/api/candidat/identite", headers=candidate["headers"]
    ).json()["creneaux"]
    _open_space(page, gateway, candidate)
    state = page.locator("#identite-etat")
    expect(state).to_contain_text("choisissez comment faire vérifier")
    expect(page.locator("#form-identite")).to_be_hidden()

    # The three ways to have it checked fit a phone's screen.
    page.set_viewport_size({"width": 360, "height": 740})
    assert sideways_overflow(page) == 0
    page.set_viewport_size({"width": 1200, "height": 900})
    carrier_form = page.locator("#form-facteur")
    visit = carrier_form.get_by_label("la date de sa visite")
    expect(visit.locator("option")).to_have_count(len(slots) + 1)
    page.get_by_role("button", name="Rencontrer mon facteur à cette date").click()
    expect(page.locator("#form-facteur-creneau-erreur")).to_contain_text(
        "Choisissez une des dates proposées"
    )
    # From the keyboard alone: the third day offered, then the button.
    expect(visit).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(visit).to_have_value(slots[2])
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("button", name="Rencontrer mon facteur à cette date")
    ).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#espace-message")).to_contain_text(
        "visite de votre facteur est enregistrée"
    )
    day = datetime.fromisoformat(slots[2])
    expect(state).to_contain_text(
        f"à votre domicile le {_french_weekday(day)} {day.day} "
        f"{MONTHS[day.month - 1]} {day.year}"
    )
    steps = page.locator("#identite-consignes")
    expect(steps).to_contain_text("Présentez-lui")
    expect(steps).to_contain_text(data["document"]["numero"])
    expect(steps).not_to_contain_text("6 chiffres")
    expect(page.locator("#identite-choix")).to_be_hidden()
    assert serious_violations(page) == []

    # The carrier finds the document does not match: the request ends, the
    # page says why and offers a new one.
    identity_id = requests.get(
        f"{gateway}/api/candidat/identite", headers=candidate["headers"]
    ).json()["identity_id"]
    carrier = _agent_headers(gateway, agents("facteur"))
    refused = requests.post(
        f"{gateway}/api/agents/demandes/{identity_id}/refus",
        json={"motif": "La pièce présentée ne correspond pas."},
        headers=carrier,
    )
    assert refused.status_code == 200, refused.text
    page.reload()
    expect(state).to_contain_text(
        "Votre demande est terminée. Motif : La pièce présentée ne correspond pas."
    )
    expect(steps).to_be_hidden()
    form = page.locator("#form-identite")
    expect(form).to_be_visible()
    expect(page.locator("#titre-demande")).to_have_text("Faire une nouvelle demande")
    expect(form.get_by_label("Prénom(s)")).to_have_value("Inès Marie")
    expect(form.get_by_label("Madame")).to_be_checked()
    assert serious_violations(page) == []


def _french_weekday(day: datetime) -> str:
    return ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")[
        day.weekday()
    ]
