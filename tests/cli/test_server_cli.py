"""`server`, `volume` and `diagnose` against a started emulator (instant clock): deploys with
and without volumes, fixed IPs, shared volumes, placement, PowerVM rules checked before
sending, failures down to their log lines, retries absorbing 503s."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from powerbridge.client import Session, load_config
from powerbridge.client.errors import NotFound
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from tests.support.clirun import Result, Shell

pytestmark = pytest.mark.acceptance

T = TypeVar("T")
BASE = ("--image", "AIX72", "--template", "powervm.small", "--network", "cmbnet1")


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    with running_emulator(EmulatorConfig(port=0, data_dir=None)) as running:
        yield running


@pytest.fixture
def sh(
    cloud: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Shell:
    return Shell(monkeypatch, capsys, cloud.env())


def api(cloud: RunningEmulator, use: Callable[[Session], Awaitable[T]]) -> T:
    """Call the emulator's API directly, as its admin (set-up the CLI has no command for)."""

    async def main() -> T:
        async with Session(load_config(environ=cloud.env(), search_path=[])) as session:
            return await use(session)

    return asyncio.run(main())


def names(rows: list[dict[str, Any]]) -> set[str]:
    return {row["name"] for row in rows}


# -- create -----------------------------------------------------------------------------------
def test_create_without_volumes_waits_and_ends_with_the_addresses(sh: Shell) -> None:
    created = sh.json("server", "create", "plain1", *BASE, "--wait")
    assert created["status"] == "ACTIVE"
    assert created["addresses"].startswith("cmbnet1=192.168.100.")
    assert created["request_id"].startswith("req-")
    assert created["volumes"] == []
    table = sh.ok("server", "list").out
    assert "plain1" in table


def test_create_with_new_volumes_and_a_fixed_ip(sh: Shell) -> None:
    created = sh.json(
        "server",
        "create",
        "withvols",
        "--image",
        "AIX72",
        "--template",
        "powervm.small",
        "--network",
        "cmbnet1=192.168.100.201",
        "--volume",
        "1:xiv90 base template",
        "--volume",
        "2:svc82 base template:shared",
        "--wait",
    )
    assert created["status"] == "ACTIVE"
    assert created["addresses"] == "cmbnet1=192.168.100.201"
    server = sh.json("server", "show", "withvols")
    assert set(server["volume_ids"]) == set(created["volumes"])
    volumes = {v["name"]: v for v in sh.json("volume", "list")}
    assert volumes["withvols-vol1"]["storage_template"] == "xiv90 base template"
    assert volumes["withvols-vol2"]["multiattach"] is True
    assert volumes["withvols-vol2"]["status"] == "in-use"


def test_one_shared_volume_attached_to_two_servers(sh: Shell) -> None:
    shared = sh.json("volume", "create", "hashared", "--size", "2", "--shared", "--wait")
    assert shared["status"] == "available"
    for name in ("hanode1", "hanode2"):
        sh.json("server", "create", name, *BASE, "--attach-volume", "hashared", "--wait")
    volume = sh.json("volume", "show", "hashared")
    attached = {a["server_id"] for a in volume["attachments"]}
    servers = {s["name"]: s["id"] for s in sh.json("server", "list")}
    assert attached == {servers["hanode1"], servers["hanode2"]}
    assert "hanode1, hanode2" in sh.ok("volume", "list").out.replace("\n", " ") or (
        "hanode1" in sh.ok("volume", "list").out
    )


def test_create_on_a_named_host(sh: Shell) -> None:
    created = sh.json("server", "create", "pinned", *BASE, "--host", "p8-rack1-host2", "--wait")
    assert created["host"] == "8286-42A_215A0CV"


def test_create_in_a_host_group(sh: Shell, cloud: RunningEmulator) -> None:
    async def make_group(session: Session) -> None:
        body = {"aggregate": {"name": "POWER9 hosts", "availability_zone": "power9"}}
        response = await session.request("compute", "POST", "/os-aggregates", json=body)
        group_id = response.json()["aggregate"]["id"]
        action = {"add_host": {"host": "9009-42A_7838F0W"}}
        await session.request("compute", "POST", f"/os-aggregates/{group_id}/action", json=action)

    api(cloud, make_group)
    group = sh.json("host-group", "show", "POWER9 hosts")
    assert group["availability_zone"] == "power9"
    created = sh.json("server", "create", "ingroup", *BASE, "--host-group", "power9", "--wait")
    assert created["host"] == "9009-42A_7838F0W"
    assert sh.json("server", "show", "ingroup")["availability_zone"] == "power9"


def test_collocation_rule_and_storage_connectivity_group(sh: Shell, cloud: RunningEmulator) -> None:
    async def make_rule(session: Session) -> None:
        body = {"server_group": {"name": "apart", "policies": ["anti-affinity"]}}
        await session.request("compute", "POST", "/os-server-groups", json=body)

    api(cloud, make_rule)
    hosts = set()
    for name in ("apart1", "apart2"):
        created = sh.json(
            "server",
            "create",
            name,
            *BASE,
            "--collocation-rule",
            "apart",
            "--scg",
            "rack1 NPIV",
            "--wait",
        )
        hosts.add(created["host"])
    assert hosts == {"8286-42A_215A0BV", "8286-42A_215A0CV"}  # rack 1, one VM per host
    server = sh.json("server", "show", "apart1")
    scg = sh.json("scg", "show", "rack1 NPIV")
    assert server["flavor"]["extra_specs"]["powervm:storage_connectivity_group"] == scg["id"]


# -- refusals ---------------------------------------------------------------------------------
def counts(sh: Shell) -> tuple[int, int]:
    return len(sh.json("server", "list")), len(sh.json("volume", "list"))


def test_max_mem_below_ram_is_refused_before_sending(sh: Shell) -> None:
    before = counts(sh)
    result = sh(
        "-v",
        "server",
        "create",
        "toobig",
        *BASE,
        "--volume",
        "1:xiv90 base template",
        "--set",
        "powervm:max_mem=2048",
    )
    assert result.code == 1
    [line] = result.error_lines
    assert "ram" in line
    assert "'Maximum Memory' value 2048 MB" in line
    assert "--no-validate" in result.err
    sent = [entry for entry in result.err.splitlines() if " POST " in entry]
    assert all("/auth/tokens" in entry for entry in sent)  # only a token: nothing created
    assert counts(sh) == before


def test_no_validate_ends_in_error_and_diagnose_finds_the_nova_lines(
    sh: Shell, cloud: RunningEmulator
) -> None:
    result = sh(
        "server", "create", "toobig2", *BASE, "--set", "powervm:max_mem=2048", "--no-validate",
        "--wait",
    )  # fmt: skip
    assert result.code == 1
    [line] = result.error_lines
    assert "went to ERROR" in line
    assert "'Maximum Memory' value 2048 MB" in line
    request_id = line.rsplit("(request ", 1)[1].rstrip(")")
    assert request_id.startswith("req-")

    report = sh.ok("diagnose", "toobig2", "--logs", str(cloud.log_dir)).out
    assert "Fault: 500 The 'Desired Memory' value 4096 MB" in report
    assert f"create           {request_id}" in report
    assert "--- nova/nova-conductor.log" in report
    nova_lines = [
        entry for entry in report.splitlines() if entry.startswith(">") and request_id in entry
    ]
    assert any("ERROR nova.conductor" in entry for entry in nova_lines)
    assert "Failing service: nova (nova-conductor)" in report
    assert "Likely cause: the compute template breaks a PowerVM memory rule" in report

    by_request = sh.json("diagnose", "--request-id", request_id, "--logs", str(cloud.log_dir))
    assert by_request["failing_service"] == "nova"
    assert any(m["service"] == "nova" for m in by_request["matches"])


def test_mistyped_storage_template_is_one_line_with_404_and_request_id(sh: Shell) -> None:
    before = counts(sh)
    result = sh("server", "create", "typo", *BASE, "--volume", "1:xiv90 bse template")
    assert result.code == 1
    [line] = result.error_lines
    assert "404 Not Found" in line
    assert "xiv90 bse template could not be found" in line
    assert "(request req-" in line
    assert counts(sh) == before

    direct = sh("volume", "create", "typo", "--size", "1", "--storage-template", "xiv90 bse")
    assert direct.code == 1
    assert "404 Not Found" in direct.err
    assert "req-" in direct.err


def test_a_refused_deploy_removes_the_volumes_it_created(sh: Shell) -> None:
    sh.json("server", "create", "holder", "--image", "AIX72", "--template", "powervm.tiny",
            "--network", "cmbnet1=192.168.100.222", "--wait")  # fmt: skip
    before = counts(sh)
    result = sh(
        "server", "create", "clash", "--image", "AIX72", "--template", "powervm.tiny",
        "--network", "cmbnet1=192.168.100.222", "--volume", "1:xiv90 base template",
    )  # fmt: skip
    assert result.code == 1
    [line] = result.error_lines
    assert "192.168.100.222" in line
    assert "removed again: volume" in line
    assert counts(sh) == before
    assert "clash-vol1" not in names(sh.json("volume", "list"))


@pytest.mark.parametrize(
    ("setting", "suggestion"),
    [
        ("foo=1", None),
        ("mem=8192", "'powervm:m"),
        ("Powervm:max_mem=8192", "'powervm:max_mem'"),
        ("powervm:max_memory=8192", "'powervm:max_mem'"),
    ],
)
def test_an_unknown_set_key_is_a_usage_error_naming_the_allowed_ones(
    sh: Shell, setting: str, suggestion: str | None
) -> None:
    before = counts(sh)
    result = sh("server", "create", "badset1", *BASE, "--set", setting)
    assert result.code == 2, result.err
    [line] = result.error_lines
    key = setting.partition("=")[0]
    assert f"unknown key {key!r}" in line
    assert "allowed: ram, vcpus, disk, or powervm:KEY with KEY one of " in line
    assert "max_mem" in line
    assert "proc_units" in line
    if suggestion is None:
        assert "did you mean" not in line
    else:
        assert f"did you mean {suggestion}" in line
    assert counts(sh) == before


def test_a_size_set_must_be_a_whole_number(sh: Shell) -> None:
    result = sh("server", "create", "badset2", *BASE, "--set", "ram=lots")
    assert result.code == 2
    [line] = result.error_lines
    assert "ram takes a whole number" in line


def test_vv_tracing_redacts_user_data_and_admin_pass(sh: Shell, tmp_path: Path) -> None:
    script = tmp_path / "init.sh"
    script.write_text("#!/bin/sh\necho root:Sup3rS3cret | chpasswd\n")
    encoded = base64.b64encode(script.read_bytes()).decode()
    result = sh("-vv", "server", "create", "traced1", *BASE, "--user-data", str(script))
    assert result.code == 0, result.err
    assert "compute POST" in result.err
    assert encoded not in result.err
    assert "Sup3rS3cret" not in result.err
    assert '"user_data": "<redacted>"' in result.err
    assert '"adminPass": "' not in result.err.replace('"adminPass": "<redacted>"', "")


# -- lifecycle --------------------------------------------------------------------------------
def test_rename_stop_start_delete(sh: Shell) -> None:
    sh.json("server", "create", "cycle", *BASE, "--wait")
    sh.ok("server", "rename", "cycle", "cycled")
    assert "Server cycled is SHUTOFF." in sh.ok("server", "stop", "cycled", "--wait").out
    assert sh.json("server", "show", "cycled")["status"] == "SHUTOFF"
    assert "is ACTIVE" in sh.ok("server", "start", "cycled", "--wait").out
    refused = sh("server", "delete", "cycled")  # no terminal to confirm on
    assert refused.code == 2
    sh.ok("server", "delete", "cycled", "--yes", "--wait")
    assert "cycled" not in names(sh.json("server", "list"))


def test_volume_create_attach_detach_delete(sh: Shell) -> None:
    sh.json("server", "create", "disks", *BASE, "--wait")
    volume = sh.json("volume", "create", "data1", "--size", "3",
                     "--storage-template", "svc82 base template", "--wait")  # fmt: skip
    assert volume["status"] == "available"
    attached = sh.json("volume", "attach", "disks", "data1")
    assert attached["device"].startswith("/dev/")
    assert sh.json("volume", "show", "data1")["status"] == "in-use"
    sh.ok("volume", "detach", "disks", "data1")
    assert sh.json("volume", "show", "data1")["status"] == "available"
    sh.ok("volume", "delete", "data1", "--yes")
    assert "data1" not in names(sh.json("volume", "list"))


def test_unknown_server_is_one_line(sh: Shell) -> None:
    result = sh("server", "show", "nosuchvm")
    assert result.code == 1
    [line] = result.error_lines
    assert "404" in line
    assert "req-" in line


# -- retries ----------------------------------------------------------------------------------
def test_a_fraction_of_503s_is_absorbed_by_retries_on_reads(
    sh: Shell, cloud: RunningEmulator
) -> None:
    async def behave(session: Session) -> str:
        body = {"behaviour": {"kind": "api", "service": "compute", "status": 503, "fraction": 0.5}}
        response = await session.request(
            "compute", "POST", cloud.base_url + "/powervc/emulator/v1/behaviours", json=body
        )
        return str(response.json()["behaviour"]["id"])

    rule = api(cloud, behave)
    try:
        results = [sh("-v", "server", "list"), sh("-v", "template", "list")]
        results += [sh("-v", "host", "list"), sh("-v", "server", "show", "plain1")]
    finally:

        async def remove(session: Session) -> None:
            url = f"{cloud.base_url}/powervc/emulator/v1/behaviours/{rule}"
            await session.request("compute", "DELETE", url)

        api(cloud, remove)
    for result in results:
        assert result.code == 0, result.err
    assert any("retrying GET" in r.err and "503" in r.err for r in results)


@contextmanager
def behaviour(cloud: RunningEmulator, **rule: Any) -> Iterator[None]:
    """An emulator fault-injection rule for the duration of the block."""
    url = cloud.base_url + "/powervc/emulator/v1/behaviours"

    async def add(session: Session) -> str:
        response = await session.request("compute", "POST", url, json={"behaviour": rule})
        return str(response.json()["behaviour"]["id"])

    rule_id = api(cloud, add)
    try:
        yield
    finally:

        async def remove(session: Session) -> None:
            await session.request("compute", "DELETE", f"{url}/{rule_id}")

        api(cloud, remove)


def traced(result: Result, method: str, path: str) -> list[str]:
    """The -v trace lines of the calls `method` made to URLs ending in `path`."""
    call = re.compile(rf"^compute {method} \S+{re.escape(path)} -> \d{{3}} .* ms\)$")
    return [line for line in result.err.splitlines() if call.match(line)]


CREATE_503 = {"kind": "api", "service": "compute", "method": "POST", "path_regex": "/servers$"}


def test_a_create_answered_503_every_time_is_looked_up_before_each_retry_and_creates_nothing(
    sh: Shell, cloud: RunningEmulator
) -> None:
    before = counts(sh)
    with behaviour(cloud, **CREATE_503, status=503):
        result = sh("-v", "server", "create", "blind1", *BASE)
    assert result.code == 1
    [line] = result.error_lines
    assert "503" in line
    assert "(request req-" in line
    assert line.endswith(
        "sent 4 times, looked up by name and token, not found: no server was created, "
        "it is safe to try again"
    )
    assert len(traced(result, "POST", "/servers")) == 4  # each sent after a lookup found nothing
    # one look before creating (no server of that name yet), then one before each resend
    assert len(traced(result, "GET", "/servers/detail?name=%5Eblind1%24")) == 1 + 4
    assert "retrying POST" not in result.err  # the session itself never resends a create
    assert counts(sh) == before
    assert "blind1" not in names(sh.json("server", "list"))


def test_a_create_answered_503_once_is_sent_again_and_ends_with_one_active_server(
    sh: Shell, cloud: RunningEmulator
) -> None:
    with behaviour(cloud, **CREATE_503, status=503, times=1):
        created = sh.json("-v", "server", "create", "once1", *BASE, "--wait")
    assert created["status"] == "ACTIVE"
    servers = [s for s in sh.json("server", "list") if s["name"] == "once1"]
    assert [s["id"] for s in servers] == [created["id"]]


def test_a_create_whose_answer_is_lost_after_the_server_was_made_is_found_not_resent(
    sh: Shell, cloud: RunningEmulator
) -> None:
    with behaviour(cloud, **CREATE_503, status=504, times=1, after_handling=True):
        result = sh("-v", "server", "create", "lost1", *BASE, "--wait", "-f", "json")
    assert result.code == 0, result.err
    created = result.json()
    assert created["status"] == "ACTIVE"
    assert len(traced(result, "POST", "/servers")) == 1
    [warning] = [line for line in result.err.splitlines() if line.startswith("warning: ")]
    assert "-> 504 Gateway Timeout (request req-" in warning
    assert f"yet the server was created: server named 'lost1' (id {created['id']})" in warning
    servers = [s for s in sh.json("server", "list") if s["name"] == "lost1"]
    assert [s["id"] for s in servers] == [created["id"]]

    async def actions(session: Session) -> list[dict[str, Any]]:
        path = f"/servers/{created['id']}/os-instance-actions"
        return list((await session.request("compute", "GET", path)).json()["instanceActions"])

    [action] = api(cloud, actions)
    assert action["request_id"] == created["request_id"]  # the lost answer's request id


def test_a_volume_create_whose_answer_is_lost_is_found_not_resent(
    sh: Shell, cloud: RunningEmulator
) -> None:
    rule = {"kind": "api", "service": "volume", "method": "POST", "path_regex": "/volumes$"}
    with behaviour(cloud, **rule, status=503, times=1, after_handling=True):
        created = sh.json("volume", "create", "lostvol1", "--size", "1", "--wait")
    assert created["status"] == "available"
    volumes = [v for v in sh.json("volume", "list") if v["name"] == "lostvol1"]
    assert [v["id"] for v in volumes] == [created["id"]]


def test_a_retried_delete_answered_404_after_a_lost_answer_has_succeeded(
    sh: Shell, cloud: RunningEmulator
) -> None:
    sh.json("volume", "create", "dd1", "--size", "1", "--wait")
    rule = {"kind": "api", "service": "volume", "method": "DELETE"}
    with behaviour(cloud, **rule, status=504, times=1, after_handling=True):
        result = sh("-v", "volume", "delete", "dd1", "--yes")
    assert result.code == 0, result.err
    assert "retrying DELETE" in result.err
    assert "an earlier attempt deleted it" in result.err
    assert "dd1" not in names(sh.json("volume", "list"))

    sh.json("server", "create", "dd2", *BASE, "--wait")
    rule = {"kind": "api", "service": "compute", "method": "DELETE"}
    with behaviour(cloud, **rule, status=504, times=1, after_handling=True):
        result = sh("server", "delete", "dd2", "--yes", "--wait")
    assert result.code == 0, result.err
    assert "dd2" not in names(sh.json("server", "list"))


def test_a_first_attempt_delete_answered_404_is_still_not_found(
    sh: Shell, cloud: RunningEmulator
) -> None:
    async def delete(session: Session) -> None:
        await session.request("volume", "DELETE", "/volumes/no-such-volume")

    with pytest.raises(NotFound):
        api(cloud, delete)
    result = sh("volume", "delete", "no-such-volume", "--yes")
    assert result.code == 1


def test_server_and_volume_list_and_show_in_every_format(sh: Shell) -> None:
    sh.json("server", "create", "formats1", *BASE, "--volume", "1:xiv90 base template", "--wait")
    for group, name in (("server", "formats1"), ("volume", "formats1-vol1")):
        listed = sh.json(group, "list")
        assert name in names(listed)
        as_yaml = yaml.safe_load(sh.ok(group, "list", "--format", "yaml").out)
        assert as_yaml == listed
        table = sh.ok(group, "list", "--format", "table").out
        assert table.startswith("+-")
        assert f"| {name} " in table
        shown = sh.json(group, "show", name)
        assert shown["name"] == name
        assert sh.json(group, "show", shown["id"])["id"] == shown["id"]
        assert yaml.safe_load(sh.ok(group, "show", name, "--format", "yaml").out) == shown
        assert f"| {name}" in sh.ok(group, "show", name).out


def test_deleting_several_goes_on_past_a_failure_and_exits_3(sh: Shell) -> None:
    sh.json("server", "create", "keeper1", *BASE, "--volume", "1:xiv90 base template", "--wait")
    sh.json("volume", "create", "spare1", "--size", "1", "--wait")
    result = sh("volume", "delete", "spare1", "keeper1-vol1", "--yes")
    assert result.code == 3, result.err
    assert "Deleted volume spare1" in result.out
    [line] = result.error_lines
    assert line.startswith("error: 1 of 2 not deleted: keeper1-vol1: ")
    assert "req-" in line
    names = [v["name"] for v in sh.json("volume", "list")]
    assert "spare1" not in names
    assert "keeper1-vol1" in names


def test_a_second_server_of_the_same_name_is_refused(sh: Shell) -> None:
    first = sh.json("server", "create", "twin1", *BASE, "--wait")
    result = sh("server", "create", "twin1", *BASE, "--volume", "1:xiv90 base template")
    assert result.code == 1
    [line] = result.error_lines
    assert f"a server named 'twin1' exists already ({first['id']}); nothing was created" in line
    assert [s["id"] for s in sh.json("server", "list") if s["name"] == "twin1"] == [first["id"]]
    assert "twin1-vol1" not in [v["name"] for v in sh.json("volume", "list")]


def test_delete_rename_start_stop_and_detach_print_json_when_asked(sh: Shell) -> None:
    made = sh.json("server", "create", "fmt1", *BASE, "--volume", "1:xiv90 base template", "--wait")
    renamed = sh.json("server", "rename", "fmt1", "fmt2")
    assert renamed == {"name": "fmt2", "id": made["id"], "was": "fmt1"}
    stopped = sh.json("server", "stop", "fmt2", "--wait")
    assert (stopped["action"], stopped["status"]) == ("stop", "SHUTOFF")
    assert stopped["request_id"].startswith("req-")
    started = sh.json("server", "start", "fmt2")
    assert (started["name"], started["action"]) == ("fmt2", "start")
    detached = sh.json("volume", "detach", "fmt2", "fmt1-vol1")
    assert detached == {"server": "fmt2", "volume": "fmt1-vol1", "status": "detaching"}
    deleted = sh.json("server", "delete", "fmt2", "--yes")
    assert deleted == [{"name": "fmt2", "id": made["id"], "status": "deleted"}]
    as_yaml = yaml.safe_load(sh.ok("volume", "delete", "fmt1-vol1", "--yes", "-f", "yaml").out)
    assert [row["name"] for row in as_yaml] == ["fmt1-vol1"]


def test_deleting_several_that_all_fail_is_exit_1(sh: Shell) -> None:
    result = sh("volume", "delete", "novol-a", "novol-b", "--yes")
    assert result.code == 1
    [line] = result.error_lines
    assert line.startswith("error: 2 of 2 not deleted: novol-a: ")
    assert "novol-b: " in line
