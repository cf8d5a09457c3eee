from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "plan_1000.py"


def test_plan_benchmark_runs_and_its_plans_are_clean() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--servers", "60", "--hosts", "10"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["yaml", "pipe"]
    assert all("0 blocks: ok" in line for line in lines)
