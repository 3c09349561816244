"""Reading `from`, `to` and `bucket`: every input is a period or a clear 422."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from udr.errors import InvalidParameter
from udr.periods import parse_period, parse_time

ALPHABET = "0123456789-:T Z+.,WPzt\u0660\u00b2x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T01:00:00+01:00", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T00:00+00:00", datetime(2026, 11, 1, tzinfo=UTC)),
        ("20261101T000000Z", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01 00:00", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01 13:45", datetime(2026, 11, 1, 13, 45, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    assert parse_time(text, "from") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "2026-11-01 24:00",
        "2026-13-01T00:00:00Z",
        "2026-02-30 00:00",
        "\u0662\u0660\u0662\u0666-11-01T00:00:00Z",
        "2026-11-01T00:00:00+25:00",
        "2026-11-01T00:00:00Z\n",
        "nan",
        "1e9",
        "-2026-11-01T00:00:00Z",
    ],
)
def test_refused_forms(text: str) -> None:
    with pytest.raises(InvalidParameter):
        parse_time(text, "from")


def test_random_text_is_a_time_or_a_clear_refusal() -> None:
    rng = random.Random(20261204)
    for _ in range(3000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30)))
        try:
            moment = parse_time(text, "from")
        except InvalidParameter as refused:
            assert refused.description.startswith("from ")
        else:
            assert moment.tzinfo is UTC


def test_random_periods_are_periods_or_clear_refusals() -> None:
    rng = random.Random(7)
    years = ["0001", "0002", "1970", "2026", "9998", "9999"]
    for _ in range(500):
        start, end = (
            f"{rng.choice(years)}-{rng.randint(1, 12):02d}-01T00:00:00"
            f"{rng.choice(['Z', '+14:00', '-12:00'])}"
            for _ in range(2)
        )
        try:
            period = parse_period(start, end, rng.choice(["hour", "day", None]), 366)
        except InvalidParameter:
            continue
        assert period.start < period.end
