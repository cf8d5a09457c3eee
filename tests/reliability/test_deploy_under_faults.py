"""A 200-VM `deploy apply` under faults (benchmarks/soak.py faults): 10% of reads answered 502
or 503, 5% of create answers lost (carried out, answered 504), 2% of connections reset, latency
spikes, tokens expiring every clock-minute. It completes; no VM or volume exists twice (read
through the emulator's API); every 5xx answer is reported with its request id; the figures
are printed next to the same run without faults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.reliability

SOAK = Path(__file__).parents[2] / "benchmarks" / "soak.py"
SERVERS = 200


def test_deploy_apply_under_faults_completes_without_duplicates() -> None:
    result = subprocess.run(
        [sys.executable, str(SOAK), "faults", "--servers", str(SERVERS), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=400,
    )
    assert result.stdout, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    quiet, faulty = outcome["runs"]
    for run in (quiet, faulty):
        print(
            f"{'faults' if run['faults'] else 'quiet'}: {run['servers']} VMs in "
            f"{run['seconds']} s; {run['counts']}"
        )
    assert outcome["problems"] == [], outcome["problems"]
    assert result.returncode == 0, result.stderr
    assert faulty["servers"] == faulty["active"] == SERVERS
    assert faulty["duplicate_servers"] == faulty["duplicate_volumes"] == {}
    assert faulty["failures_without_id"] == []
    counts = faulty["counts"]
    assert counts.get("token renewals", 0) >= 3
    # the faults struck: answers lost, reads refused, connections cut, and all recovered
    assert counts.get("adoptions", 0) > 0
    assert counts.get("5xx answers", 0) > 0
    assert counts.get("connection failures", 0) > 0
