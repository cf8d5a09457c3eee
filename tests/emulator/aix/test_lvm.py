"""LVM over shared volumes: an enhanced concurrent VG made on one node, imported and varied
on concurrently on another, logical volumes and file systems, the contract the PowerHA model
uses, and every refusal with its message, changing nothing."""

from __future__ import annotations

import pytest

from powerbridge.emulator.aix.node import DOWN, UP, Node
from tests.emulator.aix.conftest import Estate, run


@pytest.fixture
def pair(estate: Estate) -> tuple[Node, Node, str, str]:
    """Two booted nodes sharing a 1 GB repository and a 10 GB data volume (hdisk1, hdisk2)."""
    a, b = estate.server("aixa"), estate.server("aixb")
    repo = estate.volume("repo", 1, shared=True)
    data = estate.volume("data", 10, shared=True)
    for server in (a, b):
        estate.attach(server, repo)
        estate.attach(server, data)
    return estate.node(a, "aixa"), estate.node(b, "aixb"), repo, data


def ok(node: Node, estate: Estate, line: str) -> str:
    result = run(node, estate, line)
    assert result.status == 0, f"{line}: {result.err}"
    return result.out


def refused(node: Node, estate: Estate, line: str) -> str:
    result = run(node, estate, line)
    assert result.status != 0, f"{line} succeeded: {result.out}"
    assert result.out == ""
    return result.err


def lspv_rows(node: Node, estate: Estate) -> dict[str, list[str]]:
    return {row.split()[0]: row.split()[1:] for row in ok(node, estate, "lspv").splitlines()}


def share_data(pair: tuple[Node, Node, str, str], estate: Estate) -> None:
    """The build's order: PVIDs on one node, cfgmgr on the other, an ECVG, imported there."""
    a, b, _, _ = pair
    ok(a, estate, "chdev -l hdisk2 -a pv=yes")
    assert ok(a, estate, "mkvg -C -S -y datavg hdisk2") == "datavg\n"
    ok(b, estate, "cfgmgr")
    assert ok(b, estate, "importvg -y datavg hdisk2") == "datavg\n"


def test_an_ecvg_is_varied_on_concurrently_on_two_nodes(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, b, _, data = pair
    ok(a, estate, "chdev -l hdisk2 -a pv=yes")
    assert ok(a, estate, "mkvg -C -S -y datavg hdisk2") == "datavg\n"
    assert ok(a, estate, "lsvg -o") == "rootvg\n"  # mkvg -C does not vary it on
    assert lspv_rows(a, estate)["hdisk2"][1:] == ["datavg"]
    assert lspv_rows(b, estate)["hdisk2"] == ["none", "None"]
    ok(b, estate, "cfgmgr")
    assert lspv_rows(b, estate)["hdisk2"][1:] == ["None"]  # the PVID, but no VG known here
    imported = run(b, estate, "importvg -y datavg hdisk2")
    assert (imported.out, imported.status) == ("datavg\n", 0)
    assert imported.err == (
        "0516-783 importvg: This imported volume group is concurrent capable.\n"
        "\tTherefore, the volume group must be varied on manually.\n"
    )
    for node in (a, b):
        ok(node, estate, "varyonvg -c datavg")
    for node in (a, b):
        rows = lspv_rows(node, estate)
        assert rows["hdisk2"][1:] == ["datavg", "concurrent"]
        assert rows["hdisk2"][0] == lspv_rows(a, estate)["hdisk2"][0]
        assert rows["hdisk1"][1:] == ["None"]
        assert ok(node, estate, "lsvg -o") == "rootvg\ndatavg\n"
        detail = ok(node, estate, "lsvg datavg")
        assert "Concurrent:         Enhanced-Capable" in detail
        assert "VG Mode:            Concurrent" in detail
        assert "Active Nodes:   2" in detail
        view = estate.emulator.aix.disks.on_node(node, data)
        assert view is not None
        assert (view.volume_group, view.state) == ("datavg", "concurrent")


def test_importvg_needs_the_pvid_read_by_cfgmgr_and_changes_nothing_before(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, b, _, _ = pair
    ok(a, estate, "chdev -l hdisk2 -a pv=yes")
    ok(a, estate, "mkvg -C -S -y datavg hdisk2")
    err = refused(b, estate, "importvg -y datavg hdisk2")
    assert "0516-780 importvg: Unable to import volume group from hdisk2." in err
    assert ok(b, estate, "lsvg") == "rootvg\n"
    not_a_vg = refused(b, estate, "importvg -y datavg hdisk9")
    assert "0516-306 importvg: Unable to find physical volume hdisk9" in not_a_vg
    ok(b, estate, "cfgmgr")
    ok(b, estate, "chdev -l hdisk1 -a pv=yes")
    no_vgda = refused(b, estate, "importvg -y repovg hdisk1")
    assert "0516-1140 importvg: Unable to read the volume group descriptor area" in no_vgda
    ok(b, estate, "importvg -y datavg hdisk2")
    twice = refused(b, estate, "importvg -y datavg hdisk2")
    assert "0516-776 importvg: Cannot import hdisk2 as datavg." in twice
    assert ok(b, estate, "lsvg") == "rootvg\ndatavg\n"


def test_varyon_refusals(pair: tuple[Node, Node, str, str], estate: Estate) -> None:
    a, b, _, _ = pair
    share_data(pair, estate)
    ok(a, estate, "varyonvg -c datavg")
    err = refused(b, estate, "varyonvg datavg")  # normal mode while another node holds it
    assert err.startswith("0516-013 varyonvg: The volume group cannot be varied on")
    assert lspv_rows(b, estate)["hdisk2"][1:] == ["datavg"]
    missing = refused(b, estate, "varyonvg othervg")
    assert missing == (
        "0516-306 varyonvg: Unable to find volume group othervg in the Device\n"
        "\tConfiguration Database.\n"
    )
    ok(a, estate, "chdev -l hdisk1 -a pv=yes")
    assert ok(a, estate, "mkvg -y plainvg hdisk1") == "plainvg\n"  # varied on by mkvg
    assert lspv_rows(a, estate)["hdisk1"][1:] == ["plainvg", "active"]
    not_capable = refused(a, estate, "varyonvg -c plainvg")
    assert "0516-1436" in not_capable
    not_on = refused(b, estate, "varyoffvg datavg")
    assert "is not varied on" in not_on
    assert refused(a, estate, "varyonvg").startswith("Usage: varyonvg")


def test_a_disk_in_a_varied_on_vg_keeps_its_reserve_policy(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, _, _, _ = pair
    share_data(pair, estate)
    ok(a, estate, "varyonvg -c datavg")
    err = refused(a, estate, "chdev -l hdisk2 -a reserve_policy=no_reserve")
    assert err == (
        "Method error (/usr/lib/methods/chgdisk):\n"
        "\t0514-062 Cannot perform the requested function because the\n"
        "\t\t specified device is busy.\n"
    )
    query = "lsattr -El hdisk2 -a reserve_policy -F value"
    assert ok(a, estate, query) == "single_path\n"
    assert ok(a, estate, "chdev -l hdisk2 -a reserve_policy=no_reserve -P") == "hdisk2 changed\n"
    assert ok(a, estate, query) == "no_reserve\n"
    ok(a, estate, "varyoffvg datavg")
    assert ok(a, estate, "chdev -l hdisk2 -a reserve_policy=single_path") == "hdisk2 changed\n"
    ok(a, estate, "varyonvg datavg")
    assert refused(a, estate, "chdev -l hdisk2 -a pv=clear").count("0514-062") == 1
    assert lspv_rows(a, estate)["hdisk2"][0] != "none"


def test_mkvg_refusals_change_nothing(pair: tuple[Node, Node, str, str], estate: Estate) -> None:
    a, _, repo, _ = pair
    share_data(pair, estate)
    taken = refused(a, estate, "mkvg -y othervg hdisk2")
    assert "0516-1207 mkvg: Warning: The physical volume hdisk2 appears to belong" in taken
    assert taken.endswith("0516-862 mkvg: Unable to create volume group.\n")
    assert "0516-360" in refused(a, estate, "mkvg -y datavg hdisk1")
    assert "0516-360" in refused(a, estate, "mkvg -y rootvg hdisk1")
    assert "0516-306 mkvg: Unable to find physical volume hdisk7" in refused(
        a, estate, "mkvg -y newvg hdisk7"
    )
    assert "0516-1232" in refused(a, estate, "mkvg -s 3 -y newvg hdisk1")
    assert refused(a, estate, "mkvg -y newvg").startswith("Usage: mkvg")
    assert "0516-1163" in refused(a, estate, "mkvg -y newvg hdisk1 hdisk1")
    assert "option -Q not recognized" in refused(a, estate, "mkvg -Q hdisk1")
    estate.emulator.aix.disks.set_volume_group(repo, "caavg_private")
    assert "0516-1207" in refused(a, estate, "mkvg -y newvg hdisk1")
    assert ok(a, estate, "lsvg") == "rootvg\ndatavg\n"
    assert lspv_rows(a, estate)["hdisk1"] == ["none", "caavg_private", "active"]


def test_logical_volumes_file_systems_and_mounts(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, b, _, _ = pair
    share_data(pair, estate)
    assert "0516-010" in refused(a, estate, "mklv -y datalv -t jfs2 datavg 10")
    ok(a, estate, "varyonvg datavg")
    assert ok(a, estate, "mklv -y datalv -t jfs2 datavg 1G") == "datalv\n"
    made = ok(a, estate, "crfs -v jfs2 -d datalv -m /data -A no").splitlines()
    assert made[0] == "File system created successfully."
    assert made[2].startswith("New File System size is ")
    assert estate.emulator.aix.node(a.server_id) is a
    assert a.fs.is_dir("/data")
    lvs = ok(a, estate, "lsvg -l datavg").splitlines()
    assert lvs[0] == "datavg:"
    assert lvs[2].split() == ["datalv", "jfs2", "64", "64", "1", "closed/syncd", "/data"]
    fs_row = [r for r in ok(a, estate, "lsfs /data").splitlines() if r.startswith("/dev/datalv")]
    assert fs_row[0].split() == ["/dev/datalv", "--", "/data", "jfs2", "2097152", "rw", "no", "no"]
    ok(a, estate, "mount /data")
    assert "/dev/datalv" in ok(a, estate, "mount")
    assert "open/syncd" in ok(a, estate, "lsvg -l datavg")
    busy = refused(a, estate, "varyoffvg datavg")
    assert busy.endswith("0516-942 varyoffvg: Unable to vary off volume group datavg.\n")
    assert "datavg" in ok(a, estate, "lsvg -o")
    assert "busy" in refused(a, estate, "mount /data")
    assert "busy" in refused(a, estate, "mount /usr")
    ok(a, estate, "umount /data")
    assert "0506-347" in refused(a, estate, "umount /data")
    ok(a, estate, "varyoffvg datavg")
    ok(b, estate, "varyonvg datavg")  # the file system came with the VG
    ok(b, estate, "mount /dev/datalv")
    assert "/data" in ok(b, estate, "lsfs")


def test_lv_and_fs_refusals(pair: tuple[Node, Node, str, str], estate: Estate) -> None:
    a, _, _, _ = pair
    share_data(pair, estate)
    ok(a, estate, "varyonvg datavg")
    ok(a, estate, "mklv -y datalv -t jfs2 datavg 10")
    assert "0516-360" in refused(a, estate, "mklv -y datalv -t jfs2 datavg 10")
    too_big = refused(a, estate, "mklv -y hugelv -t jfs2 datavg 100G")
    assert too_big.startswith("0516-404 allocp: This system cannot fulfill the allocation")
    assert "0516-1172" in refused(a, estate, "mklv -y oddlv datavg ten")
    assert "0516-306" in refused(a, estate, "mklv -y lv1 novg 1")
    assert refused(a, estate, "mklv -y lv1 datavg").startswith("Usage: mklv")
    assert "0506-909" in refused(a, estate, "crfs -v jfs2 -d nolv -m /x")
    ok(a, estate, "crfs -v jfs2 -d datalv -m /data")
    assert "0506-910" in refused(a, estate, "crfs -v jfs2 -d datalv -m /other")
    assert refused(a, estate, "crfs -v jfs -d datalv -m /x").startswith("Usage: crfs")
    assert ok(a, estate, "crfs -v jfs2 -g datavg -a size=64M -m /logs").startswith("File system")
    assert "0506-914" in refused(a, estate, "crfs -v jfs2 -g datavg -a size=64M -m /logs")
    assert "No record matching '/nope'" in refused(a, estate, "lsfs /nope")
    assert "0506-334" in refused(a, estate, "mount /nope")
    assert [lv.split()[0] for lv in ok(a, estate, "lsvg -l datavg").splitlines()[2:]] == [
        "datalv",
        "fslv00",
    ]


def test_export_and_lsvg_errors(pair: tuple[Node, Node, str, str], estate: Estate) -> None:
    a, b, _, _ = pair
    share_data(pair, estate)
    ok(b, estate, "varyonvg -c datavg")
    assert refused(b, estate, "exportvg datavg") == (
        "0516-764 exportvg: The volume group must be varied off before exporting.\n"
    )
    assert refused(a, estate, "lsvg datavg") == (
        "0516-010 lsvg: Volume group must be varied on; use varyonvg command.\n"
    )
    assert "0516-306 lsvg: Unable to find volume group novg" in refused(a, estate, "lsvg novg")
    ok(b, estate, "varyoffvg datavg")
    ok(b, estate, "exportvg datavg")
    assert ok(b, estate, "lsvg") == "rootvg\n"
    assert lspv_rows(b, estate)["hdisk2"][1:] == ["None"]
    assert "0516-306" in refused(b, estate, "exportvg datavg")
    assert lspv_rows(a, estate)["hdisk2"][1:] == ["datavg"]  # still on the disk, known on a
    assert "rootvg" in ok(a, estate, "lsvg rootvg")


def test_the_contract_for_the_powerha_model(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, b, repo, data = pair
    disks = estate.emulator.aix.disks
    disks.set_volume_group(repo, "caavg_private")
    for node in (a, b):
        view = disks.on_node(node, repo)
        assert view is not None
        assert (view.volume_group, view.state, view.size_mb) == ("caavg_private", "active", 1024)
        assert view.pvid is None
        assert lspv_rows(node, estate)["hdisk1"][1:] == ["caavg_private", "active"]
    disks.set_varied_on(b, "caavg_private", False)
    assert lspv_rows(b, estate)["hdisk1"][1:] == ["caavg_private"]
    assert lspv_rows(a, estate)["hdisk1"][1:] == ["caavg_private", "active"]
    share_data(pair, estate)
    disks.set_varied_on(a, "datavg", True)
    disks.set_varied_on(b, "datavg", True)
    assert lspv_rows(b, estate)["hdisk2"][1:] == ["datavg", "concurrent"]
    disks.set_varied_on(b, "datavg", False)
    assert lspv_rows(b, estate)["hdisk2"][1:] == ["datavg"]
    view = disks.on_node(a, data)
    assert view is not None
    assert disks.find(a, view.pvid or "") == view
    disks.set_volume_group(repo, None)
    assert lspv_rows(a, estate)["hdisk1"] == ["none", "None"]


def test_a_node_going_down_loses_its_varied_on_vgs_and_mounts(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, b, _, _ = pair
    share_data(pair, estate)
    ok(a, estate, "varyonvg datavg")
    ok(a, estate, "mklv -y datalv -t jfs2 datavg 10")
    ok(a, estate, "crfs -v jfs2 -d datalv -m /data")
    ok(a, estate, "mount /data")
    world = estate.emulator.aix
    world.set_state(a, DOWN)
    ok(b, estate, "varyonvg datavg")  # the survivor takes the VG over
    ok(b, estate, "mount /data")
    world.set_state(a, UP)
    assert ok(a, estate, "lsvg -o") == "rootvg\n"
    assert "/dev/datalv" not in ok(a, estate, "mount")


def test_lspv_and_lsvg_describe_a_disk_of_a_vg(
    pair: tuple[Node, Node, str, str], estate: Estate
) -> None:
    a, _, _, _ = pair
    share_data(pair, estate)
    ok(a, estate, "varyonvg datavg")
    detail = ok(a, estate, "lspv hdisk2").splitlines()
    assert detail[0].split() == ["PHYSICAL", "VOLUME:", "hdisk2", "VOLUME", "GROUP:", "datavg"]
    assert detail[1].split()[2] == lspv_rows(a, estate)["hdisk2"][0]
    pvs = ok(a, estate, "lsvg -p datavg").splitlines()
    assert pvs[0] == "datavg:"
    row = pvs[2].split()
    assert row[:2] == ["hdisk2", "active"]
    assert row[2] == row[3]  # nothing allocated yet
    assert "0516-320" in refused(a, estate, "lspv hdisk1")
