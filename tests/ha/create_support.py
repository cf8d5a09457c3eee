"""What a create left behind, read the way an admin would: files and PowerHA's commands on
the nodes over SSH, the cluster's tagged resources in PowerVC, the job's record."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from powerbridge.client import Cloud
from powerbridge.ha.executor import SSH_CONFIG_VARIABLE
from powerbridge.ha.model import CLUSTER_TAG, ClusterSpec
from powerbridge.jobs import Item, Job
from tests.emulator.aix.ssh_support import ssh_run
from tests.ha.cluster_lab import ClusterLab
from tests.support.clirun import Result, Shell


def on_node(lab: ClusterLab, node: str, command: str) -> str:
    """`command`'s stdout on `node` (a fresh SSH session of its own); it must succeed."""
    done = asyncio.run(ssh_run(lab.aix, node, lab.key, command))
    assert done.exit_status == 0, f"{command} on {node}: {done.stderr!r}"
    return str(done.stdout)


@dataclass(frozen=True)
class Tagged:
    """The cluster's resources PowerVC has: server name -> host, volume names, rule names."""

    servers: dict[str, str | None]
    volumes: list[str]
    rules: list[str]
    ports: list[str]


def tagged(lab: ClusterLab, cluster: str) -> Tagged:
    async def work(cloud: Cloud) -> Tagged:
        servers = {
            s.name: s.host
            for s in await cloud.compute.servers()
            if s.metadata.get(CLUSTER_TAG) == cluster
        }
        volumes = [
            v.name for v in await cloud.volume.volumes() if v.metadata.get(CLUSTER_TAG) == cluster
        ]
        rules = [r.name for r in await cloud.powervc.collocation_rules() if cluster in r.name]
        ports = [p.name for p in await cloud.network.ports() if p.name.startswith(cluster)]
        return Tagged(servers, sorted(volumes), sorted(rules), sorted(ports))

    return lab.run(work)


def planned_volumes(spec: ClusterSpec) -> int:
    return 1 + int(spec.repository.backup) + spec.shared_storage.count


def items(lab: ClusterLab, job: Job, kind: str) -> dict[str, Item]:
    return {item.name: item for item in lab.store.items(job.id) if item.kind == kind}


def hosts_lines(text: str, name: str) -> list[str]:
    """The /etc/hosts lines naming `name` as a whole word (comments aside)."""
    return [line for line in text.splitlines() if name in line.split("#")[0].split()[1:]]


def spec_text(lab: ClusterLab, example: str = "ha-2node.yaml") -> str:
    """A shipped example as a file's text whose SSH key is this lab's."""
    text = resources.files("powerbridge.examples").joinpath(example).read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    data["ssh"]["private_key"] = str(lab.key.path)
    return yaml.safe_dump(data)


def cli_create(sh: Shell, lab: ClusterLab, spec: Path, *extra: str) -> Result:
    """`powerbridge ha create SPEC --yes` against the lab (its cloud, ssh/config, store)."""
    assert lab.aix.running.ssh_config is not None
    sh.set({**lab.aix.running.env(), SSH_CONFIG_VARIABLE: str(lab.aix.running.ssh_config)})
    store = str(lab.store.engine.url.database)
    return sh("ha", "create", str(spec), "--yes", "--store", store, *extra)
