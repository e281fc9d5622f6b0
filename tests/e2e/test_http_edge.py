"""The gateway's HTTP edge against the real stack (GW-3, TR-1, TR-3): every answer,
whatever the request, is one French JSON error (or a French page), and says
whether the request was done, not done, or maybe done."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from uuid import UUID

import eventlet
import pytest
import requests

from gateway.server import GatewayHttp
from gateway.service import GatewayService
from services.billing.provider import APPROVED_TOKEN
from services.scheduling.domain import COLLECTIVE
from tests.conftest import free_port
from tests.e2e.test_booking_api import activated_files, centre, hold, next_weekday
from tests.helpers import wait_for

DEEP = "[" * 5000 + "]" * 5000
FRENCH = re.compile(r"\b(pas|est|sont|de|la|le|les|du|des|votre|cette|ce)\b")


def assert_french_error(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()
    assert error["status"] == status
    assert error["code"] == code
    assert set(error) <= {"status", "code", "message", "fields"}
    assert "Traceback" not in error["message"]
    # French, addressed to a person.
    assert FRENCH.search(error["message"]), error["message"]
    return error


def candidate_count(gateway: str, school: dict) -> int:
    listed = requests.get(f"{gateway}/api/candidats", headers=school["headers"])
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


def new_candidate(neph: str) -> dict:
    return {
        "neph": neph,
        "civility": "M",
        "birth_name": "Martin",
        "given_names": "Paul",
        "birth_date": "2005-03-01",
        "email": f"paul.{neph}@example.fr",
    }


def test_every_http_entrypoint_of_the_gateway_shares_the_french_server():
    # nameko shares a server per class: an entrypoint declared with nameko's
    # own `http` would start a second server on the same port.
    found = [
        entrypoint
        for name in dir(GatewayService)
        for entrypoint in getattr(
            getattr(GatewayService, name), "nameko_entrypoints", ()
        )
    ]
    assert found
    assert all(isinstance(e, GatewayHttp) for e in found)


def test_unknown_paths_and_methods_answer_in_french(gateway):
    missing = requests.get(f"{gateway}/api/nulle-part")
    error = assert_french_error(missing, 404, "introuvable")
    assert error["message"] == "Cette adresse n'existe pas."

    page = requests.get(f"{gateway}/espace/nulle-part")
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Page introuvable" in page.text

    wrong = requests.delete(f"{gateway}/api/comptes")
    error = assert_french_error(wrong, 405, "methode_non_autorisee")
    assert wrong.headers["Allow"] == "POST"
    assert "DELETE" in error["message"]
    options = requests.options(f"{gateway}/api/panier")
    assert_french_error(options, 405, "methode_non_autorisee")
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_an_address_over_8_kb_or_huge_headers_get_a_french_answer(gateway, new_school):
    school = new_school()
    long_url = requests.get(
        f"{gateway}/api/candidats",
        params={"recherche": "a" * 9000},
        headers=school["headers"],
    )
    assert_french_error(long_url, 414, "adresse_trop_longue")
    big_header = requests.get(
        f"{gateway}/api/candidats", headers={**school["headers"], "X-A": "b" * 9000}
    )
    assert_french_error(big_header, 431, "entetes_trop_volumineux")
    # The connection was not reset: the same school is served right after.
    assert candidate_count(gateway, school) == 0


def test_a_malformed_request_gets_a_french_json_400(gateway):
    host, port = gateway.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"N'IMPORTE QUOI\r\n\r\n")
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["code"] == "requete_invalide"


def test_bodies_are_json_of_bounded_size_and_depth_and_change_nothing(
    gateway, new_school
):
    school = new_school()
    url = f"{gateway}/api/candidats"

    as_text = requests.post(
        url,
        data=json.dumps(new_candidate("150000000001")),
        headers={**school["headers"], "Content-Type": "text/plain"},
    )
    assert_french_error(as_text, 415, "type_non_supporte")

    padded = {**new_candidate("150000000002"), "notes": "x" * 100_000}
    too_big = requests.post(url, json=padded, headers=school["headers"])
    error = assert_french_error(too_big, 413, "corps_trop_volumineux")
    assert "64 Ko" in error["message"]
    # A body without Content-Length is counted while it is read.
    chunks = (
        json.dumps(padded)[i : i + 4096].encode() for i in range(0, 110_000, 4096)
    )
    streamed = requests.post(
        url,
        data=chunks,
        headers={**school["headers"], "Content-Type": "application/json"},
    )
    assert_french_error(streamed, 413, "corps_trop_volumineux")

    deep = requests.post(
        url,
        data=DEEP,
        headers={**school["headers"], "Content-Type": "application/json"},
    )
    assert_french_error(deep, 400, "json_trop_imbrique")
    not_an_object = requests.post(url, json=[1, 2], headers=school["headers"])
    assert_french_error(not_an_object, 400, "json_invalide")
    nan = requests.post(
        url,
        data='{"neph": NaN}',
        headers={**school["headers"], "Content-Type": "application/json"},
    )
    assert_french_error(nan, 400, "json_invalide")
    half_a_character = requests.post(
        url,
        data=json.dumps(new_candidate("150000000003")).replace("Martin", "\\ud800"),
        headers={**school["headers"], "Content-Type": "application/json"},
    )
    assert_french_error(half_a_character, 400, "json_invalide")
    assert candidate_count(gateway, school) == 0

    # The CSV import takes a whole file: its cap is 2 MB, not 64 KB.
    csv = "colonne_inconnue\n" + "x\n" * 500_000  # 1 MB, read then refused
    imported = requests.post(
        f"{url}/import", json={"csv": csv}, headers=school["headers"]
    )
    assert imported.status_code == 400, imported.text
    assert "csv" in imported.json()["fields"]
    huge = requests.post(
        f"{url}/import", json={"csv": csv * 3}, headers=school["headers"]
    )
    error = assert_french_error(huge, 413, "corps_trop_volumineux")
    assert "2 Mo" in error["message"]


def test_authentication_comes_before_the_body(gateway):
    url = f"{gateway}/api/candidats"
    for body, content_type in (
        ("x" * 5_000_000, "application/json"),
        (DEEP, "application/json"),
        ("neph=1", "text/plain"),
        ("{", "application/json"),
    ):
        answer = requests.post(url, data=body, headers={"Content-Type": content_type})
        assert_french_error(answer, 401, "non_authentifie")
    # Without an account to check, the body rules apply at once.
    sign_up = requests.post(
        f"{gateway}/api/comptes",
        data=DEEP,
        headers={"Content-Type": "application/json"},
    )
    assert_french_error(sign_up, 400, "json_trop_imbrique")
    huge = requests.post(f"{gateway}/api/comptes", json={"email": "x" * 5_000_000})
    assert_french_error(huge, 413, "corps_trop_volumineux")


def test_query_parameters_repeated_are_refused_unknown_ignored(gateway, new_school):
    school = new_school()
    url = f"{gateway}/api/candidats"
    twice = requests.get(
        url, params=[("recherche", "a"), ("recherche", "b")], headers=school["headers"]
    )
    error = assert_french_error(twice, 400, "parametre_repete")
    assert error["fields"] == {
        "recherche": ["Ce paramètre ne peut figurer qu'une fois."]
    }
    unknown = requests.get(url, params={"tri": "nom"}, headers=school["headers"])
    assert unknown.status_code == 200


def test_a_write_left_unanswered_is_uncertain_and_never_done_later(
    gateway, stack, new_school, scheduling, candidates
):
    school = new_school()
    site = centre(scheduling, "TEST-EDGE", "Givors", 45.59, 4.77)
    session = scheduling.schedule_session(site, next_weekday(3, 3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=20_000)
    stack.halt("booking")
    try:
        # Both wait out the RPC timeout: side by side, not one after the other.
        listing = eventlet.spawn(
            requests.get, f"{gateway}/api/panier", headers=school["headers"]
        )
        answer = hold(gateway, school, neph, session["id"])
        listed = listing.wait()
    finally:
        stack.resume("booking")
    error = assert_french_error(answer, 504, "resultat_incertain")
    assert "incertain" in error["message"]
    assert "même clé d'idempotence" in error["message"]
    # A read that got no answer did nothing: « not done », try again.
    assert_french_error(listed, 503, "service_indisponible")
    assert int(listed.headers["Retry-After"]) >= 1

    stack.wait_ready(timeout=60)
    # The call expired in its queue while booking was down: it is not done
    # behind the school's back once booking is back.
    eventlet.sleep(2)
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"])
    assert cart.json()["items"] == []
    assert scheduling.session(UUID(session["id"]))["free_seats"] == 18
    assert hold(gateway, school, neph, session["id"]).status_code == 201


# -- a gateway of its own, whose link to RabbitMQ the tests cut ---------------------


class BrokerLink:
    """A TCP relay to RabbitMQ that a test cuts, as if the broker were down.

    Sockets are only shut down from outside their green thread, never closed:
    eventlet forbids closing a socket another green thread waits on."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        self.listener = eventlet.listen(("127.0.0.1", self.port))
        eventlet.spawn_n(self._accept, self.listener)

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        assert self.listener is not None
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self, listener: socket.socket) -> None:
        with contextlib.suppress(Exception):
            while True:
                client, _ = listener.accept()
                upstream = eventlet.connect(self.target)
                self.sockets |= {client, upstream}
                eventlet.spawn_n(self._pipe, client, upstream)
                eventlet.spawn_n(self._pipe, upstream, client)
        listener.close()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(Exception):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(Exception):
            target.shutdown(socket.SHUT_RDWR)
        self.sockets.discard(source)
        source.close()


@pytest.fixture(scope="module")
def edge(platform_env, settings, stack) -> Iterator[tuple[str, BrokerLink]]:
    """A second gateway, through a link to RabbitMQ, with one worker for the API
    and no queue, so that tests can overload it and cut it off."""
    scheme, _, rest = settings.amqp_uri.partition("://")
    credentials, _, hostpath = rest.partition("@")
    hostport, _, vhost = hostpath.partition("/")
    host, _, port = hostport.partition(":")
    link = BrokerLink((host, int(port or 5672)))
    web_port = free_port()
    env = {
        **platform_env,
        "AMQP_URI": f"{scheme}://{credentials}@127.0.0.1:{link.port}/{vhost}",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{web_port}",
        "PMC_GATEWAY_WORKERS": "5",  # 4 kept for the probes: 1 for the API
        "PMC_GATEWAY_QUEUE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pmc.cli", "serve", "gateway"], env=env
    )
    url = f"http://127.0.0.1:{web_port}"

    def ready() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{url}/health/ready", timeout=5).status_code == 200
        return False

    try:
        wait_for(ready, timeout=60, interval=0.5)
        yield url, link
    finally:
        process.terminate()
        process.wait(timeout=20)
        link.cut()


def test_beyond_its_workers_the_gateway_answers_503_with_retry_after(edge):
    url, _ = edge
    host, port = url.removeprefix("http://").split(":")
    # A client that sends half its body keeps the one API worker busy.
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        slow.sendall(
            b"POST /api/comptes HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        eventlet.sleep(0.5)
        refused = requests.get(f"{url}/api/openapi.json", timeout=10)
        error = assert_french_error(refused, 503, "surcharge")
        assert int(refused.headers["Retry-After"]) >= 1
        # The probes keep workers of their own: a busy gateway is alive.
        assert requests.get(f"{url}/health/live", timeout=10).status_code == 200
    assert "n'a pas été effectuée" in error["message"]
    served = wait_for(
        lambda: requests.get(f"{url}/api/openapi.json", timeout=10).status_code == 200
    )
    assert served


def test_a_payment_while_the_broker_is_unreachable_gets_503_and_nothing_happens(
    edge, gateway, new_school, scheduling, candidates
):
    url, link = edge
    school = new_school()
    site = centre(scheduling, "TEST-EDGE-PAY", "Vienne", 45.52, 4.87)
    session = scheduling.schedule_session(site, next_weekday(4, 3), 18, COLLECTIVE)
    (neph,) = activated_files(candidates, school, 1, first=20_100)
    line = hold(gateway, school, neph, session["id"]).json()["id"]

    link.cut()
    try:
        paid = requests.post(
            f"{url}/api/paiement/carte",
            json={"cgv": True, "jeton": APPROVED_TOKEN, "cle": "edge-1"},
            headers=school["headers"],
            timeout=60,
        )
    finally:
        link.restore()
    error = assert_french_error(paid, 503, "service_indisponible")
    assert "n'a pas été effectuée" in error["message"]
    assert int(paid.headers["Retry-After"]) >= 1

    payments = requests.get(f"{gateway}/api/paiements", headers=school["headers"])
    assert payments.json()["items"] == []
    cart = requests.get(f"{gateway}/api/panier", headers=school["headers"]).json()
    assert [c["id"] for c in cart["items"]] == [line]
    # Once the broker is back, the same gateway serves again by itself.
    back = wait_for(
        lambda: (
            requests.get(
                f"{url}/api/panier", headers=school["headers"], timeout=15
            ).status_code
            == 200
        ),
        timeout=60,
        interval=1,
    )
    assert back
