"""Volumes carry their LUN's WWN in their metadata (`volume_wwn`, as PowerVC's drivers show
it), the same across restarts and for volumes an older emulator stored without it; `lspv -u`
on a node shows the UDID built from it, so a volume maps to its hdisk by WWN."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.backend.volume_identity import WWN_KEY, volume_wwn
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.emulator.aix.conftest import Estate, run
from tests.support.emulator_http import IDENTITY, VOLUME, deploy, inventory, password_auth

SVC_WWN = re.compile(r"^6005076[0-9A-F]{25}$")


def test_every_created_volume_carries_its_wwn(estate: Estate) -> None:
    first, second = estate.volume("first"), estate.volume("second", shared=True)
    wwns = [estate.volume_metadata(v)[WWN_KEY] for v in (first, second)]
    assert all(SVC_WWN.match(wwn) for wwn in wwns)
    assert wwns == [volume_wwn(first), volume_wwn(second)]
    assert wwns[0] != wwns[1]
    found = estate.admin.get(
        f"{VOLUME}/{estate.project_id}/volumes/detail",
        params={"metadata": f'{{"{WWN_KEY}": "{wwns[1]}"}}'},
    ).json()["volumes"]
    assert [v["id"] for v in found] == [second]


def test_a_boot_volume_is_hdisk0_with_its_wwn(estate: Estate) -> None:
    ids = inventory(estate.admin)
    bdm = [
        {
            "uuid": ids["image"],
            "source_type": "image",
            "destination_type": "volume",
            "boot_index": 0,
            "volume_size": 25,
            "delete_on_termination": True,
        }
    ]
    server = deploy(estate.admin, ids, "aixboot", block_device_mapping_v2=bdm)
    node = estate.node(server, "aixboot")
    hdisk0 = estate.emulator.aix.disks.find(node, "hdisk0")
    assert hdisk0 is not None
    assert hdisk0.volume_id
    assert hdisk0.size_mb == 25 * 1024
    assert hdisk0.wwn == estate.volume_metadata(hdisk0.volume_id)[WWN_KEY]
    row = run(node, estate, "lspv -u").out.splitlines()[0].split()
    assert row[:4] == ["hdisk0", hdisk0.pvid, "rootvg", "active"]
    assert hdisk0.wwn in row[4]


def test_the_wwn_survives_a_restart_and_is_added_to_older_records(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    emulator = Emulator(config)
    with TestClient(create_app(emulator), base_url="http://testserver") as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        project_id = client.get(f"{IDENTITY}/auth/projects").json()["projects"][0]["id"]
        estate = Estate(client, project_id, emulator)
        kept, older = estate.volume("kept"), estate.volume("older")
        wwn = estate.volume_metadata(kept)[WWN_KEY]
    body = next(b for b in emulator.store.load("volume") if b["id"] == older)
    del body["metadata"][WWN_KEY]  # as an emulator before WWNs stored it
    emulator.store.put("volume", older, body)
    emulator.close()
    reopened = Emulator(config)
    try:
        assert reopened.volumes.get(kept).metadata[WWN_KEY] == wwn
        assert reopened.volumes.get(older).metadata[WWN_KEY] == volume_wwn(older)
    finally:
        reopened.close()
