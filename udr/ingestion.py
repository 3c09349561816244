"""A batch of usage records from a collector: all valid, or the first bad one named."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from udr.errors import InvalidRecord, PayloadTooLarge, UnsupportedMediaType
from udr.records import UsageRecord, describe

BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["records"],
    "additionalProperties": False,
    "properties": {
        "records": {"type": "array", "items": UsageRecord.model_json_schema()},
    },
}


async def read_json_body(request: Request, limit: int) -> bytes:
    content_type = request.headers.get("content-type", "application/json")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("the body must be application/json")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
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
