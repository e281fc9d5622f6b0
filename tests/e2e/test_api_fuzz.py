"""A bounded property-based run of the whole API against the real stack.

schemathesis reads `GET /api/openapi.json` and, for every operation, sends a
bounded number of generated requests (valid ones, and ones that break the
declared schema) with a signed-in school's bearer token. Every answer must be
other than a 5xx and must follow the OpenAPI document: a declared status, the
declared content type, a body matching the declared schema.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.e2e.conftest import sign_up_school

# Examples per operation: ~80 operations within about two minutes on two shared
# cores (the suite must stay within its time); the examples are derandomized, the
# same every run.
# PMC_FUZZ_EXAMPLES runs a longer hunt on demand.
EXAMPLES = int(os.environ.get("PMC_FUZZ_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzing_school(gateway, settings) -> dict:
    from pathlib import Path

    return sign_up_school(gateway, Path(settings.mail_folder))


def _schema() -> schemathesis.BaseSchema:
    # The document the gateway serves at /api/openapi.json, built by the same
    # code; loaded at collection time (schemathesis' lazy fixture loader does not
    # run under pytest 9), the requests go to the real stack's address.
    from gateway.openapi import openapi_document
    from gateway.service import GatewayService  # noqa: F401  (declares the routes)

    loaded = schemathesis.openapi.from_dict(openapi_document())
    loaded.config.generation.update(max_examples=EXAMPLES, deterministic=True)
    return loaded


schema = _schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_answer_follows_the_openapi(
    case, gateway, fuzzing_school
):
    case.call_and_validate(
        base_url=gateway,
        headers=fuzzing_school["headers"],
        checks=CHECKS,
        timeout=30,
    )
