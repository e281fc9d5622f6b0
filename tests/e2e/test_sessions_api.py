"""Bearer tokens checked by the gateway itself, against the real stack: it
answers without identity, learns revocations from identity's events, and keeps
them across its own restart."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from uuid import uuid4

import jwt
import requests

from pmc.launcher import Launcher
from services.common.sessions import SessionTokens
from tests.e2e.conftest import PASSWORD
from tests.helpers import wait_for


def _status(gateway: str, headers: dict[str, str]) -> int:
    return requests.get(
        f"{gateway}/api/panier", headers=headers, timeout=30
    ).status_code


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _second_session(gateway: str, school: dict) -> dict[str, str]:
    signed_in = requests.post(
        f"{gateway}/api/sessions",
        json={"email": school["email"], "password": PASSWORD},
    )
    assert signed_in.status_code == 201, signed_in.text
    return _bearer(signed_in.json()["token"])


def test_signing_out_ends_this_session_and_not_the_others(gateway, new_school):
    school = new_school()
    other = _second_session(gateway, school)
    out = requests.delete(f"{gateway}/api/sessions", headers=school["headers"])
    assert out.status_code == 200, out.text
    assert out.json()["message"].startswith("Vous êtes déconnecté")
    # At once: one gateway here, which applies its own sign-outs before the event.
    assert _status(gateway, school["headers"]) == 401
    assert _status(gateway, other) == 200
    again = requests.delete(f"{gateway}/api/sessions", headers=school["headers"])
    assert again.status_code == 401
    assert again.json()["code"] == "non_authentifie"


def test_expired_forged_and_tampered_tokens_are_refused(
    gateway, new_school, settings, travel
):
    school, stranger = new_school(), new_school()
    token = school["headers"]["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    other_key = SessionTokens("une-autre-cle", timedelta(hours=8))
    forged = other_key.issue(uuid4(), 0, datetime.now(UTC), session_id=claims["sid"])[
        "token"
    ]
    unsigned = jwt.encode(claims, None, algorithm="none")
    # Another school's id in the payload, the signature left as it was.
    header, _, signature = token.split(".")
    swapped = {**claims, "sub": stranger["account"]["account_id"]}
    payload = base64.urlsafe_b64encode(json.dumps(swapped).encode()).rstrip(b"=")
    tampered = f"{header}.{payload.decode()}.{signature}"
    for bad in (forged, unsigned, tampered, "pas-un-jeton"):
        answer = requests.get(f"{gateway}/api/panier", headers=_bearer(bad))
        assert answer.status_code == 401, bad
        assert answer.json()["code"] == "non_authentifie"
    assert _status(gateway, school["headers"]) == 200

    travel(timedelta(hours=settings.session_hours, minutes=1))
    expired = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    assert expired.status_code == 401
    assert expired.json()["message"] == (
        "Votre session a expiré ou n'est pas valide. Veuillez vous reconnecter."
    )


def test_without_identity_requests_are_served_and_sign_in_is_not_done(
    stack: Launcher, gateway, new_school
):
    school = new_school()
    stack.halt("identity")
    try:
        assert _status(gateway, school["headers"]) == 200
        candidates = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
        assert candidates.status_code == 200
        signing_in = requests.post(
            f"{gateway}/api/sessions",
            json={"email": school["email"], "password": PASSWORD},
            timeout=60,
        )
        assert signing_in.status_code == 503
        assert signing_in.json()["code"] == "service_indisponible"
        assert signing_in.headers["Retry-After"]
    finally:
        stack.resume("identity")
        stack.wait_ready(timeout=60)


def test_a_restarted_gateway_trusts_no_token_until_it_knows_the_revocations(
    stack: Launcher, gateway, new_school
):
    school = new_school()
    kept = _second_session(gateway, school)
    requests.delete(f"{gateway}/api/sessions", headers=school["headers"])
    wait_for(lambda: _status(gateway, school["headers"]) == 401, timeout=10)

    stack.halt("identity")
    try:
        stack.halt("gateway")
        stack.resume("gateway")
        live = f"{gateway}/health/live"
        wait_for(lambda: _answers(live), timeout=60)
        # Without identity it cannot know which sessions ended: it says so.
        for headers in (kept, school["headers"]):
            waiting = requests.get(f"{gateway}/api/panier", headers=headers)
            assert waiting.status_code == 503
            assert waiting.json()["code"] == "service_indisponible"
            assert waiting.headers["Retry-After"]
        ready = requests.get(f"{gateway}/health/ready").json()
        assert ready["sessions"] == "indisponible"
    finally:
        stack.resume("identity")
    wait_for(lambda: _status(gateway, kept) == 200, timeout=60)
    assert _status(gateway, school["headers"]) == 401
    stack.wait_ready(timeout=60)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def test_revocations_still_arrive_after_the_gateway_lost_the_broker(
    gateway, new_school
):
    school = new_school()
    other = _second_session(gateway, school)
    # The broker drops the connection on which the gateway follows identity's
    # events (as a restart of RabbitMQ would); the gateway reconnects alone.
    lost = wait_for(_feed_connection, timeout=30)  # a gateway just restarted
    _management(f"connections/{quote(lost, safe='')}", "DELETE")
    wait_for(lambda: _feed_connection() not in (None, lost), timeout=30)

    changed = requests.post(
        f"{gateway}/api/compte/mot-de-passe",
        json={"current_password": PASSWORD, "new_password": "Nouveau2027"},
        headers=school["headers"],
    )
    assert changed.status_code == 200
    wait_for(lambda: _status(gateway, other) == 401, timeout=10)
    assert _status(gateway, _bearer(changed.json()["token"])) == 200


def _management(path: str, method: str = "GET") -> requests.Response:
    from tests.conftest import VHOST

    base = os.environ.get(
        "PMC_TEST_RABBIT_MANAGEMENT", "http://guest:guest@127.0.0.1:15672"
    )
    url = f"{base}/api/{path.format(vhost=quote(VHOST, safe=''))}"
    answer = requests.request(method, url, timeout=10)
    answer.raise_for_status()
    return answer


def _feed_connection() -> str | None:
    """The connection consuming the gateway's revocation queue, if any."""
    for queue in _management("queues/{vhost}").json():
        if queue["name"].startswith("gateway-revocations-"):
            name = queue["name"]
            details = _management(f"queues/{{vhost}}/{quote(name, safe='')}").json()
            for consumer in details.get("consumer_details", []):
                # A channel that is closing shows its details as [].
                channel = consumer.get("channel_details")
                if isinstance(channel, dict) and channel.get("connection_name"):
                    return channel["connection_name"]
    return None
