"""A new school signs up, follows the e-mailed link, signs in, edits its profile."""

from __future__ import annotations

import secrets

from playwright.sync_api import Page, expect

from tests.helpers import link_in, mails_to, wait_for

PASSWORD = "Permis2026"


def fill_sign_up(page: Page, email: str) -> None:
    form = page.locator("#inscription")
    form.get_by_label("Auto-école").check()
    form.get_by_label("Civilité").select_option("MME")
    form.get_by_label("Nom", exact=True).fill("Moreau")
    form.get_by_label("Prénom").fill("Julie")
    form.get_by_label("Adresse e-mail").fill(email)
    form.get_by_label("Mot de passe").fill(PASSWORD)
    form.get_by_label("Téléphone").fill("06 11 22 33 44")
    form.get_by_label("Raison sociale").fill("Auto-école des Pentes")
    form.get_by_label("SIRET").fill("73282932000074")
    form.get_by_label("Adresse", exact=True).fill("8 montée de la Grande-Côte")
    form.get_by_label("Code postal").fill("69001")
    form.get_by_label("Ville").fill("Lyon")


def test_a_new_school_signs_up_activates_signs_in_and_edits_its_profile(
    page: Page, gateway: str, mail_folder
):
    email = f"pentes-{secrets.token_hex(3)}@example.fr"
    page.goto(f"{gateway}/")
    expect(page.get_by_role("heading", name="Créez un compte")).to_be_visible()
    expect(page.get_by_role("heading", name="Connectez-vous")).to_be_visible()

    # A mistake first: the page names the wrong field and keeps the others.
    fill_sign_up(page, email)
    page.locator("#inscription").get_by_label("SIRET").fill("12345678901234")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#inscription-message")).to_have_text(
        "Certaines informations saisies sont incorrectes."
    )
    expect(page.locator("#inscription-siret-erreur")).to_contain_text(
        "Le SIRET doit comporter 14 chiffres"
    )
    page.locator("#inscription").get_by_label("SIRET").fill("73282932000074")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#inscription-message")).to_contain_text(
        "Nous avons bien pris en compte la création de votre compte La Poste. "
        f"Vous allez bientôt recevoir un e-mail à votre adresse {email}"
    )

    mail = wait_for(lambda: mails_to(mail_folder, email), timeout=30)[0]
    page.goto(link_in(mail, "activation"))
    expect(page.locator("#activation-message")).to_have_text(
        "Votre compte est activé. Vous pouvez maintenant vous connecter "
        "à votre espace professionnel."
    )
    assert "jeton" not in page.url  # read from the fragment, then taken away

    page.get_by_role("link", name="Se connecter").click()
    login = page.locator("#form-connexion")
    login.get_by_label("Professionnel").check()
    login.get_by_label("Adresse e-mail").fill(email)
    login.get_by_label("Mot de passe").fill(PASSWORD)
    login.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{gateway}/espace")
    expect(page.get_by_role("heading", name="Bienvenue, Julie Moreau")).to_be_visible()

    page.get_by_role("link", name="Mon compte").first.click()
    profile = page.locator("#profil")
    expect(profile.get_by_label("Raison sociale")).to_have_value(
        "Auto-école des Pentes"
    )
    profile.get_by_label("Raison sociale").fill("Auto-école de la Croix-Rousse")
    profile.get_by_label("Téléphone").fill("04 72 00 11 22")
    profile.get_by_role("button", name="Enregistrer mes informations").click()
    expect(page.locator("#profil-message")).to_have_text(
        "Vos informations ont été enregistrées."
    )
    page.reload()
    expect(profile.get_by_label("Raison sociale")).to_have_value(
        "Auto-école de la Croix-Rousse"
    )
    expect(profile.get_by_label("Téléphone")).to_have_value("+33472001122")


def test_signing_in_asks_to_tick_professionnel(page: Page, gateway: str):
    page.goto(f"{gateway}/")
    login = page.locator("#form-connexion")
    login.get_by_label("Adresse e-mail").fill("quelquun@example.fr")
    login.get_by_label("Mot de passe").fill(PASSWORD)
    login.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#connexion-message")).to_have_text(
        "Certaines informations saisies sont incorrectes."
    )
    expect(page.locator("#form-connexion-espace-erreur")).to_have_text(
        "Cochez « Professionnel » pour accéder à l'espace des auto-écoles."
    )


def test_a_school_resets_its_password_from_the_emailed_link(
    page: Page, gateway: str, mail_folder, new_school
):
    school = new_school()
    page.goto(f"{gateway}/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill(school["email"])
    page.get_by_role("button", name="Envoyer le lien").click()

    def reset_mail() -> list:
        return [
            m
            for m in mails_to(mail_folder, school["email"])
            if "/reinitialisation" in m.get_content()
        ]

    link = link_in(wait_for(reset_mail, timeout=30)[0], "reinitialisation")
    assert "?" not in link and "#compte=" in link  # no server receives the token
    page.goto(link)
    assert "jeton" not in page.url  # read from the fragment, then taken away
    page.get_by_label("Nouveau mot de passe").fill("Nouveau2027")
    page.get_by_label("Confirmez le mot de passe").fill("Nouveau2027")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#reinit-message")).to_have_text(
        "Votre mot de passe a été modifié. Vous pouvez vous connecter avec votre "
        "nouveau mot de passe."
    )
    page.get_by_role("link", name="Se connecter").click()
    login = page.locator("#form-connexion")
    login.get_by_label("Professionnel").check()
    login.get_by_label("Adresse e-mail").fill(school["email"])
    login.get_by_label("Mot de passe").fill("Nouveau2027")
    login.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{gateway}/espace")

    # The link, used once, is refused the second time with a way to a new one.
    page.goto(link)
    page.get_by_label("Nouveau mot de passe").fill("Autre2027x")
    page.get_by_label("Confirmez le mot de passe").fill("Autre2027x")
    page.get_by_role("button", name="Enregistrer").click()
    message = page.locator("#reinit-message")
    expect(message).to_contain_text("Ce lien de réinitialisation n'est pas valide.")
    message.get_by_role("link", name="Demander un nouveau lien").click()
    expect(page).to_have_url(f"{gateway}/mot-de-passe-oublie")
