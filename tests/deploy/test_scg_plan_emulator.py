"""Storage connectivity at plan time, through the emulator's real HTTP: a server on a storage
connectivity group that does not reach its volumes' storage provider, or on a host group none
of whose hosts the group covers, is blocked by `deploy plan` (PowerVC would fail the deploy
with "No valid host")."""

from __future__ import annotations

from pathlib import Path

import pytest

from powerbridge.client import Session
from powerbridge.emulator.server import RunningEmulator
from tests.support.clirun import Shell
from tests.support.deploy_lab import (  # noqa: F401
    api,
    cloud_fixture,
    sh_fixture,
    store_path_fixture,
)

pytestmark = pytest.mark.acceptance

SPEC = """\
deployment: {name}
servers:
  - name: {name}-vm
    template: powervm.tiny
    image: AIX72
    networks: [cmbnet1]
    storage_connectivity_group: rack1 NPIV
    volumes: [{name}-data]
{extra}
volumes:
  {name}-data: {{size_gb: 1, storage_template: {template}}}
"""


def spec(tmp_path: Path, name: str, template: str, extra: str = "") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, template=template, extra=extra))
    return str(path)


def host_group(cloud: RunningEmulator, name: str, *hosts: str) -> None:
    async def make(session: Session) -> None:
        body = {"aggregate": {"name": name, "availability_zone": f"{name}-zone"}}
        created = await session.request("compute", "POST", "/os-aggregates", json=body)
        action = f"/os-aggregates/{created.json()['aggregate']['id']}/action"
        for host in hosts:
            add = {"add_host": {"host": host}}
            await session.request("compute", "POST", action, json=add, idempotent=False)

    api(cloud, make)


def test_a_group_that_does_not_reach_the_volumes_storage_blocks(sh: Shell, tmp_path: Path) -> None:
    blocked = sh("deploy", "plan", spec(tmp_path, "scg1", "svc82 base template"))
    assert blocked.code == 1
    assert (
        "server scg1-vm: storage connectivity group 'rack1 NPIV' does not reach storage"
        " template 'svc82 base template' (provider svc82) of scg1-data; it reaches"
        " 'xiv90 base template'"
    ) in " ".join(blocked.out.split())
    assert "nothing was created" in blocked.err
    plan = sh.json("deploy", "plan", spec(tmp_path, "scg2", "xiv90 base template"))
    assert plan["ok"]


def test_a_host_group_the_group_does_not_cover_blocks(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    host_group(cloud, "p9", "9009-42A_7838F0W")
    path = spec(tmp_path, "scg3", "xiv90 base template", "    host_group: p9")
    blocked = sh("deploy", "plan", path)
    assert blocked.code == 1
    assert (
        "storage connectivity group 'rack1 NPIV' covers none of the hosts of host group 'p9'"
        " (9009-42A_7838F0W)"
    ) in " ".join(blocked.out.split())


def test_an_existing_volume_the_group_does_not_reach_blocks(sh: Shell, tmp_path: Path) -> None:
    first = tmp_path / "scg4.yaml"
    text = SPEC.format(name="scg4", template="svc82 base template", extra="")
    text = text.replace("    storage_connectivity_group: rack1 NPIV\n", "")
    first.write_text(text.replace("{size_gb: 1,", "{size_gb: 1, shared: true,"))
    sh.ok("deploy", "apply", str(first), "--yes")
    joined = first.read_text().replace(
        "volumes:\n",
        "  - name: scg4-vm2\n    template: powervm.tiny\n    image: AIX72\n"
        "    networks: [cmbnet1]\n    storage_connectivity_group: rack1 NPIV\n"
        "    volumes: [scg4-data]\nvolumes:\n",
    )
    first.write_text(joined)
    blocked = sh("deploy", "plan", str(first))
    assert blocked.code == 1
    assert (
        "server scg4-vm2: storage connectivity group 'rack1 NPIV' does not reach storage"
        " template 'svc82 base template'"
    ) in " ".join(blocked.out.split())
