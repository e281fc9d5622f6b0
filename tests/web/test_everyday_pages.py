"""What a school's secretary meets every day: confirmations before what cannot
be undone, words that say what is wrong and what to do next."""

from __future__ import annotations

import secrets

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from services.candidates.application import CandidatesApplication
from tests.e2e.conftest import sign_up_payload
from tests.e2e.test_booking_api import activated_files
from tests.helpers import link_in, mails_to, wait_for
from tests.web.pages_tour import serious_violations
from tests.web.test_account_pages import fill_sign_up
from tests.web.test_candidate_pages import create_from_page, sign_in_as


@pytest.fixture
def candidates(settings):
    app = CandidatesApplication(settings=settings)
    yield app
    app.close()


def a_neph() -> str:
    return f"18{secrets.randbelow(10**10):010d}"


def test_archiving_asks_first_and_each_row_names_its_buttons(
    page: Page, gateway: str, new_school, candidates
):
    school = new_school()
    first, second = activated_files(
        candidates, school, 2, first=secrets.randbelow(10**8)
    )
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    archive_first = page.get_by_role(
        "button", name=f"Archiver — Test Siège0 (NEPH {first})"
    )
    expect(archive_first).to_have_text("Archiver")
    expect(
        page.get_by_role("button", name=f"Archiver — Test Siège1 (NEPH {second})")
    ).to_be_visible()

    archive_first.click()
    question = page.get_by_role("dialog")
    expect(question).to_contain_text(
        f"Archiver le dossier de Test Siège0 (NEPH {first}) ?"
    )
    assert serious_violations(page) == []
    question.get_by_role("button", name="Annuler").click()
    expect(question).to_have_count(0)
    row = page.locator(f"#liste tbody tr[data-neph='{first}']")
    expect(row).to_contain_text("activé")

    archive_first.click()
    page.get_by_role("dialog").get_by_role("button", name="Archiver le dossier").click()
    expect(page.locator("#liste-message")).to_have_text(f"Dossier {first} archivé.")
    expect(row).to_contain_text("archivé")


def test_erasing_a_file_asks_first_then_the_file_leaves_the_list(
    page: Page, gateway: str, new_school, candidates
):
    school = new_school()
    (neph,) = activated_files(candidates, school, 1, first=secrets.randbelow(10**8))
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    erase = page.get_by_role("button", name=f"Effacer — Test Siège0 (NEPH {neph})")
    erase.click()
    question = page.get_by_role("dialog")
    expect(question).to_contain_text("seules les factures restent")
    assert serious_violations(page) == []
    question.get_by_role("button", name="Annuler").click()
    row = page.locator(f"#liste tbody tr[data-neph='{neph}']")
    expect(row).to_contain_text("activé")

    erase.click()
    page.get_by_role("dialog").get_by_role("button", name="Effacer le dossier").click()
    expect(page.locator("#liste-message")).to_have_text(f"Dossier {neph} effacé.")
    expect(row).to_have_count(0)


def test_a_candidate_without_email_waits_for_the_letter_not_for_an_email(
    page: Page, gateway: str, new_school
):
    neph = a_neph()
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/candidats")
    form = page.locator("#creation")
    form.get_by_label("NEPH").fill(neph)
    form.get_by_label("Civilité").select_option("MME")
    form.get_by_label("Nom de naissance").fill("Lefèvre")
    form.get_by_label("Prénoms (tous)").fill("Lætitia")
    form.get_by_label("Date de naissance (JJ/MM/AAAA)").fill("14/02/2006")
    form.get_by_label("Adresse", exact=True).fill("3 rue des Lilas")
    form.get_by_label("Code postal").fill("69003")
    form.get_by_label("Ville").fill("Lyon")
    form.get_by_role("button", name="Créer le dossier").click()
    expect(page.locator("#creation-message")).to_contain_text("un courrier")

    row = page.locator(f"#liste tbody tr[data-neph='{neph}']")
    expect(row).to_contain_text(
        "en attente de la confirmation du candidat (code envoyé par courrier)"
    )
    expect(row).not_to_contain_text("adresse e-mail")
    expect(row.get_by_role("button", name="Renvoyer le courrier")).to_be_visible()
    expect(row.get_by_role("button", name="Renvoyer le lien")).to_have_count(0)

    # Typed without the ligature, the name is found all the same.
    page.get_by_label("Rechercher par nom ou NEPH").fill("laetitia")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#liste tbody tr")).to_have_count(1)


def test_a_candidate_refusing_their_file_is_asked_to_confirm(
    page: Page, browser, gateway: str, mail_folder, new_school
):
    neph = a_neph()
    email = f"refus-{neph}@example.fr"
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/candidats")
    create_from_page(
        page,
        neph,
        {
            "civility": "M",
            "birth_name": "Garnier",
            "given_names": "Hugo",
            "birth_date": "02/03/2006",
            "email": email,
        },
    )
    mail = wait_for(lambda: mails_to(mail_folder, email), 30)[0]
    candidate = browser.new_page()
    # A link e-mailed before tokens moved to the fragment still opens the file.
    old_style = link_in(mail, "candidat/activation").replace("#", "?", 1)
    candidate.goto(old_style)
    expect(candidate.locator("#donnees")).to_contain_text("Garnier")
    assert "jeton" not in candidate.url
    refuse = candidate.get_by_role("button", name="Ces informations sont fausses")
    refuse.click()
    candidate.get_by_role("dialog").get_by_role("button", name="Annuler").click()
    expect(candidate.locator("#form-confirmation")).to_be_visible()
    refuse.click()
    candidate.get_by_role("dialog").get_by_role(
        "button", name="Refuser le dossier"
    ).click()
    expect(candidate.locator("#dossier-message")).to_contain_text(
        "Vous avez refusé ce dossier."
    )
    candidate.close()


def test_a_candidate_erasing_their_file_is_asked_to_confirm(
    page: Page, browser, gateway: str, mail_folder, new_school
):
    neph = a_neph()
    email = f"effacement-{neph}@example.fr"
    sign_in_as(page, gateway, new_school())
    page.goto(f"{gateway}/espace/candidats")
    create_from_page(
        page,
        neph,
        {
            "civility": "MME",
            "birth_name": "Roussel",
            "given_names": "Inès",
            "birth_date": "11/07/2006",
            "email": email,
        },
    )
    mail = wait_for(lambda: mails_to(mail_folder, email), 30)[0]
    candidate = browser.new_page()
    candidate.goto(link_in(mail, "candidat/activation"))
    expect(candidate.locator("#donnees")).to_contain_text("Roussel")
    erase = candidate.get_by_role("button", name="Effacer mon dossier et mes données")
    erase.click()
    question = candidate.get_by_role("dialog")
    expect(question).to_contain_text("Effacer votre dossier ?")
    question.get_by_role("button", name="Annuler").click()
    # Cancelled: nothing was erased, the file is still there to confirm.
    expect(candidate.locator("#donnees")).to_contain_text("Roussel")
    expect(candidate.locator("#form-confirmation")).to_be_visible()
    erase.click()
    candidate.get_by_role("dialog").get_by_role(
        "button", name="Effacer mon dossier"
    ).click()
    expect(candidate.locator("#dossier-message")).to_contain_text(
        "Votre dossier et vos données personnelles ont été effacés."
    )
    expect(candidate.locator("#donnees")).not_to_contain_text("Roussel")
    candidate.close()

    # The school's list no longer shows the erased file.
    page.reload()
    expect(page.locator(f"#liste tbody tr[data-neph='{neph}']")).to_have_count(0)


def test_an_empty_phone_or_siret_is_called_missing_not_wrong(page: Page, gateway: str):
    page.goto(f"{gateway}/")
    fill_sign_up(page, f"vide-{secrets.token_hex(3)}@example.fr")
    form = page.locator("#inscription")
    form.get_by_label("Téléphone").fill("")
    form.get_by_label("SIRET").fill("")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#inscription-phone-erreur")).to_have_text(
        "Le numéro de téléphone est obligatoire."
    )
    expect(page.locator("#inscription-siret-erreur")).to_have_text(
        "Le SIRET est obligatoire."
    )
    form.get_by_label("Téléphone").fill("12")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#inscription-phone-erreur")).to_have_text(
        "Le numéro de téléphone n'est pas valide."
    )


def test_an_expired_session_is_said_on_the_sign_in_page(page: Page, gateway: str):
    page.goto(f"{gateway}/")
    page.evaluate("() => sessionStorage.setItem('pmc-jeton', 'un.jeton.perime')")
    page.goto(f"{gateway}/espace/candidats")
    expect(page).to_have_url(f"{gateway}/#connexion")
    expect(page.locator("#connexion-message")).to_have_text(
        "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
    )


def test_a_session_ended_while_the_page_is_open_is_said_on_the_sign_in_page(
    page: Page, gateway: str, new_school
):
    school = new_school()
    sign_in_as(page, gateway, school)
    page.goto(f"{gateway}/espace/candidats")
    expect(page.locator("#liste-message")).to_have_text("Aucun dossier.")
    ended = requests.delete(f"{gateway}/api/sessions", headers=school["headers"])
    assert ended.status_code < 300, ended.text

    def searched_again() -> bool:  # revocations reach the gateway in a moment
        if page.url.endswith("/#connexion"):
            return True
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_timeout(300)
        return page.url.endswith("/#connexion")

    wait_for(searched_again, 15)
    expect(page.locator("#connexion-message")).to_have_text(
        "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
    )


def sign_in_on_page(page: Page, email: str, password: str) -> None:
    login = page.locator("#form-connexion")
    login.get_by_label("Professionnel").check()
    login.get_by_label("Adresse e-mail").fill(email)
    login.get_by_label("Mot de passe").fill(password)
    login.get_by_role("button", name="Se connecter").click()


def test_a_slowed_sign_in_is_offered_the_reset_link(
    page: Page, gateway: str, new_school
):
    school = new_school()
    for _ in range(5):
        requests.post(
            f"{gateway}/api/sessions",
            json={"email": school["email"], "password": "Mauvais2026"},
        )
    page.goto(f"{gateway}/")
    sign_in_on_page(page, school["email"], "Mauvais2026")
    message = page.locator("#connexion-message")
    expect(message).to_contain_text("Trop de demandes en peu de temps")
    message.get_by_role("link", name="Réinitialiser mon mot de passe").click()
    expect(page).to_have_url(f"{gateway}/mot-de-passe-oublie")


def test_an_account_not_activated_gets_a_link_to_ask_for_a_new_one(
    page: Page, gateway: str, mail_folder
):
    email = f"inactif-{secrets.token_hex(3)}@example.fr"
    created = requests.post(f"{gateway}/api/comptes", json=sign_up_payload(email))
    assert created.status_code == 201, created.text
    page.goto(f"{gateway}/")
    sign_in_on_page(page, email, sign_up_payload(email)["password"])
    message = page.locator("#connexion-message")
    expect(message).to_contain_text("demandez un nouveau lien d'activation")
    message.get_by_role("link", name="Demander un nouveau lien d'activation").click()
    page.get_by_label("Adresse e-mail du compte").fill(email)
    page.get_by_role("button", name="Envoyer un nouveau lien").click()
    expect(page.locator("#renvoi-message")).to_contain_text("nouveau lien")
    wait_for(lambda: len(mails_to(mail_folder, email)) >= 2, 30)


def test_an_unknown_page_answers_in_french(page: Page, gateway: str):
    answer = page.goto(f"{gateway}/espace/nulle-part")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    expect(page.get_by_role("link", name="Retour à l'accueil")).to_be_visible()


def test_a_slow_answer_shows_that_the_page_is_loading(
    page: Page, gateway: str, new_school
):
    held: list[Route] = []
    sign_in_as(page, gateway, new_school())
    page.route("**/api/candidats*", lambda route: held.append(route))
    page.goto(f"{gateway}/espace/candidats")
    expect(page.get_by_role("status").filter(has_text="Chargement…")).to_be_visible()
    while not held:  # Playwright hands the route over while the page is waited on
        page.wait_for_timeout(100)
    for route in held:
        route.continue_()
    expect(page.locator("#chargement")).to_be_hidden()
    expect(page.locator("#liste-message")).to_have_text("Aucun dossier.")
