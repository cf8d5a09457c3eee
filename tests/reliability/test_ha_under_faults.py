"""An HA cluster create under the soak run's faults (benchmarks/soak.py fault_rules: 10% of
reads 502/503, 5% of create answers lost, 2% of connections reset, latency spikes, short
tokens) plus one SSH connection reset per node: it completes, or fails naming the step and
`--resume` completes; one cluster's worth of servers and volumes, none twice."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from powerbridge.client import Cloud
from powerbridge.deploy.model import CLUSTER_TAG
from powerbridge.ha.errors import StepFailed
from powerbridge.jobs import JobStatus
from tests.emulator.aix.ssh_support import add_behaviour, remove_behaviour
from tests.ha.cluster_lab import ClusterLab, cluster_lab_fixture  # noqa: F401
from tests.ha.create_support import planned_volumes

pytestmark = pytest.mark.reliability

SOAK = Path(__file__).parents[2] / "benchmarks" / "soak.py"
TOKEN_SECONDS = 1.0  # the instant clock counts wall seconds: short, to cross expiries
RESUMES = 3


def soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("soak", module)
    spec.loader.exec_module(module)
    return module


def test_ha_create_under_faults_completes_or_resumes(
    cluster_lab: ClusterLab, caplog: pytest.LogCaptureFixture
) -> None:
    spec = cluster_lab.spec()
    rules = [r if r["kind"] != "token" else {**r, "seconds": TOKEN_SECONDS}
             for r in soak_module().fault_rules()]  # fmt: skip
    rules += [
        {"kind": "node", "mode": "reset_ssh", "name_regex": f"^{node}$", "times": 1}
        for node in spec.node_names
    ]
    added = [add_behaviour(cluster_lab.aix, rule) for rule in rules]
    failures: list[str] = []
    with caplog.at_level(logging.INFO, logger="powerbridge.client"):
        try:
            job = cluster_lab.create(spec)
        except StepFailed as failed:
            failures.append(str(failed))
            job = None
        for _ in range(RESUMES):
            if job is not None and job.status is JobStatus.SUCCEEDED:
                break
            try:
                job = cluster_lab.create(spec, resume=True)
            except StepFailed as failed:
                failures.append(str(failed))
    for rule_id in added:
        remove_behaviour(cluster_lab.aix, rule_id)
    tally = soak_module().Tally()
    for record in caplog.records:
        tally.emit(record)
    print(f"HA create under faults: failures then resumed: {failures}; {tally.counts}")
    for line in failures:
        assert line.startswith("step ")  # each names its step
        assert "\n" not in line
    assert job is not None, failures
    assert job.status is JobStatus.SUCCEEDED, failures

    async def names(cloud: Cloud) -> tuple[Counter[str], Counter[str]]:
        servers = [s.name for s in await cloud.compute.servers()
                   if s.metadata.get(CLUSTER_TAG) == spec.name]  # fmt: skip
        volumes = [v.name or "" for v in await cloud.volume.volumes()
                   if v.metadata.get(CLUSTER_TAG) == spec.name]  # fmt: skip
        return Counter(servers), Counter(volumes)

    servers, volumes = cluster_lab.run(names)
    assert sorted(servers) == sorted(spec.node_names)
    assert set(servers.values()) == {1}
    assert set(volumes.values()) == {1}
    assert len(volumes) == planned_volumes(spec)
