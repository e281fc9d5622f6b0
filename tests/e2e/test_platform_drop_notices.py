"""A school is told when the platform, not the school, ends what it asked
for, against the real stack: its waiting-list entry (EX-2) dropped because
the file was archived or the operator cancelled the session, and an unpaid
seat in its cart ended with a session the operator cancelled (SC-2). One
e-mail each, to that school only, in French, with the candidate, the
session and why; none for an entry the school took out itself; nothing
twice when the event is redelivered."""

from __future__ import annotations

import time
from uuid import UUID

import requests
from eventsourcing.utils import get_topic

from services.booking.domain import Reservation
from services.booking.publications import PUBLISHED
from services.booking.waiting_list import WaitingList
from services.common import contracts
from services.common.documents import when
from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.e2e.test_waiting_list_api import _entries, _full_session, _queue
from tests.helpers import mails_to, one_line, publish_event, wait_for

REASON = "Panne du réseau du centre"
DROPPED = "Liste d'attente : inscription retirée"
HOLD_ENDED = "Place retirée de votre panier"
# A new file's e-mail may wait behind an earlier test's burst of bulk mail.
MAIL_WAIT = 90
# A repeated e-mail would arrive within this time (seconds).
REPEAT_WITHIN = 3


def _mails(mail_folder, school, subject: str) -> list:
    return [
        m
        for m in mails_to(mail_folder, school["email"])
        if m["Subject"].startswith(subject)
    ]


def _body(mail) -> str:
    return one_line(mail.get_body(preferencelist=("plain",)).get_content())


def _stored(booking, event_class: type, originator_id: UUID) -> list[tuple]:
    """Each stored event of that kind of the aggregate, with its position in
    booking's log (what the relay published it under)."""
    topic = get_topic(event_class)
    return [
        (n.id, booking.mapper.to_domain_event(n))
        for n in booking.recorder.select_notifications(
            start=1, limit=100_000, topics=[topic]
        )
        if n.originator_id == originator_id
    ]


def _redeliver(booking, settings, contract, stored: tuple) -> None:
    position, event = stored
    body = dict(PUBLISHED[type(event)].translate(event, booking))
    publish_event(settings.amqp_uri, "booking", contract, body, position, 2)


def test_a_school_is_told_once_when_the_platform_drops_its_waiting_entry(
    gateway, new_school, scheduling, candidates, mail_folder, booking, pmc, settings
):
    owner, school_a, school_b = new_school(), new_school(), new_school()
    full = _full_session(gateway, owner, scheduling, candidates, first=44000)
    session = full["session"]
    exam = when(session["starts_at"])
    archived, kept = activated_files(candidates, school_a, 2, first=44010)
    (other,) = activated_files(candidates, school_b, 1, first=44020)
    for school, neph in ((school_a, archived), (school_a, kept), (school_b, other)):
        queued = _queue(gateway, school, neph, session["id"])
        assert queued.status_code == 201, queued.text

    # A takes one of its entries out itself: nobody is told of that.
    (mine,) = [e for e in _entries(gateway, school_a) if e["neph"] == kept]
    left = requests.delete(
        f"{gateway}/api/liste-attente/{mine['id']}", headers=school_a["headers"]
    )
    assert left.status_code == 200, left.text

    # A archives the other file: its entry leaves the line, A is told why.
    (entry,) = _entries(gateway, school_a)
    answer = requests.post(
        f"{gateway}/api/candidats/{entry['candidate_id']}/archivage",
        headers=school_a["headers"],
    )
    assert answer.status_code == 200, answer.text
    (told,) = wait_for(lambda: _mails(mail_folder, school_a, DROPPED), MAIL_WAIT)
    assert told["Subject"] == f"{DROPPED} pour l'examen du {exam}"
    body = _body(told)
    assert (
        f"Test Siège0 (NEPH {archived}) n'est plus en liste d'attente pour "
        f"l'examen du {exam} au "
        f"{session['centre']['name']} (Vénissieux)." in body
    )
    assert "car son dossier a été archivé" in body
    assert "Siège1" not in body  # the entry A took out itself
    assert _entries(gateway, school_a) == []
    assert [e["neph"] for e in _entries(gateway, school_b)] == [other]
    assert _mails(mail_folder, school_b, DROPPED) == []

    # The operator cancels the session: B's entry is dropped, B told why.
    done = pmc("cancel-session", session["id"], "--reason", REASON)
    assert done.returncode == 0, done.stderr
    (told_b,) = wait_for(lambda: _mails(mail_folder, school_b, DROPPED), MAIL_WAIT)
    body = _body(told_b)
    assert (
        f"Test Siège0 (NEPH {other}) n'est plus en liste d'attente pour l'examen "
        f"du {exam}" in body
    )
    assert "car la session a été annulée par le centre d'examen." in body
    assert f"Motif indiqué par le centre : {REASON}." in body
    assert _entries(gateway, school_b) == []

    # Redelivered, both drops: nobody told twice, A never of B's entry.
    line_id = WaitingList.create_id(UUID(session["id"]))
    drops = _stored(booking, WaitingList.Dropped, line_id)
    assert len(drops) == 2
    for stored in drops:
        _redeliver(booking, settings, contracts.WaitingEntryDropped, stored)
    time.sleep(REPEAT_WITHIN)
    assert len(_mails(mail_folder, school_a, DROPPED)) == 1
    assert len(_mails(mail_folder, school_b, DROPPED)) == 1


def test_each_school_is_told_once_of_its_unpaid_seat_ended_with_the_session(
    gateway, new_school, scheduling, candidates, mail_folder, booking, pmc, settings
):
    school_a, school_b = new_school(), new_school()
    site = centre(scheduling, "TEST-PANIER-ANNULE", "Bron", 45.73, 4.91)
    session = scheduling.schedule_session(site, next_weekday(4, 2), 18, COLLECTIVE)
    exam = when(session["starts_at"])
    (neph_a,) = activated_files(candidates, school_a, 1, first=44030)
    (neph_b,) = activated_files(candidates, school_b, 1, first=44040)
    held_a = hold(gateway, school_a, neph_a, session["id"])
    held_b = hold(gateway, school_b, neph_b, session["id"])
    assert held_a.status_code == held_b.status_code == 201, held_a.text

    done = pmc("cancel-session", session["id"], "--reason", REASON)
    assert done.returncode == 0, done.stderr
    assert "2 place(s) non payée(s) retirée(s) des paniers" in done.stdout

    for school, held in ((school_a, held_a), (school_b, held_b)):
        (told,) = wait_for(
            lambda s=school: _mails(mail_folder, s, HOLD_ENDED), MAIL_WAIT
        )
        assert told["Subject"] == f"{HOLD_ENDED} : session du {exam} annulée"
        body = _body(told)
        assert (
            f"La session d'examen du {exam} au {session['centre']['name']} (Bron) a "
            "été annulée par le centre d'examen." in body
        )
        assert f"Test Siège0 (réservation n° {held.json()['id']})" in body
        assert "vous n'avez rien à payer" in body
        assert f"Motif indiqué par le centre : {REASON}." in body
    # Each school only of its own seat.
    other_id = held_b.json()["id"]
    assert other_id not in _body(_mails(mail_folder, school_a, HOLD_ENDED)[0])

    # Redelivered: nobody told twice.
    for held in (held_a, held_b):
        (stored,) = _stored(booking, Reservation.HoldCancelled, UUID(held.json()["id"]))
        _redeliver(booking, settings, contracts.HoldCancelled, stored)
    time.sleep(REPEAT_WITHIN)
    assert len(_mails(mail_folder, school_a, HOLD_ENDED)) == 1
    assert len(_mails(mail_folder, school_b, HOLD_ENDED)) == 1
