"""Schemathesis over the provider's and the UDR's OpenAPI documents, all checks on.

Each operation of each document gets generated requests, valid and invalid, and every
answer is checked: no server error, a documented status code and content type, a body
that matches its schema, invalid data rejected, authentication not ignored, a missing
required header refused, an unsupported method answered 405. Examples are bounded
(`MAX_EXAMPLES` per operation and mode) so the run takes minutes on a small machine.

Left out: `positive_data_acceptance` (schema-valid data must get a 2xx). Whether a
provider request is valid depends on state no schema can express (a code, a token, an
`id_token_hint`, a token sent once) and so does a UDR period (`from` before `to`);
that check would report those as findings. `object_level_authorization` needs two
identities that create objects; the UDR contract checks step 7 directly instead.

The documents are known only once the services run, so the operations are walked
here rather than through `schemathesis.pytest.from_fixture`, whose lazy mode does
not run under pytest 9 (it sets `Node._nodeid`, which pytest 9 no longer has).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import (
    APIOperation,
    BaseSchema,
    CheckContext,
    GenerationMode,
    Response,
)
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import NoLinksFound
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from contracts.openapi_contract.conftest import MAX_EXAMPLES


def negative_data_rejection_or_error_redirect(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    """Invalid data is rejected: a 4xx, or a redirect that carries `error`.

    RFC 6749 section 4.1.2.1: once the client and redirect URI are known good, the
    authorization endpoint reports a bad request by redirecting to the client with
    `error=...`; that is a rejection, not an acceptance.
    """
    if 300 <= response.status_code < 400:
        location = " ".join(response.headers.get("location", []))
        if "error" in parse_qs(urlsplit(location).query):
            return True
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection_or_error_redirect,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]

SUMMARY_CHARS = 700

# A whole document takes minutes; pytest-timeout's default would cut a Hypothesis run
# in the middle, which Hypothesis then reports as a flaky failure of the operation.
DOCUMENT_TIMEOUT = 1200

pytestmark = [pytest.mark.openapi_contract, pytest.mark.timeout(DOCUMENT_TIMEOUT)]

BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
    phases=(
        Phase.explicit,
        Phase.generate,
    ),  # no shrinking: the first failure is enough
    report_multiple_bugs=False,
)


def _check_operation(
    schema: BaseSchema, operation: APIOperation, mode: GenerationMode
) -> None:
    strategy = operation.as_strategy(generation_mode=mode, auth_storage=schema.auth)

    @BOUNDED
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    run()


def _summary(exc: BaseException) -> str:
    """The failure in one line; for a group (e.g. a flaky run), its first member too."""
    text = str(exc)
    members = getattr(exc, "exceptions", ())
    if members and not isinstance(members[0], BaseExceptionGroup):
        text += f" -- first: {type(members[0]).__name__}: {members[0]}"
    elif members:
        text += f" -- first: {_summary(members[0])}"
    return " ".join(text.split())[:SUMMARY_CHARS]


def _conformance_failures(schema: BaseSchema) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the document defines badly: {result.err()}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check_operation(schema, operation, mode)
            except Unsatisfiable:
                continue  # nothing to generate, e.g. no parameter to make invalid
            except (Exception, BaseExceptionGroup) as exc:  # check failures, or a crash
                summary = _summary(exc)
                failures.append(f"{operation.label} ({mode.value} data): {summary}")
    return failures


def _listing(failures: list[str]) -> str:
    lines = [f"{len(failures)} operation run(s) broke the document:"]
    return "\n".join(lines + [f"- {failure}" for failure in failures])


def test_openapi_provider_conforms(provider_openapi: BaseSchema) -> None:
    """Every provider operation answers as its OpenAPI document says, never a 5xx."""
    failures = _conformance_failures(provider_openapi)
    if failures:
        raise AssertionError(_listing(failures))


def test_openapi_udr_conforms(udr_openapi: BaseSchema) -> None:
    """Every UDR operation answers as its OpenAPI document says, never a 5xx."""
    failures = _conformance_failures(udr_openapi)
    if failures:
        raise AssertionError(_listing(failures))


@pytest.mark.parametrize("which", ["provider_openapi", "udr_openapi"])
def test_openapi_stateful_links_hold(
    request: pytest.FixtureRequest, which: str
) -> None:
    """Sequences of calls that follow the document's links answer as documented.

    The links are the document's own, plus those schemathesis infers from it.
    """
    schema: BaseSchema = request.getfixturevalue(which)
    machine = schema.as_state_machine()
    try:
        machine.run(
            settings=settings(
                max_examples=10,
                stateful_step_count=5,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    except NoLinksFound:
        pytest.skip("no links between operations, declared or inferred")
