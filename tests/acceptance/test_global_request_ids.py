"""Work one service does for another logs both request ids, as OpenStack's oslo.log does with
`[%(global_request_id)s %(request_id)s %(user_identity)s]`: nova creating a boot volume in
cinder and a port in neutron, nova attaching a cinder volume. The called service gets a request
id of its own per call; the id of the API call that started the work is the global one. The log
search behind `powerbridge diagnose` finds the lines by either id.

Runs the emulator under uvicorn on a loopback port and talks to it with httpx.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from powerbridge.cli.logsearch import LocalLogs, search
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import running_emulator
from tests.support.catalog_client import Cloud

pytestmark = pytest.mark.acceptance
REQ = r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# oslo.log's context: `[<global> <local> <user> <project> - - -]`, or `[<local> <user> ...]`
CONTEXT = re.compile(rf"^\S+ \S+ \d+ [A-Z]+ \S+ \[(?:({REQ}) )?({REQ}) (\S+) (\S+) - - -\] ")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    data = tmp_path_factory.mktemp("global-ids")
    with running_emulator(EmulatorConfig(port=0, data_dir=data)) as running:
        client = Cloud(running)
        yield client
        client.http.close()


def lines_with(path: Path, text: str) -> list[tuple[str | None, str, str]]:
    """(global id, local id, whole line) of each context line of `path` mentioning `text`."""
    found = []
    for line in path.read_text().splitlines():
        match = CONTEXT.match(line)
        if match and text in line:
            found.append((match.group(1), match.group(2), line))
    return found


def boot_from_volume(cloud: Cloud, name: str) -> tuple[str, str]:
    """Deploy onto a new boot volume made from PowerHA713: (server id, request id)."""
    image = cloud.first_id("image", "/v2/images?name=PowerHA713", "images")
    bdm: dict[str, Any] = {
        "boot_index": 0,
        "uuid": image,
        "source_type": "image",
        "destination_type": "volume",
        "volume_size": 20,
        "volume_type": "xiv90 base template",
        "delete_on_termination": True,
    }
    response = cloud.deploy(name, block_device_mapping_v2=[bdm])
    return response.json()["server"]["id"], response.headers["x-openstack-request-id"]


def test_a_deploy_logs_its_id_as_global_in_cinder_and_neutron(cloud: Cloud) -> None:
    server_id, request_id = boot_from_volume(cloud, "global-boot")
    server = cloud.server(server_id)
    assert server["status"] == "ACTIVE"
    (volume_id,) = [v["id"] for v in server["os-extended-volumes:volumes_attached"]]
    logs = cloud.running.log_dir
    project, user = server["tenant_id"], server["user_id"]

    # nova's own lines carry its request id alone
    nova = lines_with(logs / "nova" / "nova-api.log", f"[instance: {server_id}]")
    assert nova
    assert all(g is None and local == request_id for g, local, _ in nova)

    # cinder: the create and the attach, each a call of its own, under nova's id as global
    cinder = lines_with(logs / "cinder" / "volume-10.30.0.1.log", volume_id)
    assert cinder, "the boot volume is not in cinder's volume log"
    assert all(g == request_id for g, _, _ in cinder), cinder
    cinder_ids = {local for _, local, _ in cinder}
    assert request_id not in cinder_ids
    assert len(cinder_ids) >= 2  # create and attach are separate cinder requests
    created = next(line for _, _, line in cinder if "being created" in line)
    assert f"[{request_id} req-" in created
    assert f" {user} {project} - - -]" in created

    # neutron: the port created and bound for the server, under nova's id as global
    neutron = lines_with(logs / "neutron" / "server.log", server_id)
    assert neutron, "the server's port is not in neutron's log"
    assert all(g == request_id and local != request_id for g, local, _ in neutron), neutron


def test_an_attach_logs_both_ids_in_cinder(cloud: Cloud) -> None:
    volume = cloud.call(
        "POST",
        "volumev3",
        "/volumes",
        json={"volume": {"size": 1, "name": "global-vol", "volume_type": "xiv90 base template"}},
    )
    volume_id, volume_request = (
        volume.json()["volume"]["id"],
        volume.headers["x-openstack-request-id"],
    )
    server_id = cloud.deploy("global-attach").json()["server"]["id"]
    attached = cloud.call(
        "POST",
        "compute",
        f"/servers/{server_id}/os-volume_attachments",
        json={"volumeAttachment": {"volumeId": volume_id}},
    )
    assert attached.status_code == 200, attached.text
    attach_id = attached.headers["x-openstack-request-id"]
    cinder = lines_with(cloud.running.log_dir / "cinder" / "volume-10.30.0.1.log", volume_id)
    # the client's own cinder call has one id; nova's attach has nova's id and cinder's own
    direct = [(g, local) for g, local, _ in cinder if local == volume_request]
    assert direct
    assert all(g is None for g, _ in direct)
    by_nova = [(g, local) for g, local, _ in cinder if g == attach_id]
    assert by_nova, "the attach is not in cinder's log under nova's request id"
    assert all(local not in (attach_id, volume_request) for _, local in by_nova)


def test_the_log_search_finds_the_lines_by_either_id(cloud: Cloud) -> None:
    server_id, request_id = boot_from_volume(cloud, "global-search")
    logs = cloud.running.log_dir
    by_nova = asyncio.run(search(LocalLogs(logs), [request_id]))
    services = {m.path.split("/", 1)[0] for m in by_nova.matches}
    assert {"nova", "cinder", "neutron"} <= services
    cinder_id = next(
        local
        for g, local, _ in lines_with(logs / "cinder" / "volume-10.30.0.1.log", "being created")
        if g == request_id
    )
    assert cinder_id in by_nova.related_ids
    by_cinder = asyncio.run(search(LocalLogs(logs), [cinder_id]))
    paths = {m.path for m in by_cinder.matches}
    assert "cinder/volume-10.30.0.1.log" in paths
    # nova's id, on the same line as global, leads back to nova's lines
    assert request_id in by_cinder.related_ids
    assert any(p.startswith("nova/") for p in paths)
    assert any(server_id in m.line.text for m in by_cinder.matches)
