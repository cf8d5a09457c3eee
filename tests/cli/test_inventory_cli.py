"""Inventory commands against a started emulator: list and show of every kind, by name and id,
in every format."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Shell

pytestmark = pytest.mark.acceptance

# command group -> a name the default estate has
KNOWN = {
    "image": "AIX72",
    "template": "powervm.small",
    "network": "cmbnet1",
    "storage-template": "xiv90 base template",
    "scg": "Any host, all VIOS",
    "host": "p8-rack1-host1",
    "host-group": "Default Group",
}


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture
def sh(
    cloud: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Shell:
    return Shell(monkeypatch, capsys, cloud.env())


@pytest.mark.parametrize("group", sorted(KNOWN))
def test_list_and_show_by_name_and_id(sh: Shell, group: str) -> None:
    listed = sh.json(group, "list")
    assert listed, f"{group} list is empty"
    names = [row["name"] for row in listed]
    wanted = KNOWN[group]
    row = next(r for r in listed if wanted in (r["name"], r.get("display_name")))
    by_name = sh.json(group, "show", wanted)
    by_id = sh.json(group, "show", str(row["id"]))
    assert by_name["id"] == by_id["id"] == row["id"]
    table = sh.ok(group, "list").out
    assert names[0][:8] in table
    assert sh.ok(group, "show", wanted, "--format", "yaml").out.startswith(("id:", "name:"))


def test_template_show_reads_the_powervm_specs(sh: Shell) -> None:
    out = sh.ok("template", "show", "powervm.small").out
    assert "4096 MB (minimum 2048, maximum 8192)" in out
    assert "0.5 (minimum 0.25, maximum 1)" in out
    data = sh.json("template", "show", "powervm.small")
    assert data["powervm"]["max_memory_mb"] == 8192
    assert data["extra_specs"]["powervm:max_mem"] == "8192"
    assert data["violations"] == []


def test_host_list_shows_usage(sh: Shell) -> None:
    hosts = sh.json("host", "list")
    assert {"memory_mb", "memory_mb_used", "proc_units", "running_vms"} <= set(hosts[0])
    assert "/524288" in sh.ok("host", "list").out


def test_network_show_has_its_subnets(sh: Shell) -> None:
    network = sh.json("network", "show", "cmbnet1")
    assert network["segmentation_id"] == 1001
    assert network["subnets"][0]["cidr"] == "192.168.100.0/24"


def test_unknown_name_is_one_line_with_the_request_id(sh: Shell) -> None:
    result = sh("image", "show", "AIX99")
    assert result.code == 1
    assert len(result.error_lines) == 1
    assert "404" in result.err
    assert "req-" in result.err
    assert "Traceback" not in result.err


def test_unknown_template_names_what_exists(sh: Shell) -> None:
    result = sh("template", "show", "no-such-template-at-all")
    assert result.code == 1
    assert "powervm.small" in result.err  # the hint lists the templates


@pytest.mark.parametrize(
    ("group", "typo", "meant"),
    [
        ("image", "AIX7", "AIX72"),
        ("network", "cmbnet", "cmbnet1"),
        ("template", "powervm.smal", "powervm.small"),
    ],
)
def test_a_typo_suggests_the_closest_name(sh: Shell, group: str, typo: str, meant: str) -> None:
    result = sh(group, "show", typo)
    assert result.code == 1
    assert f"did you mean {meant!r}?" in result.err
    assert "Traceback" not in result.err


def test_ambiguous_name_lists_the_ids(sh: Shell) -> None:
    first = sh.json("volume", "create", "twin", "--size", "1")
    second = sh.json("volume", "create", "twin", "--size", "1")
    result = sh("volume", "show", "twin")
    assert result.code == 1
    assert "2 volumes are named 'twin'" in result.err
    assert first["id"] in result.err
    assert second["id"] in result.err
    assert sh.json("volume", "show", first["id"])["name"] == "twin"
    sh.ok("volume", "delete", first["id"], second["id"], "--yes")
