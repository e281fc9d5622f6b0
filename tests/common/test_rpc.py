"""The `rpc` entrypoint answers a service's known errors as PlatformError, on
the real RabbitMQ: what the gateway gets back from one service call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from marshmallow import Schema, fields
from nameko.containers import ServiceContainer
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import PlatformError
from services.common.inputs import InvalidFields
from services.common.rpc import rpc


class SessionFull(Exception):
    pass


class BadDates(Exception):
    def __init__(self) -> None:
        super().__init__("Dates incohérentes.")
        self.fields = {"end": "La fin précède le début."}


class Seat(Schema):
    count = fields.Integer(required=True)


class ErrorsProbe:
    name = "errors_probe"
    errors = {
        SessionFull: (409, "complet"),
        BadDates: (400, "dates_invalides"),
    }

    @rpc
    def full(self) -> None:
        raise SessionFull("Cette session est complète.")

    @rpc
    def dates(self) -> None:
        raise BadDates()

    @rpc
    def seat(self, data: dict[str, Any]) -> dict[str, Any]:
        return Seat().load(data)

    @rpc
    def policy(self) -> None:
        raise InvalidFields({"email": ["Adresse e-mail invalide."]})

    @rpc
    def refused(self) -> None:
        raise PlatformError("interdit", "Accès refusé.", status=403)

    @rpc
    def broken(self) -> None:
        raise KeyError("bug")


@pytest.fixture
def probe(settings) -> Iterator[Any]:
    config = settings.nameko_config()
    container = ServiceContainer(ErrorsProbe, config)
    container.start()
    with ClusterRpcProxy(config, timeout=10) as cluster:
        yield cluster.errors_probe
    container.stop()


def answer(call) -> PlatformError:
    with pytest.raises(PlatformError) as raised:
        call()
    return raised.value


def test_a_listed_error_is_answered_with_its_status_code_and_message(probe):
    error = answer(probe.full)
    assert (error.status, error.code) == (409, "complet")
    assert error.message == "Cette session est complète."


def test_a_listed_error_with_fields_answers_per_field(probe):
    error = answer(probe.dates)
    assert (error.status, error.code) == (400, "dates_invalides")
    assert error.fields == {"end": ["La fin précède le début."]}


def test_invalid_input_is_donnees_invalides_with_field_messages(probe):
    error = answer(lambda: probe.seat({"count": "beaucoup"}))
    assert (error.status, error.code) == (400, "donnees_invalides")
    assert list(error.fields) == ["count"]
    policy = answer(probe.policy)
    assert policy.fields == {"email": ["Adresse e-mail invalide."]}
    assert probe.seat({"count": 2}) == {"count": 2}


def test_a_platform_error_travels_as_itself(probe):
    error = answer(probe.refused)
    assert (error.status, error.code, error.message) == (
        403,
        "interdit",
        "Accès refusé.",
    )


def test_an_unknown_error_is_not_dressed_as_an_answer_and_the_service_stays(probe):
    with pytest.raises(RemoteError) as raised:
        probe.broken()
    assert raised.value.exc_type == "KeyError"
    assert answer(probe.full).code == "complet"


def test_answers_are_logged_as_expected_and_bugs_as_failures(probe, caplog):
    caplog.set_level(logging.WARNING, logger="nameko.containers")
    answer(probe.full)
    answer(lambda: probe.seat({}))
    with pytest.raises(RemoteError):
        probe.broken()
    logged = [
        (r.levelno, r.getMessage().startswith("(expected)")) for r in caplog.records
    ]
    assert logged == [
        (logging.WARNING, True),
        (logging.WARNING, True),
        (logging.ERROR, False),
    ]
