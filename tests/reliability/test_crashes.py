"""Crashes (benchmarks/soak.py crash): the emulator SIGKILLed at seeded random moments during
100 deploys (10 rounds of a 10-VM `deploy apply`), then restarted and the apply run again;
and the `deploy apply` process itself SIGKILLed at seeded random moments, then `--resume`d.
Every VM exists once, ACTIVE or ERROR with its fault, with its one volume; the dead emulator's
store passes `powerbridge emulator check` after every kill."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.reliability

SOAK = Path(__file__).parents[2] / "benchmarks" / "soak.py"


def crash_run(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(SOAK), "crash", "--json", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=540,
    )
    assert result.stdout, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    for detail in outcome["rounds_detail"]:
        print(
            f"round {detail['number']}: {detail['killed']} killed after {detail['kill_after']} s"
            f" ({detail['found_after_kill']} VMs by then), exits {detail['first_exit']} then "
            f"{detail['second_exit']}, {detail['statuses']}"
        )
    assert outcome["problems"] == []
    assert outcome["integrity"] == []
    assert result.returncode == 0, result.stderr
    return outcome


def test_emulator_killed_during_100_deploys() -> None:
    outcome = crash_run("--rounds", "10", "--servers", "10", "--seed", "20")
    assert outcome["servers"] == 100
    assert set(outcome["statuses"]) <= {"ACTIVE", "ERROR"}
    # the kills landed mid-run: some applies were cut short and resumed
    assert outcome["resumed"] > 0


def test_deploy_apply_killed_then_resumed_has_exactly_the_plan() -> None:
    outcome = crash_run("--rounds", "3", "--servers", "10", "--seed", "21", "--kill", "apply")
    assert outcome["servers"] == 30
    assert outcome["resumed"] == 3
