"""CLI start-up time: `powerbridge --help` and `--version` beside Python's own floor.

Prints the median wall time over N runs (default 15) of each command, measured in the same
run as `python -c pass` and `python -c "import typer"` (the CLI framework alone), and the
ratio to the bare interpreter. Target: `powerbridge --help` median under 150 ms.

    python benchmarks/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_HELP_MS = 150.0


def median_ms(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


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
    runs = max(10, parser.parse_args().runs)

    cli = shutil.which("powerbridge")
    entry = [cli] if cli else [sys.executable, "-m", "powerbridge"]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "powerbridge --version": [*entry, "--version"],
        "powerbridge --help": [*entry, "--help"],
    }
    compile_package()
    for command in cases.values():  # warm the OS page cache and .pyc files
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    results = {name: median_ms(cmd, runs) for name, cmd in cases.items()}

    floor = results["python -c pass"]
    print(f"median wall time over {runs} runs ({' '.join(entry)})")
    for name, ms in results.items():
        print(f"  {name:28s} {ms:7.1f} ms   x{ms / floor:5.2f} of bare python")
    help_ms = results["powerbridge --help"]
    verdict = "OK" if help_ms < TARGET_HELP_MS else "OVER TARGET"
    print(f"powerbridge --help: {help_ms:.1f} ms (target < {TARGET_HELP_MS:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
