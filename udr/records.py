"""The usage record: one measured amount of one meter, one resource, one interval."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

MeterType = Literal["gauge", "cumulative", "delta"]
MAX_VOLUME = 1e18
MAX_METADATA_BYTES = 16 * 1024

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class UsageRecord(BaseModel):
    """A record as the collector sends it and the store keeps it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Name = Field(description="Unique id: the idempotency key")
    keystoneid: Name
    resource_id: Name
    meter: Name = Field(examples=["cpu_util", "network.incoming.bytes"])
    type: MeterType
    unit: Annotated[str, StringConstraints(max_length=64)]
    volume: float = Field(
        strict=True, allow_inf_nan=False, ge=-MAX_VOLUME, le=MAX_VOLUME
    )
    start: AwareDatetime
    end: AwareDatetime
    metadata: dict[str, Any] | None = None

    @field_validator("start", "end")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(canonical_json(value)) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata over {MAX_METADATA_BYTES} bytes")
        return value

    @model_validator(mode="after")
    def _start_not_after_end(self) -> UsageRecord:
        if self.start > self.end:
            raise ValueError("start is after end")
        return self

    def content_hash(self) -> str:
        """SHA-256 of everything but the id: equal hashes mean the same record."""
        content = self.model_dump(mode="json", exclude={"id"})
        content["volume"] = float(self.volume)
        return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch, UTC: how the store keeps times."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as every answer of the UDR writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def describe(exc: ValidationError) -> str:
    """The first problem, as `field: message`, without echoing the input."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])
