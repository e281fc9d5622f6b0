"""CA-5 with seed 004: a confirmed candidate's new e-mail address is used
only once proved; until then messages go to the address they had proved."""

from __future__ import annotations

from uuid import UUID

import requests

from tests.e2e.test_candidate_account import _new_file
from tests.e2e.test_erasure import _confirm
from tests.helpers import link_params, mails_to, wait_for


def _change_email(gateway, school, candidate_id: str, email: str) -> None:
    answer = requests.patch(
        f"{gateway}/api/candidats/{candidate_id}/contact",
        json={"email": email},
        headers=school["headers"],
    )
    assert answer.status_code == 200, answer.text


def test_messages_go_to_the_proved_address_until_the_new_one_is_proved(
    gateway, mail_folder, new_school, candidates
):
    school = new_school()
    file = _new_file(gateway, mail_folder, school)
    _confirm(candidates, file["id"])
    candidate_id = UUID(file["id"])

    _change_email(gateway, school, file["id"], "nouvelle.adresse@example.fr")
    # The proof goes to the new address; everything else to the proved one.
    proof = wait_for(lambda: mails_to(mail_folder, "nouvelle.adresse@example.fr"), 30)
    assert candidates.contact(candidate_id)["email"] == file["email"]
    # A second change before any proof still keeps the address proved first.
    _change_email(gateway, school, file["id"], "encore.autre@example.fr")
    assert candidates.contact(candidate_id)["email"] == file["email"]

    link = link_params(
        wait_for(lambda: mails_to(mail_folder, "encore.autre@example.fr"), 30)[0],
        "candidat/activation",
    )
    confirmed = requests.post(
        f"{gateway}/api/candidat/confirmation", json={**link, "attestation": True}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert candidates.contact(candidate_id)["email"] == "encore.autre@example.fr"
    assert proof  # the first new address got its proof, never used since
