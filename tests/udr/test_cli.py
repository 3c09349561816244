"""The command lines: `python -m udr demo-data` and `python -m udr import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.udr.test_import import SAMPLES
from udr.store import UsageStore


def _udr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "udr", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_data_writes_and_reruns_idempotently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = (
        "demo-data",
        "--keystoneid",
        "k-a",
        "--keystoneid",
        "k-b",
        "--seed",
        "3",
        "--days",
        "2",
        "--database-url",
        url,
    )

    first, second = _udr(*args), _udr(*args)

    assert first.returncode == 0, first.stderr
    stored = int(first.stdout.split()[1].rstrip(","))
    assert stored > 0
    assert second.stdout.strip() == f"stored 0, duplicates {stored}"
    assert UsageStore.from_url(url).count() == stored


def test_demo_data_requires_a_keystoneid(tmp_path: Path) -> None:
    result = _udr("demo-data", "--database-url", f"sqlite:///{tmp_path / 'x.db'}")

    assert result.returncode == 2
    assert "--keystoneid" in result.stderr


def test_import_loads_a_file_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    path = tmp_path / "samples.json"
    path.write_text(json.dumps(SAMPLES))

    first = _udr("import", str(path), "--database-url", url)
    second = _udr("import", str(path), "--database-url", url)

    assert first.stdout.strip() == f"{path}: stored 3, duplicates 0"
    assert second.stdout.strip() == f"{path}: stored 0, duplicates 3"


def test_import_of_a_bad_file_stores_nothing_and_fails(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([SAMPLES[0], {**SAMPLES[0], "id": "s-9", "volume": "x"}])
    )

    result = _udr("import", str(path), "--database-url", url)

    assert result.returncode == 1
    assert result.stderr.strip() == f"{path}: record 1: volume is not a number"
    assert UsageStore.from_url(url).count() == 0


def test_import_of_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    result = _udr(
        "import",
        str(tmp_path / "nope.json"),
        "--database-url",
        f"sqlite:///{tmp_path / 'x.db'}",
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
