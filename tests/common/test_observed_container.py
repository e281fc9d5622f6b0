"""The observed nameko container (services/common/container.py), on the real
RabbitMQ: RPC entrypoints counted and timed, refusals apart from failures,
and the caller's correlation id current in the worker and passed on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from services.common import logs
from services.common.container import ObservedContainer
from services.common.errors import PlatformError
from services.common.rpc import RpcProxy, rpc


class Observed:
    name = "observed_probe"
    echo_proxy = RpcProxy("observed_probe")

    @rpc
    def correlation(self) -> str | None:
        return logs.current()

    @rpc
    def passed_on(self) -> str | None:
        return self.echo_proxy.correlation()

    @rpc
    def full(self) -> None:
        raise PlatformError("complet", "Cette session est complète.", status=409)

    @rpc
    def broken(self) -> None:
        raise KeyError("bug")


@pytest.fixture
def probe(settings) -> Iterator[Any]:
    config = settings.nameko_config()
    container = ObservedContainer(Observed, config)
    container.start()
    with ClusterRpcProxy(
        config, timeout=10, context_data={"correlation_id": "request-0042"}
    ) as cluster:
        yield cluster.observed_probe
    container.stop()


def count(method: str, outcome: str) -> float:
    labels = {"service": "observed_probe", "method": method, "outcome": outcome}
    return REGISTRY.get_sample_value("pmc_rpc_requests_total", labels) or 0.0


def test_the_callers_correlation_id_is_current_and_passed_on(probe):
    assert probe.correlation() == "request-0042"
    assert probe.passed_on() == "request-0042"


def test_refusals_count_as_answers_and_bugs_as_errors(probe):
    before = count("full", "ok"), count("broken", "error")
    with pytest.raises(PlatformError):
        probe.full()
    with pytest.raises(RemoteError):
        probe.broken()
    assert (count("full", "ok"), count("broken", "error")) == (
        before[0] + 1,
        before[1] + 1,
    )
    timed = REGISTRY.get_sample_value(
        "pmc_rpc_duration_seconds_count",
        {"service": "observed_probe", "method": "broken"},
    )
    assert timed and timed >= 1
