"""hdisks over PowerVC volumes: attachment order, cfgmgr, PVIDs and reserve policies per node,
and the listing commands (lspv, lsdev, bootinfo, lsattr), each with its errors."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from powerbridge.emulator.aix.disk_records import udid
from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.emulator.aix.conftest import Estate, run
from tests.support.emulator_http import IDENTITY, password_auth

PVID = re.compile(r"^00[0-9a-f]{14}$")


def lspv(estate: Estate, node: Node) -> list[list[str]]:
    result = run(node, estate, "lspv")
    assert result.status == 0, result.err
    return [line.split() for line in result.out.splitlines()]


def test_hdisks_follow_the_attachment_order_with_hdisk0_the_boot_disk(estate: Estate) -> None:
    server = estate.server("aixa")
    volumes = [estate.volume(f"data{n}", size=n + 1) for n in range(3)]
    for volume_id in volumes:
        estate.attach(server, volume_id)
    node = estate.node(server, "aixa")
    disks = estate.emulator.aix.disks.disks(node)
    assert [d.name for d in disks] == ["hdisk0", "hdisk1", "hdisk2", "hdisk3"]
    assert [d.volume_id for d in disks] == ["", *volumes]
    assert [d.size_mb for d in disks[1:]] == [1024, 2048, 3072]
    assert disks[0].volume_group == "rootvg"
    rows = lspv(estate, node)
    assert rows[0][2:] == ["rootvg", "active"]
    assert PVID.match(rows[0][1])
    assert [row[1:] for row in rows[1:]] == [["none", "None"]] * 3
    sizes = [run(node, estate, f"bootinfo -s hdisk{n}").out.strip() for n in range(1, 4)]
    assert sizes == ["1024", "2048", "3072"]


def test_a_volume_attached_after_boot_appears_only_after_cfgmgr(estate: Estate) -> None:
    server = estate.server("aixa")
    first = estate.volume("first")
    estate.attach(server, first)
    node = estate.node(server, "aixa")
    late = estate.volume("late", size=2)
    estate.attach(server, late)
    assert [row[0] for row in lspv(estate, node)] == ["hdisk0", "hdisk1"]
    assert estate.emulator.aix.disks.on_node(node, late) is None
    result = run(node, estate, "cfgmgr")
    assert (result.out, result.err, result.status) == ("", "", 0)
    assert [row[0] for row in lspv(estate, node)] == ["hdisk0", "hdisk1", "hdisk2"]
    disk = estate.emulator.aix.disks.on_node(node, late)
    assert disk is not None
    assert (disk.name, disk.size_mb) == ("hdisk2", 2048)


def test_a_detached_volume_disappears_and_its_number_is_kept(estate: Estate) -> None:
    server = estate.server("aixa")
    one, two = estate.volume("one"), estate.volume("two")
    estate.attach(server, one)
    estate.attach(server, two)
    node = estate.node(server, "aixa")
    estate.detach(server, one)
    assert [row[0] for row in lspv(estate, node)] == ["hdisk0", "hdisk2"]
    listing = run(node, estate, "lsdev -Cc disk").out.splitlines()
    assert listing[1].split()[:2] == ["hdisk1", "Defined"]
    assert listing[2].split()[:2] == ["hdisk2", "Available"]
    third = estate.volume("three")
    estate.attach(server, third)
    run(node, estate, "cfgmgr")
    disk = estate.emulator.aix.disks.on_node(node, third)
    assert disk is not None
    assert disk.name == "hdisk3"
    estate.attach(server, one)
    run(node, estate, "cfgmgr")
    back = estate.emulator.aix.disks.on_node(node, one)
    assert back is not None
    assert back.name == "hdisk1"


def test_a_pvid_written_on_one_node_shows_on_another_after_its_cfgmgr(estate: Estate) -> None:
    a, b = estate.server("aixa"), estate.server("aixb")
    shared = estate.volume("shared", shared=True)
    estate.attach(a, shared)
    estate.attach(b, shared)
    node_a, node_b = estate.node(a, "aixa"), estate.node(b, "aixb")
    changed = run(node_a, estate, "chdev -l hdisk1 -a pv=yes")
    assert (changed.out, changed.status) == ("hdisk1 changed\n", 0)
    pvid = lspv(estate, node_a)[1][1]
    assert PVID.match(pvid)
    assert pvid[:8] == lspv(estate, node_a)[0][1][:8]  # the writer's machine id leads
    assert lspv(estate, node_b)[1][1] == "none"
    assert estate.emulator.aix.disks.find(node_b, pvid) is None
    run(node_b, estate, "cfgmgr")
    assert lspv(estate, node_b)[1][1] == pvid
    disk = estate.emulator.aix.disks.find(node_b, pvid)
    assert disk is not None
    assert disk.volume_id == shared
    again = run(node_b, estate, "chdev -l hdisk1 -a pv=yes")  # a disk keeps its PVID
    assert again.status == 0
    assert lspv(estate, node_a)[1][1] == pvid
    attr = run(node_b, estate, "lsattr -El hdisk1 -a pvid -F value")
    assert attr.out == f"{pvid}0000000000000000\n"


def test_pv_clear_wipes_the_pvid(estate: Estate) -> None:
    server = estate.server("aixa")
    estate.attach(server, estate.volume("one"))
    node = estate.node(server, "aixa")
    run(node, estate, "chdev -l hdisk1 -a pv=yes")
    cleared = run(node, estate, "chdev -l hdisk1 -a pv=clear")
    assert cleared.status == 0
    assert lspv(estate, node)[1][1] == "none"


def test_reserve_policy_is_per_node_and_disk(estate: Estate) -> None:
    a, b = estate.server("aixa"), estate.server("aixb")
    shared = estate.volume("shared", shared=True)
    estate.attach(a, shared)
    estate.attach(b, shared)
    node_a, node_b = estate.node(a, "aixa"), estate.node(b, "aixb")
    query = "lsattr -El hdisk1 -a reserve_policy"
    assert run(node_a, estate, query).out == "reserve_policy single_path Reserve Policy True+\n"
    changed = run(node_a, estate, "chdev -l hdisk1 -a reserve_policy=no_reserve")
    assert (changed.out, changed.status) == ("hdisk1 changed\n", 0)
    assert run(node_a, estate, query).out.split()[1] == "no_reserve"
    assert run(node_b, estate, query).out.split()[1] == "single_path"
    views = {n.name: estate.emulator.aix.disks.on_node(n, shared) for n in (node_a, node_b)}
    assert {name: v.reserve_policy for name, v in views.items() if v} == {
        "aixa": "no_reserve",
        "aixb": "single_path",
    }


def test_lspv_u_shows_the_udid_built_from_the_volume_wwn(estate: Estate) -> None:
    server = estate.server("aixa")
    volume_id = estate.volume("data")
    estate.attach(server, volume_id)
    node = estate.node(server, "aixa")
    wwn = estate.volume_metadata(volume_id)["volume_wwn"]
    row = run(node, estate, "lspv -u").out.splitlines()[1].split()
    assert row[0] == "hdisk1"
    assert row[1:3] == ["none", "None"]
    assert row[3] == f"33213{wwn}04214503IBMfcp" == udid(wwn)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", row[4])
    by_wwn = [
        line.split()[0] for line in run(node, estate, "lspv -u").out.splitlines() if wwn in line
    ]
    assert by_wwn == ["hdisk1"]
    unique_id = run(node, estate, "lsattr -El hdisk1 -a unique_id -F value").out.strip()
    assert unique_id == row[3]


def test_lsdev_and_lsattr_describe_an_mpio_2145_disk(estate: Estate) -> None:
    server = estate.server("aixa")
    estate.attach(server, estate.volume("data", size=5))
    node = estate.node(server, "aixa")
    listing = run(node, estate, "lsdev -Cc disk").out.splitlines()
    assert listing == [
        "hdisk0 Available 00-00-01 MPIO IBM 2145 FC Disk",
        "hdisk1 Available 00-00-01 MPIO IBM 2145 FC Disk",
    ]
    assert run(node, estate, "lsdev -Cc disk -F name").out == "hdisk0\nhdisk1\n"
    table = {
        line.split()[0]: line.split()[1]
        for line in run(node, estate, "lsattr -El hdisk1").out.splitlines()
        if len(line.split()) > 2
    }
    assert table["reserve_policy"] == "single_path"
    assert table["size_in_mb"] == "5120"
    assert table["pvid"] == "none"
    assert table["PCM"] == "PCM/friend/fcpother"


def test_disk_command_errors_name_the_device_and_change_nothing(estate: Estate) -> None:
    server = estate.server("aixa")
    estate.attach(server, estate.volume("data"))
    node = estate.node(server, "aixa")
    before = lspv(estate, node)
    missing = run(node, estate, "chdev -l hdisk9 -a pv=yes")
    assert missing.status == 1
    assert missing.err == (
        "0514-519 The following device was not found in the customized device configuration "
        "database: hdisk9\n"
    )
    bad_value = run(node, estate, "chdev -l hdisk1 -a reserve_policy=sometimes")
    assert bad_value.status == 1
    assert "0514-018" in bad_value.err
    assert "reserve_policy" in bad_value.err
    unknown_attr = run(node, estate, "chdev -l hdisk1 -a colour=blue -a pv=yes")
    assert unknown_attr.status == 1
    assert "\tcolour\n" in unknown_attr.err
    no_device = run(node, estate, "chdev -a pv=yes")
    assert no_device.status == 2
    assert no_device.err.startswith("Usage: chdev")
    bad_flag = run(node, estate, "lspv -z")
    assert bad_flag.status == 2
    assert "lspv: option -z not recognized" in bad_flag.err
    lsattr_missing = run(node, estate, "lsattr -El hdisk7")
    assert lsattr_missing.status == 1
    assert "0514-519" in lsattr_missing.err
    no_attr = run(node, estate, "lsattr -El hdisk1 -a colour")
    assert no_attr.status == 1
    assert 'lsattr: 0514-528 The "colour" attribute does not exist' in no_attr.err
    assert run(node, estate, "bootinfo -s hdisk7").status == 1
    assert run(node, estate, "bootinfo").status == 2
    assert run(node, estate, "lsdev -C -l hdisk7").status == 1
    assert run(node, estate, "lspv hdisk7").status == 1
    assert lspv(estate, node) == before
    reserve = run(node, estate, "lsattr -El hdisk1 -a reserve_policy -F value").out
    assert reserve == "single_path\n"


def test_the_disk_model_survives_an_emulator_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path / "data", log_dir=tmp_path / "logs")
    emulator = Emulator(config)
    with TestClient(create_app(emulator), base_url="http://testserver") as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        projects = client.get(f"{IDENTITY}/auth/projects").json()["projects"]
        estate = Estate(client, projects[0]["id"], emulator)
        server = estate.server("aixa")
        estate.attach(server, estate.volume("one"))
        node = estate.node(server, "aixa")
        run(node, estate, "chdev -l hdisk1 -a pv=yes")
        run(node, estate, "chdev -l hdisk1 -a reserve_policy=no_reserve")
        before = run(node, estate, "lspv -u").out
    emulator.close()
    reopened = Emulator(config)
    try:
        node = reopened.aix.node(server)
        assert node is not None
        disk = reopened.aix.disks.find(node, "hdisk1")
        assert disk is not None
        assert disk.reserve_policy == "no_reserve"
        assert disk.pvid
        assert run(node, Estate(estate.admin, "", reopened), "lspv -u").out == before
    finally:
        reopened.close()
