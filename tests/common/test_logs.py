"""Log lines (services/common/logs.py): JSON objects carrying the current
correlation id, with no personal data or secret in them."""

from __future__ import annotations

import io
import json
import logging

import pytest

from services.common import logs


@pytest.fixture
def lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("booking"))
    log = logging.getLogger("tests.logs")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield log, read
    log.handlers[:] = []


def test_a_line_is_one_json_object_with_the_correlation_id(lines):
    log, read = lines
    token = logs.bind("request-0001")
    try:
        log.info("rpc handled", extra={"method": "hold", "duration_ms": 3.2})
    finally:
        logs.unbind(token)
    log.info("no request")
    first, second = read()
    assert first["event"] == "rpc handled"
    assert first["correlation_id"] == "request-0001"
    assert (first["method"], first["process"], first["level"]) == (
        "hold",
        "booking",
        "info",
    )
    assert "correlation_id" not in second


def test_an_exception_is_logged_by_type_and_place_never_by_its_text(lines):
    """Exceptions echo the values they were raised on: their text stays out of
    the line, whether logged as exc_info or as an argument (as nameko does)."""
    log, read = lines
    typed, email = "x170000000001", "marie.dupont@example.fr"
    try:
        try:
            int(typed)
        except ValueError as exc:
            raise LookupError(email) from exc
    except LookupError as exc:
        log.exception("refused: %s", exc)
        log.warning("(expected) error handling worker %s: %r", "worker", exc)
    logged, warned = read()
    for line in (logged, warned):
        text = json.dumps(line)
        assert "170000000001" not in text and "dupont" not in text
    assert logged["event"].startswith("refused: LookupError ← ValueError at tests/")
    # The traceback keeps its frames: where it happened is still known.
    assert "test_logs.py" in logged["exception"]
    assert logged["exception"].endswith("LookupError")


def test_an_errors_codes_are_kept():
    from psycopg import errors

    from services.common.errors import PlatformError

    refused = PlatformError("neph_deja_actif", "Le NEPH 170000000001 est actif.")
    assert logs.describe_error(refused) == "PlatformError [neph_deja_actif]"
    assert logs.describe_error(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError [ECONNREFUSED]"
    )
    unique = errors.UniqueViolation("Key (neph)=(170000000001) already exists.")
    assert logs.describe_error(unique) == "UniqueViolation [sqlstate 23505]"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0b5e8c1a-3f1e-4a52-9d1b-2f0c6d3e4a11", True),
        ("req_2026-11-24.abc", True),
        ("court", False),
        ("pas un identifiant", False),
        ("x" * 200, False),
        ("id\nforged-line-0001", False),
    ],
)
def test_a_clients_request_id_is_kept_only_when_well_formed(given, kept):
    assert (logs.from_client(given) == given) is kept
