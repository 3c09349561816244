"""A batch of usage records from a collector: all valid, or the first bad one named."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.requests import ClientDisconnect, Request

from udr.errors import ClientGone, InvalidRecord, PayloadTooLarge, UnsupportedMediaType
from udr.records import UsageRecord, describe

log = logging.getLogger("udr.ingestion")

BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["records"],
    "additionalProperties": False,
    "properties": {
        "records": {"type": "array", "items": UsageRecord.model_json_schema()},
    },
}


async def read_json_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes; a declared Content-Length over the limit
    is refused before a byte is read."""
    content_type = request.headers.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("the body must be application/json")
    too_large = PayloadTooLarge(f"the body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large
    except ClientDisconnect:
        log.info(
            "client disconnected after %d of %s body bytes; nothing stored",
            len(body),
            declared or "an undeclared number of",
        )
        raise ClientGone("the client closed the connection mid-body") from None
    return bytes(body)


def parse_batch(body: bytes, max_records: int) -> list[UsageRecord]:
    """Every record of `{"records": [...]}`, validated; `InvalidRecord` names the first
    bad one by its index."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidRecord(None, "the body is not JSON") from None
    if not isinstance(document, dict) or set(document) != {"records"}:
        raise InvalidRecord(None, 'the body must be {"records": [...]}')
    items = document["records"]
    if not isinstance(items, list):
        raise InvalidRecord(None, "records must be a list")
    if len(items) > max_records:
        raise InvalidRecord(None, f"more than {max_records} records in one batch")
    return [_record(index, item) for index, item in enumerate(items)]


def _record(index: int, item: Any) -> UsageRecord:
    try:
        return UsageRecord.model_validate(item)
    except ValidationError as exc:
        raise InvalidRecord(index, describe(exc)) from None
    except RecursionError:
        raise InvalidRecord(index, "nested too deeply") from None
