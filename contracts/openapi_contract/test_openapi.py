"""Schemathesis over the provider's and the UDR's OpenAPI documents, all checks on.

Each operation of each document gets generated requests, valid and invalid, and every
answer is checked: no server error, a documented status code and content type, a body
that matches its schema, invalid data rejected, authentication not ignored, a missing
required header refused, an unsupported method answered 405. Examples are bounded
(`MAX_EXAMPLES` per operation and mode) so the run takes minutes on a small machine.

The documents are known only once the services run, so the operations are walked
here rather than through `schemathesis.pytest.from_fixture`, whose lazy mode does
not run under pytest 9 (it sets `Node._nodeid`, which pytest 9 no longer has).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, GenerationMode
from schemathesis.core.result import Err

from contracts.openapi_contract.conftest import MAX_EXAMPLES

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
        case.call_and_validate()

    run()


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
                summary = " ".join(str(exc).split())[:400]
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


def _has_links(schema: BaseSchema) -> bool:
    for methods in schema.raw_schema.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                if isinstance(response, dict) and response.get("links"):
                    return True
    return False


@pytest.mark.parametrize("which", ["provider_openapi", "udr_openapi"])
def test_openapi_stateful_links_hold(
    request: pytest.FixtureRequest, which: str
) -> None:
    """Sequences of calls that follow the document's links answer as documented."""
    schema: BaseSchema = request.getfixturevalue(which)
    if not _has_links(schema):
        pytest.skip("the document declares no links between operations")
    machine = schema.as_state_machine()
    machine.run(
        settings=settings(
            max_examples=10,
            stateful_step_count=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
