"""clmgr's command line: actions and classes in any case, aliases and abbreviations,
ATTR=value pairs, -a/-c/-v output, errors on stderr, clutils.log, and `not found` on an
image without PowerHA."""

from __future__ import annotations

import pytest

from powerbridge.emulator.aix.commands.clmgr import Request, UsageError, parse
from tests.support.powerha_lab import Lab, configured


@pytest.mark.parametrize(
    ("line", "action", "cls"),
    [
        ("q cl", "query", "cluster"),
        ("QUERY CLUSTER", "query", "cluster"),
        ("ls rg", "query", "resource_group"),
        ("rm app x", "delete", "application_controller"),
        ("start no x", "online", "node"),
        ("stop cl", "offline", "cluster"),
        ("mv rg x", "move", "resource_group"),
        ("add si x", "add", "service_ip"),
        ("mod resource_g x", "modify", "resource_group"),
        ("add rp hdisk3", "add", "repository"),
        ("q nw", "query", "network"),
        ("add am x", "add", "application_monitor"),
        ("add vg x", "add", "volume_group"),
        ("add lv x", "add", "logical_volume"),
        ("add fs x", "add", "file_system"),
        ("add sn x", "add", "snapshot"),
        ("sync", "sync", "cluster"),
    ],
)
def test_actions_classes_aliases_and_abbreviations(line: str, action: str, cls: str) -> None:
    request = parse(line.split())
    assert (request.action, request.cls) == (action, cls)


def test_attributes_flags_and_quotes() -> None:
    request = parse(["-a", "state,current_node", "query", "rg", "rg1", 'nodes="a,b"', "-c"])
    assert request == Request(
        "query", "resource_group", "rg1", {"NODES": "a,b"}, ["STATE", "CURRENT_NODE"], ":", False
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "query",
        "frobnicate cluster",
        "query widget",
        "o cluster",
        "-z query cluster",
        "add rg a b c",
    ],
)
def test_unreadable_command_lines(line: str) -> None:
    with pytest.raises(UsageError):
        parse(line.split())


def test_errors_go_to_stderr_and_every_call_is_logged(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    result = lab.run(a, "clmgr frob cluster")
    assert result.status != 0
    assert result.err.startswith("ERROR: ")
    assert result.out == ""
    missing = lab.run(a, "clmgr query resource_group nosuch")
    assert missing.status == 1
    assert "ERROR:" in missing.err
    log = a.fs.read_text("/var/hacmp/log/clutils.log")
    assert "CLMGR COMMAND" in log
    assert "clmgr frob cluster" in log
    assert "clmgr query resource_group nosuch" in log
    assert "CLMGR RETURN" in log


def test_query_output_forms(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    assert lab.ok(a, "clmgr query rg") == "rg1\n"
    assert lab.ok(a, "clmgr -a NAME,STARTUP query rg rg1") == 'NAME="rg1"\nSTARTUP="OHN"\n'
    assert lab.ok(a, "clmgr -c -a NAME,FALLOVER q rg") == "#NAME:FALLOVER\nrg1:FNPN\n"
    verbose = lab.ok(a, "clmgr query node -v")
    assert 'NAME="ha1"' in verbose
    assert 'NAME="ha2"' in verbose
    assert 'IPADDR="10.10.0.50"' in lab.ok(a, "clmgr q si hasvc")
    assert 'STARTSCRIPT="/opt/app/start"' in lab.ok(a, "clmgr q ac app1")
    assert 'PHYSICAL_VOLUMES="hdisk2"' in lab.ok(a, "clmgr q vg datavg")
    assert 'BACKUP="false"' in lab.ok(a, "clmgr query repository hdisk1")
    assert lab.ok(a, "clmgr query network") == "net_ether_01\n"


def test_resources_add_and_delete(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    lab.ok(a, "clmgr add application_monitor mon1 TYPE=Process APPLICATIONS=app1")
    lab.ok(a, "clmgr add logical_volume datalv VOLUME_GROUP=datavg SIZE=10")
    lab.ok(a, "clmgr add file_system /data VOLUME_GROUP=datavg")
    lab.ok(a, "clmgr add snapshot snap1 DESCRIPTION=before")
    assert lab.ok(a, "clmgr q sn") == "snap1\n"
    used = lab.run(a, "clmgr delete service_ip hasvc")
    assert used.status != 0
    assert "rg1" in used.err
    lab.ok(a, "clmgr delete resource_group rg1")
    lab.ok(a, "clmgr delete service_ip hasvc")
    assert lab.ok(a, "clmgr query service_ip") == ""
    lab.ok(a, "clmgr delete vg datavg")
    assert lab.disks.volumes["data"].volume_group is None


def test_a_file_system_on_a_logical_volume_takes_its_volume_group(lab: Lab) -> None:
    a, _ = configured(lab, 2)
    lab.ok(a, "clmgr add logical_volume datalv VOLUME_GROUP=datavg LOGICAL_PARTITIONS=8")
    lab.ok(a, "clmgr add file_system /data LOGICAL_VOLUME=datalv TYPE=enhanced")
    assert 'VOLUME_GROUP="datavg"' in lab.ok(a, "clmgr query file_system /data")
    missing = lab.run(a, "clmgr add file_system /logs LOGICAL_VOLUME=nolv")
    assert missing.status == 1
    assert missing.err == 'ERROR: the logical volume "nolv" does not exist.\n'


def test_backup_repository(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.disks.add("repo2", [a, b], pvid="00c8a1b2c3d4e5f8")
    lab.ok(a, "clmgr add repository hdisk3")
    assert lab.ok(a, "clmgr query repository") == "hdisk1\nhdisk3\n"
    refused = lab.run(a, "clmgr delete repository hdisk1")
    assert refused.status != 0
    assert "active repository" in refused.err
    lab.ok(a, "clmgr delete repository hdisk3")


def test_clmgr_is_not_there_without_powerha(lab: Lab) -> None:
    plain = lab.node("aix1", "10.10.0.30", version=None)
    for line in ("clmgr query cluster", "clRGinfo", "clstat -o", "cldump", "clshowsrv -v"):
        result = lab.run(plain, line)
        name = line.split()[0]
        assert (result.status, result.err) == (127, f"ksh: {name}:  not found.\n")
    assert lab.world.clusters.subsystem_status(plain, "clstrmgrES") is None
    assert not (plain.fs.exists("/var/hacmp/log/clutils.log"))


def test_modify_application_controller_checks_the_new_script(lab: Lab) -> None:
    a, b = configured(lab, 2)
    lab.script([a], "/opt/app/start2")
    refused = lab.run(a, "clmgr modify ac app1 STARTSCRIPT=/opt/app/start2")
    assert refused.status != 0
    assert 'does not exist on node "ha2"' in refused.err
    assert 'STARTSCRIPT="/opt/app/start"' in lab.ok(a, "clmgr q ac app1")
    lab.script([b], "/opt/app/start2")
    lab.ok(a, "clmgr modify ac app1 STARTSCRIPT=/opt/app/start2")
    assert 'STARTSCRIPT="/opt/app/start2"' in lab.ok(a, "clmgr q ac app1")
    assert lab.run(a, "clmgr modify ac nosuch STARTSCRIPT=/x").status != 0
