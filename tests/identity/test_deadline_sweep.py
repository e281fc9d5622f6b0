"""The sweep that ends digital-identity requests past their deadline (ID-7),
on the real PostgreSQL with the read model its projection keeps: two
processes sweeping at once store one end, a process holding a stale copy
writes nothing, and a sweep that finds rows its read model has not removed
yet ends nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import eventlet
import pytest

from services.common.clock import FrozenClock
from services.identity.application import IdentityApplication
from services.identity.candidate_accounts import CandidateAccounts
from services.identity.deadlines import VIEW, sweep_overdue
from services.identity.digital_identities import DigitalIdentities
from services.identity.digital_identity import (
    ENDED,
    POST_OFFICE_MISSED,
    DigitalIdentity,
)
from services.identity.projections import READ_MODELS
from tests.e2e.test_digital_identity import _request

# A Wednesday: the deadlines below do not depend on weekends.
START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="module")
def apps(settings, clock):
    """Two identity processes on one database, as two replicas, in a schema
    of their own (the stack's sweep, on its own clock, never sees it)."""
    own = settings.replace(schema_prefix=f"{settings.schema_prefix}sweep_")
    first = IdentityApplication(settings=own, clock=clock)
    second = IdentityApplication(settings=own, clock=clock)
    follower = READ_MODELS[VIEW].follower(first)
    for app in (first, second):
        app.views[VIEW] = follower.view
    yield first, second, follower
    follower.release()
    first.close()
    second.close()


def _at_post_office(app: IdentityApplication, candidate_id: UUID | None = None) -> UUID:
    opened = CandidateAccounts(app).open(
        candidate_id or uuid4(),
        f"{uuid4().hex[:8]}@example.fr",
        "+33698765432",
        "Candidat2026",
    )
    account_id = UUID(opened["account_id"])
    identities = DigitalIdentities(app)
    identities.request(account_id, _request())
    identities.choose_post_office(account_id)
    return DigitalIdentity.create_id(account_id)


def _ends(app: IdentityApplication, identity_id: UUID) -> list[DigitalIdentity.Refused]:
    events = app.repository.event_store.get(identity_id)
    return [e for e in events if isinstance(e, DigitalIdentity.Refused)]


def _past_deadline(clock: FrozenClock, days: int = 16) -> None:
    clock.set(START + timedelta(days=days))


def test_two_replicas_sweeping_at_once_end_a_request_once(apps, clock):
    first, second, follower = apps
    clock.set(START)
    identity_ids = [_at_post_office(first) for _ in range(3)]
    follower.run_until_caught_up()
    _past_deadline(clock)

    sweeps = [eventlet.spawn(sweep_overdue, app) for app in (first, second)]
    ended = [set(sweep.wait()) for sweep in sweeps]

    mine = {str(i) for i in identity_ids}
    # Each request ended by one of them, none by both, without an error.
    assert (ended[0] | ended[1]) >= mine
    assert not (ended[0] & ended[1] & mine)
    for identity_id in identity_ids:
        refusals = _ends(first, identity_id)
        assert len(refusals) == 1
        assert refusals[0].agent_id is None
        assert refusals[0].reason == POST_OFFICE_MISSED
    follower.run_until_caught_up()
    overdue = {str(r["identity_id"]) for r in follower.view.overdue(clock.now(), 500)}
    assert not overdue & mine  # they left the read model


def test_a_stale_copy_and_a_sweep_behind_its_read_model_write_nothing(apps, clock):
    first, second, follower = apps
    clock.set(START)
    identity_id = _at_post_office(first)
    follower.run_until_caught_up()
    _past_deadline(clock)
    stale = second.repository.get(identity_id)
    looked = second.repository.get(identity_id)

    assert str(identity_id) in sweep_overdue(first)
    # The other replica loaded it before: the version check drops its end.
    assert DigitalIdentities(second).end_overdue(stale) is False
    # A candidate looking at that moment sees the stored end, not an error.
    seen = DigitalIdentities(second).current(looked.id)
    assert seen.status == ENDED
    # The read model has not caught up: the row is still there, and the
    # next sweep (after a crash, say) ends nothing again.
    assert identity_id in [
        r["identity_id"] for r in follower.view.overdue(clock.now(), 500)
    ]
    assert str(identity_id) not in sweep_overdue(second)
    assert len(_ends(first, identity_id)) == 1


def test_a_request_within_its_deadline_is_left_alone(apps, clock):
    first, _, follower = apps
    clock.set(START)
    identity_id = _at_post_office(first)
    follower.run_until_caught_up()
    _past_deadline(clock, days=14)
    assert str(identity_id) not in sweep_overdue(first)
    assert first.repository.get(identity_id).status == "en_verification"


def test_an_erased_account_leaves_the_read_model_and_the_sweep(apps, clock):
    first, _, follower = apps
    clock.set(START)
    candidate_id = uuid4()
    identity_id = _at_post_office(first, candidate_id)
    follower.run_until_caught_up()
    _past_deadline(clock)
    overdue = follower.view.overdue(clock.now(), 500)
    assert identity_id in [r["identity_id"] for r in overdue]

    # The account's last file erased (TR-4): the account closes with it.
    identity = first.repository.get(identity_id)
    account = first.repository.get(identity.account_id)
    account.remove_file(candidate_id)
    first.save(account)
    follower.run_until_caught_up()

    overdue = follower.view.overdue(clock.now(), 500)
    assert identity_id not in [r["identity_id"] for r in overdue]
    assert str(identity_id) not in sweep_overdue(first)
    assert _ends(first, identity_id) == []  # nobody left to tell
