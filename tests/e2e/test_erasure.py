"""Erasure on request and retention, on the real stack (TR-4, README « Données
personnelles »): once a file is erased, no schema of the database, no letter
of the print queue and no later e-mail holds what identified its candidate,
apart from what the README lists as kept by law."""

from __future__ import annotations

import random
import string
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import requests
from psycopg import sql

from services.candidates.domain import NephClaim
from services.candidates.publications import ACTIVATION
from services.common.settings import SERVICES
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_booking_api import centre, hold, next_weekday
from tests.e2e.test_checkout_api import _pay, _statuses
from tests.helpers import mails, pdf_text, wait_for

UPCOMING = (
    "Ce candidat a une réservation d'examen à venir : annulez-la "
    "avant de demander l'effacement de son dossier."
)

# What may still hold an erased candidate's data, and why (README): billing's
# log keeps the invoices as issued for 10 years (Code de commerce L123-22; CGI
# art. 289: an issued invoice is never altered), but sealed with a key of their
# own, not in clear: no table of any service holds a trace.


def _marker() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=10)).capitalize()


def _birth_date() -> date:
    return date(1960, 1, 1) + timedelta(days=random.randrange(16_000))


def _file(neph: str, marker: str, born: date, by_post: bool = False) -> dict:
    data = {
        "neph": neph,
        "civility": "MME",
        "birth_name": marker,
        "given_names": f"Alix {marker}",
        "birth_date": born.isoformat(),
        "address": {
            "street": f"3 rue {marker}",
            "postal_code": "69001",
            "city": "Lyon",
        },
    }
    if not by_post:
        data["email"] = f"{marker.lower()}@example.fr"
    return data


def _traces(marker: str, born: date) -> list[str]:
    words = {marker, marker.lower(), marker.upper(), born.isoformat()}
    return [*words, born.strftime("%d/%m/%Y")]


def where_found(settings, traces: list[str]) -> set[tuple[str, str]]:
    """Every (service, table) of this run's schemas whose rows, as text, hold
    a trace: in clear (text, JSON) or in bytea (stored events, shown in hex)."""
    likes = [f"%{t}%" for t in traces]
    hexes = [f"%{t.encode().hex()}%" for t in traces]
    found = set()
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        for service in SERVICES:
            schema = settings.schema(service)
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                (schema,),
            ).fetchall()
            for (table,) in tables:
                query = sql.SQL(
                    "SELECT 1 FROM {} t WHERE t::text ILIKE ANY(%s)"
                    " OR t::text LIKE ANY(%s) LIMIT 1"
                ).format(sql.Identifier(schema, table))
                if conn.execute(query, (likes, hexes)).fetchone():
                    found.add((service, table))
    return found


def _mails_with(folder: Path, traces: list[str]) -> int:
    return sum(any(t in m.as_string() for t in traces) for m in mails(folder))


def _letters_of(settings, candidate_id: str) -> list[Path]:
    return list(Path(settings.print_folder).glob(f"{candidate_id}-*.pdf"))


def _create(gateway: str, school: dict, data: dict) -> str:
    created = requests.post(
        f"{gateway}/api/candidats", json=data, headers=school["headers"]
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _confirm(candidates, candidate_id: str) -> None:
    file = candidates.repository.get(UUID(candidate_id))
    token = candidates.links.token(ACTIVATION, file.id, file.activation_nonce)
    candidates.confirm(file.id, token)


def _erase(gateway: str, school: dict, candidate_id: str) -> requests.Response:
    return requests.post(
        f"{gateway}/api/candidats/{candidate_id}/effacement",
        headers=school["headers"],
    )


def _signed_in_again(gateway: str, school: dict) -> dict:
    """After travelling in time the school's token has expired."""
    session = requests.post(
        f"{gateway}/api/sessions", json={"email": school["email"], "password": PASSWORD}
    )
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    return {**school, "headers": {"Authorization": f"Bearer {token}"}}


def _eventually(check, timeout: float) -> bool:
    """check() became true within `timeout` seconds (False otherwise, so the
    assertion can say what was left)."""
    try:
        return wait_for(check, timeout)
    except AssertionError:
        return False


def _neph() -> str:
    return f"3{random.randrange(10**11):011d}"


def test_an_erased_candidate_leaves_no_trace_but_the_invoice(
    gateway, settings, new_school, scheduling, candidates, mail_folder, travel
):
    school = new_school()
    marker, born = _marker(), _birth_date()
    traces = _traces(marker, born)
    booked = _create(gateway, school, _file(_neph(), marker, born))
    _confirm(candidates, booked)
    neph = candidates.get_file(UUID(booked))["neph"]
    site = centre(scheduling, "TEST-EFFACEMENT", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(2, 2), 18, COLLECTIVE)
    held = hold(gateway, school, neph, session["id"])
    assert held.status_code == 201, held.text
    line = held.json()["id"]
    assert _pay(gateway, school, str(uuid4())).status_code == 201
    wait_for(lambda: _statuses(gateway, school).get(line) == "confirmée")
    # The convocation was e-mailed: the candidate's own mailbox has it.
    wait_for(lambda: _mails_with(mail_folder, [marker.lower() + "@"]) >= 2, 30)

    # A paid seat for an exam to come: the candidate must sit it first.
    refused = _erase(gateway, school, booked)
    assert refused.status_code == 409
    assert refused.json()["message"] == UPCOMING

    # A candidate by post, waiting for confirmation: a letter in the print queue.
    by_post = _create(gateway, school, _file(_neph(), marker, born, by_post=True))
    wait_for(lambda: _letters_of(settings, by_post), 30)

    travel(timedelta(weeks=4))  # the exam is past
    school = _signed_in_again(gateway, school)
    mailed_before = _mails_with(mail_folder, traces)
    for candidate_id in (booked, by_post):
        erased = _erase(gateway, school, candidate_id)
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"id": candidate_id, "status": "effacé"}
        # A double click answers the same, and changes nothing more.
        assert _erase(gateway, school, candidate_id).json() == erased.json()

    left: set[tuple[str, str]] = set()

    def clean() -> bool:
        left.clear()
        left.update(where_found(settings, traces))
        return not left

    assert _eventually(clean, 30), left
    assert not _letters_of(settings, by_post)
    for candidate_id in (booked, by_post):
        gone = requests.get(
            f"{gateway}/api/candidats/{candidate_id}", headers=school["headers"]
        )
        assert gone.status_code == 404
    listed = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    shown = {c["candidate_id"] for c in listed.json()["items"]}
    assert not shown & {booked, by_post}
    # The school keeps its reservation (the seat it paid for), not who it was for.
    rows = requests.get(f"{gateway}/api/reservations", headers=school["headers"])
    (row,) = [r for r in rows.json()["items"] if r["id"] == line]
    assert (row["candidate_name"], row["neph"], row["status"]) == ("", "", "confirmée")
    # The invoice is kept as issued: it still names whom the seat was for.
    payments = requests.get(f"{gateway}/api/paiements", headers=school["headers"])
    (payment,) = payments.json()["items"]
    pdf = requests.get(
        f"{gateway}/api/paiements/{payment['id']}/facture", headers=school["headers"]
    )
    assert pdf.status_code == 200
    assert marker.lower() in pdf_text(pdf.content).lower()
    # Nothing sent since names the candidate (what was delivered before is in
    # its recipients' mailboxes, beyond the platform's reach).
    assert _mails_with(mail_folder, traces) == mailed_before


def test_a_seat_taken_while_the_erasure_was_asked_leaves_the_cart(
    gateway, new_school, scheduling, candidates
):
    school = new_school()
    candidate_id = _create(gateway, school, _file(_neph(), _marker(), _birth_date()))
    _confirm(candidates, candidate_id)
    neph = candidates.get_file(UUID(candidate_id))["neph"]
    site = centre(scheduling, "TEST-EFFACEMENT", "Lyon", 45.76, 4.84)
    session = scheduling.schedule_session(site, next_weekday(3, 2), 18, COLLECTIVE)
    held = hold(gateway, school, neph, session["id"])
    assert held.status_code == 201, held.text
    # As if the hold came between the service's question to booking and the
    # erasure itself.
    candidates.erase(UUID(candidate_id), None, seat_upcoming=False)

    def cart() -> list:
        answer = requests.get(f"{gateway}/api/panier", headers=school["headers"])
        return answer.json()["items"]

    assert _eventually(lambda: cart() == [], 30), cart()
    assert _statuses(gateway, school)[held.json()["id"]] == "retirée du panier"
    again = hold(gateway, school, neph, session["id"])
    assert again.status_code == 404  # the file is gone: no new seat


def test_only_the_school_of_a_file_can_erase_it(gateway, new_school):
    school, other = new_school(), new_school()
    marker, born = _marker(), _birth_date()
    neph = _neph()
    candidate_id = _create(gateway, school, _file(neph, marker, born))
    for hostile in (
        candidate_id,  # another school's
        str(uuid4()),  # nobody's
        str(NephClaim.create_id(neph)),  # another kind of record
    ):
        answer = _erase(gateway, other, hostile)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "dossier_introuvable"
    for bad in ("pas-un-id", "1" * 200, "%00", "' OR 1=1 --"):
        answer = _erase(gateway, other, bad)
        assert answer.status_code in (400, 404), answer.text
        assert "Traceback" not in answer.text
    anonymous = requests.post(f"{gateway}/api/candidats/{candidate_id}/effacement")
    assert anonymous.status_code == 401
    # The file is still there for its school.
    still = requests.get(
        f"{gateway}/api/candidats/{candidate_id}", headers=school["headers"]
    )
    assert still.status_code == 200
    assert still.json()["birth_name"] == marker


def test_the_candidate_erases_their_file_through_their_link(
    gateway, settings, new_school, candidates
):
    school = new_school()
    marker, born = _marker(), _birth_date()
    candidate_id = _create(gateway, school, _file(_neph(), marker, born))
    file = candidates.repository.get(UUID(candidate_id))
    link = {
        "dossier": candidate_id,
        "jeton": candidates.links.token(ACTIVATION, file.id, file.activation_nonce),
    }
    wrong = requests.post(
        f"{gateway}/api/candidat/effacement", json={**link, "jeton": "x" * 40}
    )
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Ce lien d'activation n'est pas valide."
    for bad in ({}, {"dossier": "pas-un-id", "jeton": "x"}, {**link, "dossier": 3}):
        answer = requests.post(f"{gateway}/api/candidat/effacement", json=bad)
        assert answer.status_code in (400, 404), answer.text
        assert answer.json()["code"] != "erreur_interne"

    erased = requests.post(f"{gateway}/api/candidat/effacement", json=link)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"id": candidate_id, "status": "effacé"}
    again = requests.post(f"{gateway}/api/candidat/effacement", json=link)
    assert again.json() == erased.json()
    # The link opens nothing any more; the school's list no longer shows it.
    opened = requests.post(f"{gateway}/api/candidat/dossier", json=link)
    assert opened.status_code == 404
    gone = requests.get(
        f"{gateway}/api/candidats/{candidate_id}", headers=school["headers"]
    )
    assert gone.status_code == 404


def test_refused_files_and_old_letters_are_purged_after_their_retention(
    gateway, settings, new_school, candidates, travel
):
    school = new_school()
    marker, born = _marker(), _birth_date()
    candidate_id = _create(gateway, school, _file(_neph(), marker, born, True))
    wait_for(lambda: _letters_of(settings, candidate_id), 30)
    file = candidates.repository.get(UUID(candidate_id))
    token = candidates.links.token(ACTIVATION, file.id, file.activation_nonce)
    candidates.refuse(file.id, token)
    listed = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    assert candidate_id in {c["candidate_id"] for c in listed.json()["items"]}

    travel(timedelta(days=settings.candidate_retention_days + 1))
    school = _signed_in_again(gateway, school)

    def purged() -> bool:
        answer = requests.get(
            f"{gateway}/api/candidats/{candidate_id}", headers=school["headers"]
        )
        return answer.status_code == 404 and not _letters_of(settings, candidate_id)

    assert wait_for(purged, 40)
    traces = _traces(marker, born)
    found: set[tuple[str, str]] = set()

    def clean() -> bool:
        found.clear()
        found.update(where_found(settings, traces))
        return not found

    assert _eventually(clean, 30), found
