"""CLI start-up to first listed result: `powerbridge image list` against a running emulator on
loopback, beside `openstack image list` in the same run.

Starts the emulator (in memory, on a free loopback port), then runs each command N times
(default 15) with the emulator's OS_* variables, measuring the wall time from process start to
the first image name on its output, and to its exit. Prints the medians.
Target: `powerbridge image list` median under 200 ms to its first result.

    python benchmarks/cli_first_result.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator

TARGET_MS = 200.0
FIRST_IMAGE = "PowerHA713"  # the first image of the default estate


def one_run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(ms to the first result line, ms to exit)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stdout is not None
    first = None
    for line in process.stdout:
        if first is None and FIRST_IMAGE in line:
            first = time.perf_counter()
    process.wait()
    ended = time.perf_counter()
    if process.returncode != 0 or first is None:
        error = process.stderr.read() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {error}")
    return (first - started) * 1000, (ended - started) * 1000


def measure(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    one_run(command, env)  # warm the page cache and .pyc files
    samples = [one_run(command, env) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def compile_package() -> None:
    """Write powerbridge's .pyc files, as `pip install` does: with PYTHONDONTWRITEBYTECODE
    set (CI containers often set it) an editable install would recompile every module on
    every run, which no installed powerbridge does."""
    import compileall

    import powerbridge

    compileall.compile_dir(str(Path(powerbridge.__file__).parent), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = max(5, parser.parse_args().runs)
    powerbridge = shutil.which("powerbridge")
    entry = [powerbridge] if powerbridge else [sys.executable, "-m", "powerbridge"]
    cases = {"powerbridge image list": [*entry, "image", "list"]}
    openstack = shutil.which("openstack")
    if openstack:
        cases["openstack image list"] = [openstack, "image", "list"]
    compile_package()
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as emulator:
        env = {**os.environ, **emulator.env(), "COLUMNS": "200"}
        env.pop("OS_CLOUD", None)
        print(f"emulator at {emulator.auth_url}; median over {runs} runs")
        results = {name: measure(command, env, runs) for name, command in cases.items()}
    for name, (first, total) in results.items():
        print(f"  {name:24s} first result {first:7.1f} ms   exit {total:7.1f} ms")
    if not openstack:
        print("  openstack image list     (python-openstackclient is not installed)")
    first = results["powerbridge image list"][0]
    verdict = "OK" if first < TARGET_MS else "OVER TARGET"
    print(f"powerbridge image list: {first:.1f} ms to the first result "
          f"(target < {TARGET_MS:.0f} ms): {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
