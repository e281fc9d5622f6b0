"""A school-bound RPC method acts for the school of the call's signed context
only, on the real RabbitMQ: none, forged, tampered or expired is refused before
the method runs, and nested calls carry the same context."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import kombu
import pytest
from nameko.containers import ServiceContainer
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import acting
from services.common.errors import PlatformError
from services.common.rpc import RpcProxy, rpc, school_rpc

CALLS: list[tuple[str | None, str]] = []


class SchoolProbe:
    name = "school_probe"

    @school_rpc
    def whoami(self, school_id: str, note: str = "") -> str:
        CALLS.append((school_id, note))
        return school_id

    @school_rpc(optional=True)
    def by_link(self, school_id: str | None, token: str) -> dict[str, Any]:
        return {"school": school_id, "token": token}

    @rpc
    def ping(self) -> str:
        return "pong"


class NestedProbe:
    """Calls the first probe from inside its own worker, as billing calls
    booking: the request's context goes along."""

    name = "nested_probe"
    probe = RpcProxy("school_probe")

    @school_rpc
    def relay(self, school_id: str) -> dict[str, str]:
        return {"here": school_id, "there": self.probe.whoami("nested")}


@pytest.fixture(scope="module")
def config(settings) -> Iterator[dict[str, Any]]:
    config = settings.nameko_config()
    containers = [ServiceContainer(cls, config) for cls in (SchoolProbe, NestedProbe)]
    for container in containers:
        container.start()
    yield config
    for container in containers:
        container.stop()


@pytest.fixture
def secret(settings) -> str:
    return settings.context_secret.get_secret_value()


def cluster(config: dict[str, Any], context: str | None) -> ClusterRpcProxy:
    """A caller on the bus, sending `context` (or none) with each call."""
    data = {} if context is None else {acting.ACTING_SCHOOL: context}
    return ClusterRpcProxy(config, context_data=data, timeout=10)


def refused(config: dict[str, Any], context: str | None) -> PlatformError:
    CALLS.clear()
    with cluster(config, context) as bus, pytest.raises(PlatformError) as raised:
        bus.school_probe.whoami("tentative")
    assert CALLS == []  # the method never ran
    return raised.value


def test_the_school_is_the_one_the_context_names(config, secret):
    context = acting.sign("ecole-a", time.time() + 10, secret)
    with cluster(config, context) as bus:
        assert bus.school_probe.whoami("ok") == "ecole-a"
        # A school id passed as an argument is only an argument.
        assert bus.school_probe.whoami(note="ecole-b") == "ecole-a"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda secret: None, id="no-context"),
        pytest.param(
            lambda secret: acting.sign("ecole-a", time.time() + 10, "autre-clef"),
            id="another-key",
        ),
        pytest.param(
            lambda secret: acting.sign("ecole-a", time.time() + 10, secret).replace(
                "ecole-a", "ecole-b", 1
            ),
            id="tampered-school",
        ),
        pytest.param(
            lambda secret: acting.sign("ecole-a", time.time() + 10, secret).replace(
                ".", ".9", 1
            ),
            id="tampered-expiry",
        ),
        pytest.param(
            lambda secret: acting.sign("ecole-a", time.time() - 60, secret),
            id="expired",
        ),
        pytest.param(lambda secret: "ecole-a", id="bare-school-id"),
        pytest.param(lambda secret: "ecole-a.١٢٣.abc", id="other-digits"),
        pytest.param(lambda secret: "ecole-a..", id="empty-parts"),
    ],
)
def test_a_call_without_a_valid_context_is_refused_in_french(config, secret, forge):
    error = refused(config, forge(secret))
    assert (error.status, error.code) == (403, "contexte_invalide")
    assert "Accès refusé" in error.message


def test_the_service_still_answers_after_refusals(config, secret):
    refused(config, "ecole-a")
    with cluster(config, None) as bus:
        assert bus.school_probe.ping() == "pong"


def test_nested_calls_act_for_the_same_school(config, secret):
    context = acting.sign("ecole-a", time.time() + 10, secret)
    with cluster(config, context) as bus:
        assert bus.nested_probe.relay() == {"here": "ecole-a", "there": "ecole-a"}


def test_an_optional_school_is_none_without_context_but_never_forged(config, secret):
    with cluster(config, None) as bus:
        assert bus.school_probe.by_link("jeton") == {
            "school": None,
            "token": "jeton",
        }
    forged = acting.sign("ecole-a", time.time() + 10, "autre-clef")
    with cluster(config, forged) as bus, pytest.raises(PlatformError) as raised:
        bus.school_probe.by_link("jeton")
    assert raised.value.code == "contexte_invalide"


def test_arguments_sent_as_a_mapping_cannot_fill_in_the_school(config, secret):
    """JSON arguments as an object instead of a list would be spread into the
    method's parameters, the school first: refused, nothing runs."""
    CALLS.clear()
    context = acting.sign("ecole-a", time.time() + 10, secret)
    with kombu.Connection(config["AMQP_URI"]) as connection:
        producer = kombu.Producer(connection, exchange=get_rpc_exchange(config))
        producer.publish(
            {"args": {"ecole-b": 0}, "kwargs": {}},
            routing_key="school_probe.whoami",
            headers={f"nameko.{acting.ACTING_SCHOOL}": context},
            serializer="json",
        )
    with cluster(config, context) as bus:
        assert bus.school_probe.whoami("après") == "ecole-a"
    assert CALLS == [("ecole-a", "après")]
