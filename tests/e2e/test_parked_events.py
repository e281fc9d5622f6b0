"""An event a read model cannot apply stops nothing (TR-2), on the real stack.

The edge now refuses what a read model cannot store, so the bad events are
written as the candidates application writes them, in this process and in the
running stack's schema: the way they got in before the edge checked.
"""

from __future__ import annotations

import re
import secrets

import requests
from psycopg import sql

from services.candidates.projections import SEARCH_KEY_OWNER
from services.common.search_hashes import SchoolSearchKeys, neph_hash
from tests.helpers import wait_for, write_unchecked_file

PROJECTION = "projection.candidate_list"


def _neph() -> str:
    return "8" + "".join(secrets.choice("0123456789") for _ in range(11))


def _refuse(
    candidates, neph: str, school: dict
) -> tuple[sql.Composable, sql.Composable]:
    """A rule the read model's table will not break for this NEPH (the list
    knows it by its keyed hash), and the statement that removes it."""
    keys = SchoolSearchKeys(candidates.vault.keystore, SEARCH_KEY_OWNER)
    hashed = neph_hash(keys.of(school["account"]["account_id"]), neph)
    table = sql.Identifier(candidates.datastore.schema, "candidate_list")
    rule = sql.Identifier(f"refuse_{neph}")
    add = sql.SQL(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK (neph_hash <> {}) NOT VALID"
    ).format(table, rule, sql.Literal(hashed))
    return add, sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(table, rule)


def _write_file(app, school: dict, neph: str, birth_name: str) -> None:
    write_unchecked_file(
        app, school["account"]["account_id"], school["email"], neph, birth_name
    )


def _listed(gateway: str, school: dict) -> dict[str, dict]:
    answer = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    assert answer.status_code == 200, answer.text
    return {item["neph"]: item for item in answer.json()["items"]}


def _ready(gateway: str) -> dict:
    """Readiness while every service answers (on a loaded machine a probe may
    miss its second: the next one is asked)."""

    def answered() -> dict | None:
        answer = requests.get(f"{gateway}/health/ready", timeout=5)
        return answer.json() if answer.status_code == 200 else None

    return wait_for(answered, timeout=15, interval=0.5)


def _parked(pmc) -> dict[int, str]:
    """`pmc parked list candidates`, as an operator reads it: position → entry."""
    listing = pmc("parked", "list", "candidates")
    assert listing.returncode == 0, listing.stderr
    entries = re.findall(
        r"#(\d+)\s+(\S+)\s+(\S+)\s+since [^\n]*\n\s+error: ([^\n]*)", listing.stdout
    )
    return {int(n): f"{role} {topic} {error}" for n, role, topic, error in entries}


def test_a_bad_event_is_parked_listed_and_applied_once_fixed(
    gateway, new_school, candidates, pmc
):
    school = new_school()
    stuck, refused = _neph(), _neph()
    # The stack is shared by the whole run: count from what is parked now.
    before = _parked(pmc)
    print("parked before this test:", before)
    # What the read model's table will not take (rules added for this test,
    # removed below): the cause an operator fixes before retrying. The list
    # keeps names sealed, so a NUL in one no longer stops it (that cause is
    # tried on a clear column in tests/common/test_parking.py).
    add_stuck, drop_stuck = _refuse(candidates, stuck, school)
    add_refused, drop_refused = _refuse(candidates, refused, school)
    with candidates.datastore.transaction(commit=True) as curs:
        curs.execute(add_stuck)
        curs.execute(add_refused)
    _write_file(candidates, school, stuck, "Durand")
    _write_file(candidates, school, refused, "Martin")

    # The events after them are applied: a new candidate shows in the list.
    after = requests.post(
        f"{gateway}/api/candidats",
        headers=school["headers"],
        json={
            "neph": _neph(),
            "civility": "MME",
            "birth_name": "Lambert",
            "given_names": "Zoé",
            "birth_date": "17/03/2006",
            "email": "zoe.lambert@example.fr",
        },
    )
    assert after.status_code == 201, after.text
    wait_for(lambda: after.json()["neph"] in _listed(gateway, school), timeout=20)
    assert stuck not in _listed(gateway, school)

    # Readiness names the degraded projection, and how many events it parked.
    body = _ready(gateway)
    assert body["status"] == "degradé"
    assert "candidates" in body["degraded"]
    assert body["services"]["candidates"]["parked"] == {PROJECTION: len(before) + 2}

    parked = {n: entry for n, entry in _parked(pmc).items() if n not in before}
    assert len(parked) == 2
    stuck_at, refused_at = sorted(parked)
    assert parked[stuck_at].startswith(f"{PROJECTION} CandidateFile.Created")
    assert f"refuse_{stuck}" in parked[stuck_at]
    assert f"refuse_{refused}" in parked[refused_at]

    # Retried before the cause is fixed: still parked, one attempt more.
    again = pmc("parked", "retry", "candidates", "--id", str(refused_at))
    assert again.returncode == 1 and "failed again" in again.stdout, again.stdout
    assert "2 attempt(s)" in pmc("parked", "list", "candidates").stdout

    with candidates.datastore.transaction(commit=True) as curs:
        curs.execute(drop_refused)
    retried = pmc("parked", "retry", "candidates", "--id", str(refused_at))
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert f"#{refused_at} applied" in retried.stdout
    listed = _listed(gateway, school)
    assert listed[refused]["birth_name"] == "Martin"
    assert [n for n in _parked(pmc) if n not in before] == [stuck_at]
    # Applied once: retrying again finds nothing to do for it.
    once_more = pmc("parked", "retry", "candidates", "--id", str(refused_at))
    assert once_more.stdout == "nothing parked to retry\n"
    assert [n for n in _listed(gateway, school) if n == refused] == [refused]

    ready = _ready(gateway)
    assert ready["services"]["candidates"]["parked"] == {PROJECTION: len(before) + 1}
    with candidates.datastore.transaction(commit=True) as curs:
        curs.execute(drop_stuck)  # the table clean again; its event stays parked
