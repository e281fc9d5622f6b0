"""Caps on a school's holds through the gateway (issue 12): one school's
concurrent clicks on a session stop at its share, with a French 409 naming
the limit; another school still holds the rest."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import eventlet
import requests

from services.scheduling.domain import COLLECTIVE
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday

SEATS = 18
SHARE = 6  # 33 % of 18 (PMC_HOLDS_PER_SESSION_PERCENT's default)


def test_one_school_s_concurrent_holds_stop_at_its_share_of_a_session(
    gateway, new_school, scheduling, candidates, booking
):
    greedy, other = new_school(), new_school()
    site = centre(scheduling, "TEST-PARTS", "Villeurbanne", 45.77, 4.88)
    session = scheduling.schedule_session(site, next_weekday(3, 3), SEATS, COLLECTIVE)
    nephs = activated_files(candidates, greedy, 20, first=60_000)

    answers = list(
        eventlet.GreenPool(20).imap(
            lambda neph: hold(gateway, greedy, neph, session["id"]), nephs
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: SHARE, 409: 20 - SHARE}, statuses
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["code"] == "limite_atteinte"
    assert refused["message"] == (
        "Votre auto-école a déjà 6 des 18 places de cette session, le maximum "
        "permis à une auto-école : choisissez un autre créneau."
    )
    cart = requests.get(f"{gateway}/api/panier", headers=greedy["headers"]).json()
    assert len(cart["items"]) == SHARE  # the refused clicks wrote nothing

    # Another school is not held back: it takes its own share.
    theirs = activated_files(candidates, other, SHARE, first=60_100)
    taken = [hold(gateway, other, neph, session["id"]) for neph in theirs]
    assert [a.status_code for a in taken] == [201] * SHARE
    seats = booking.repository.get(UUID(session["id"]))
    assert seats.free_seats == SEATS - 2 * SHARE
