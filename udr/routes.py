"""The UDR's HTTP operations: health, the usage query (steps 4-8), ingestion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from udr.config import Settings
from udr.guard import Owner, Writer
from udr.ingestion import BATCH_SCHEMA, parse_batch, read_json_body
from udr.periods import parse_period
from udr.store import UsageStore
from udr.usage import UsageReport, usage_report

router = APIRouter()


class ErrorBody(BaseModel):
    error: str
    error_description: str


class IngestAnswer(BaseModel):
    stored: int
    duplicates: int


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


@router.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Readiness: answers once the store is open."""
    return {"status": "ok"}


@router.get(
    "/usage/users/{keystoneid}",
    response_model=UsageReport,
    responses=_errors(400, 401, 403, 422, 503),
    tags=["usage"],
)
def get_usage(
    request: Request,
    keystoneid: str,
    _owner: Owner,
    from_: Annotated[
        str | None,
        Query(
            alias="from", description="ISO 8601 with offset or Z; or YYYY-MM-DD HH:MM"
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="ISO 8601 with offset or Z; or YYYY-MM-DD HH:MM (UTC)"),
    ] = None,
    bucket: Annotated[
        str | None,
        Query(description="hour or day", json_schema_extra={"enum": ["hour", "day"]}),
    ] = None,
) -> UsageReport:
    """One user's usage per meter over a period, for the owner of the keystoneid."""
    settings: Settings = request.app.state.settings
    period = parse_period(from_, to, bucket, settings.max_period_days)
    store: UsageStore = request.app.state.store
    return usage_report(store, keystoneid, period)


@router.post(
    "/usage/records",
    response_model=IngestAnswer,
    responses=_errors(400, 401, 403, 409, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BATCH_SCHEMA}},
        }
    },
    tags=["usage"],
)
async def post_records(request: Request, _writer: Writer) -> IngestAnswer:
    """Store a batch of usage records: idempotent by record id, all or nothing."""
    settings: Settings = request.app.state.settings
    body = await read_json_body(request, settings.max_body_bytes)
    records = parse_batch(body, settings.max_batch)
    store: UsageStore = request.app.state.store
    result = await run_in_threadpool(store.ingest, records)
    return IngestAnswer(stored=result.stored, duplicates=result.duplicates)
