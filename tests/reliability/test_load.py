"""Load (benchmarks/soak.py load, short): 50 concurrent clients of mixed reads and writes
against the emulator; every answer a success (error rate 0), the figures printed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.reliability

SOAK = Path(__file__).parents[2] / "benchmarks" / "soak.py"


def test_fifty_clients_of_mixed_reads_and_writes_see_no_error() -> None:
    result = subprocess.run(
        [sys.executable, str(SOAK), "load", "--clients", "50", "--seconds", "10", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.stdout, result.stderr
    figures = json.loads(result.stdout.splitlines()[-1])
    print(
        f"{figures['clients']} clients, {figures['seconds']} s: {figures['requests']} requests, "
        f"{figures['requests_per_second']}/s, p50 {figures['p50_ms']} ms, p99 "
        f"{figures['p99_ms']} ms, error rate {figures['error_rate']}"
    )
    assert figures["errors"] == []
    assert figures["error_rate"] == 0
    assert figures["requests"] >= 50  # every client got through at least once
    assert result.returncode == 0
