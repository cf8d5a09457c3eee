"""Run `powerbridge` as a separate process, as a user's shell does (`python -m powerbridge`)."""

from __future__ import annotations

import subprocess
import sys

TIMEOUT = 60


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`powerbridge ARGS` with no stdin, its output captured; a hang fails after TIMEOUT."""
    return subprocess.run(
        [sys.executable, "-m", "powerbridge", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=TIMEOUT,
    )
