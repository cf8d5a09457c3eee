"""`powerbridge deploy plan|apply|list|show|destroy` against a started emulator (real HTTP).

The example pipe file deploys end to end; shared volumes attach to every VM naming them;
a broken spec or an unknown storage template blocks at plan time and creates nothing; a VM
forced to fail leaves the others running, exit 3 and a report naming the fault, and
`--rollback-on-failure` removes what the run made; re-applying changes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from powerbridge.client import Session
from powerbridge.emulator.server import RunningEmulator
from powerbridge.jobs import JobStatus, JobStore
from tests.support.clirun import Shell
from tests.support.deploy_lab import (  # noqa: F401
    api,
    cloud_fixture,
    sh_fixture,
    store_path_fixture,
)

pytestmark = pytest.mark.acceptance

EXAMPLES = Path(__file__).parents[2] / "examples"
PIPE = (
    "flavor_name=powervm.tiny|vm_name={name}|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:{prefix}:{shared}:data of {name}"
)


def listing(cloud: RunningEmulator, service: str, path: str, key: str) -> list[dict[str, Any]]:
    async def get(session: Session) -> list[dict[str, Any]]:
        rows = (await session.request(service, "GET", path)).json()[key]
        return list(rows)

    return api(cloud, get)


def servers(cloud: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in listing(cloud, "compute", "/servers/detail", "servers")}


def volumes(cloud: RunningEmulator) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in listing(cloud, "volumev3", "/volumes/detail", "volumes")}


def attached_to(volume: dict[str, Any], by_id: dict[str, str]) -> set[str]:
    return {by_id[a["server_id"]] for a in volume["attachments"]}


def pipe_file(tmp_path: Path, name: str, *vms: tuple[str, str, str]) -> Path:
    path = tmp_path / f"{name}.pipe"
    lines = [PIPE.format(name=vm, prefix=prefix, shared=shared) for vm, prefix, shared in vms]
    path.write_text("\n".join(lines) + "\n")
    return path


def behaviour(cloud: RunningEmulator, body: dict[str, Any]) -> str:
    async def post(session: Session) -> str:
        url = cloud.base_url + "/powervc/emulator/v1/behaviours"
        response = await session.request("compute", "POST", url, json={"behaviour": body})
        return str(response.json()["behaviour"]["id"])

    return api(cloud, post)


def remove_behaviour(cloud: RunningEmulator, rule: str) -> None:
    async def delete(session: Session) -> None:
        url = f"{cloud.base_url}/powervc/emulator/v1/behaviours/{rule}"
        await session.request("compute", "DELETE", url)

    api(cloud, delete)


# -- the example, end to end --------------------------------------------------------------------
def test_the_example_pipe_file_deploys_end_to_end(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path, store_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    spec = str(EXAMPLES / "two-vms.pipe")
    result = sh("deploy", "apply", spec, "--yes", "--report", str(report_path))
    assert result.code == 0, result.err
    assert "Deployment two-vms: succeeded" in result.out
    found = servers(cloud)
    by_id = {s["id"]: name for name, s in found.items()}
    assert found["testvm3"]["status"] == found["testvm4"]["status"] == "ACTIVE"
    metadata = found["testvm3"]["metadata"]
    assert metadata["powerbridge:deployment"] == "two-vms"
    assert set(metadata) == {"powerbridge:deployment", "powerbridge:request"}  # + client token
    made = volumes(cloud)
    private, shared = made["wzq-testvm3-1"], made["wzq-shared-1"]
    assert (private["size"], private["status"], private["multiattach"]) == (3, "in-use", False)
    assert (shared["size"], shared["status"], shared["multiattach"]) == (2, "in-use", True)
    assert attached_to(private, by_id) == {"testvm3"}
    assert attached_to(shared, by_id) == {"testvm4"}
    report = json.loads(report_path.read_text())
    assert report["status"] == "succeeded"
    assert report["failed"] == []
    rows = {r["name"]: r for r in report["resources"] if r["kind"] == "server"}
    assert rows["testvm3"]["addresses"][0].startswith("192.168.100.")
    assert rows["testvm3"]["volumes"] == ["wzq-testvm3-1"]
    assert rows["testvm4"]["host"]
    # each VM cost one create call, each volume one; lists are shared
    assert report["calls"]["create"] == 4

    again = sh("deploy", "apply", spec, "--yes")
    assert again.code == 0, again.err
    assert "Nothing to do" in again.err
    assert len([n for n in servers(cloud) if n in ("testvm3", "testvm4")]) == 2
    store = JobStore.open(str(store_path))
    try:
        assert [job.status for job in store.jobs("two-vms")] == [JobStatus.SUCCEEDED]
    finally:
        store.close()

    listed = sh.json("deploy", "list")
    assert [(row["deployment"], row["status"], row["servers"]) for row in listed] == [
        ("two-vms", "succeeded", 2)
    ]
    shown = sh.json("deploy", "show", "two-vms")
    states = {(i["kind"], i["name"]): i["state"] for i in shown["items"]}
    assert states[("server", "testvm3")] == states[("volume", "wzq-shared-1")] == "done"

    destroyed = sh("deploy", "destroy", spec, "--yes")
    assert destroyed.code == 0, destroyed.err
    left = servers(cloud)
    assert "testvm3" not in left
    assert "testvm4" not in left
    assert not {"wzq-testvm3-1", "wzq-shared-1"} & set(volumes(cloud))


def test_a_yaml_shared_volume_attaches_to_both_servers(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = tmp_path / "pair.yaml"
    spec.write_text(
        "deployment: pair\n"
        "defaults: {template: powervm.tiny, image: AIX72, network: cmbnet1,"
        " storage_template: svc82 base template}\n"
        "servers:\n"
        "  - {name: 'pair{1..2}', volumes: [pair-data]}\n"
        "volumes:\n"
        "  pair-data: {size_gb: 4}\n"
    )
    result = sh("deploy", "apply", str(spec), "-y", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["status"] == "succeeded"
    found = servers(cloud)
    by_id = {s["id"]: name for name, s in found.items()}
    data = volumes(cloud)["pair-data"]
    assert data["multiattach"] is True
    assert attached_to(data, by_id) == {"pair1", "pair2"}
    sh.ok("deploy", "destroy", "pair", "-y")
    assert "pair-data" not in volumes(cloud)


# -- blocked at plan time -----------------------------------------------------------------------
def test_a_powervm_override_breaking_a_rule_blocks_and_creates_nothing(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "deployment: badmem\n"
        "servers:\n"
        "  - name: badmem1\n"
        "    template: powervm.small\n"
        "    image: AIX72\n"
        "    network: cmbnet1\n"
        "    volumes: [{size_gb: 1, name: badmem-data}]\n"
        "    powervm: {max_mem: 2048}\n"
    )
    for command in (("plan",), ("apply", "--yes")):
        result = sh("deploy", *command, str(spec))
        assert result.code == 1, result.out + result.err
        [line] = result.error_lines
        assert "blocked" in line
        assert "max_mem" in line or "Maximum Memory" in line
        assert "nothing was created" in line
    assert "badmem1" not in servers(cloud)
    assert "badmem-data" not in volumes(cloud)


def test_processing_units_below_the_per_processor_floor_block_before_anything_is_made(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    """The planner, reading the emulator over HTTP, refuses 0.03 units over one virtual
    processor with the emulator's own wording, and passes 0.37 (PowerVM's 0.01 steps)."""
    spec = tmp_path / "thin.yaml"
    body = (
        "deployment: thin\n"
        "servers:\n"
        "  - name: thin1\n"
        "    template: powervm.tiny\n"
        "    image: AIX72\n"
        "    network: cmbnet1\n"
        "    powervm: {{proc_units: {units}, min_proc_units: {units}}}\n"
    )
    spec.write_text(body.format(units="0.03"))
    result = sh("deploy", "plan", str(spec))
    assert result.code == 1, result.out + result.err
    [line] = result.error_lines
    assert "The 'Desired Processing Units' value 0.03 is below 0.05 per virtual processor" in line
    assert "nothing was created" in line
    assert "thin1" not in servers(cloud)
    spec.write_text(body.format(units="0.37"))
    result = sh("deploy", "plan", str(spec))
    assert result.code == 0, result.out + result.err
    assert "thin1" not in servers(cloud)  # a plan only looks


def test_an_unknown_storage_template_blocks_with_a_suggestion(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = tmp_path / "typo.pipe"
    spec.write_text(
        "flavor_name=powervm.tiny|vm_name=typo1|image_name=AIX72|vlan_name=cmbnet1"
        "|lun_spec=1:1:xiv91 base template:typo::data\n"
    )
    result = sh("deploy", "apply", str(spec), "-y")
    assert result.code == 1
    [line] = result.error_lines
    assert "xiv91 base template" in line
    assert "did you mean 'xiv90 base template'" in line
    assert "typo1" not in servers(cloud)
    assert not [name for name in volumes(cloud) if name.startswith("typo")]


def test_a_malformed_spec_names_file_line_and_key(sh: Shell, tmp_path: Path) -> None:
    spec = tmp_path / "broken.pipe"
    spec.write_text("flavor_name=powervm.tiny|vm_name=x1|image_name=AIX72|lun_spec=1:x:t:p::d\n")
    result = sh("deploy", "plan", str(spec))
    assert result.code == 1
    assert "broken.pipe:1" in result.err
    assert "lun_spec" in result.err
    assert "Traceback" not in result.err


def test_apply_without_a_terminal_or_yes_fails_fast(sh: Shell, tmp_path: Path) -> None:
    spec = pipe_file(tmp_path, "asking", ("ask1", "ask", ""))
    result = sh("deploy", "apply", str(spec))
    assert result.code == 2
    assert "--yes" in result.err


# -- failures -----------------------------------------------------------------------------------
def test_one_failing_vm_leaves_the_others_and_exits_3(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    message = "PowerVM partition activation failed"
    rule = behaviour(
        cloud,
        {
            "kind": "server",
            "mode": "fail_at",
            "name_regex": "^mixbad$",
            "task_state": "spawning",
            "message": message,
        },
    )
    spec = pipe_file(
        tmp_path, "mix", ("mixgood1", "", ""), ("mixbad", "", ""), ("mixgood2", "", "")
    )
    report_path = tmp_path / "mix.json"
    try:
        result = sh("deploy", "apply", str(spec), "-y", "--report", str(report_path))
    finally:
        remove_behaviour(cloud, rule)
    assert result.code == 3, result.err
    assert "mixbad" in result.error_lines[0]
    report = json.loads(report_path.read_text())
    assert report["status"] == "partial"
    assert report["failed"] == ["mixbad"]
    rows = {r["name"]: r for r in report["resources"] if r["kind"] == "server"}
    assert message in rows["mixbad"]["fault"]
    assert rows["mixgood1"]["status"] == rows["mixgood2"]["status"] == "ACTIVE"
    found = servers(cloud)
    assert found["mixbad"]["status"] == "ERROR"
    assert found["mixgood1"]["status"] == "ACTIVE"
    sh.ok("deploy", "destroy", "mix", "-y")


def test_rollback_on_failure_removes_what_this_run_created_only(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    first = pipe_file(tmp_path, "roll", ("roll1", "roll", "shared"))
    sh.ok("deploy", "apply", str(first), "-y")
    before = {name for name in volumes(cloud) if name.startswith("roll")}
    assert before == {"roll-shared-1"}

    rule = behaviour(
        cloud,
        {"kind": "server", "mode": "fail_at", "name_regex": "^roll3$", "task_state": "networking"},
    )
    grown = pipe_file(
        tmp_path,
        "roll",
        ("roll1", "roll", "shared"),
        ("roll2", "", ""),
        ("roll3", "", ""),
    )
    try:
        result = sh("deploy", "apply", str(grown), "-y", "--rollback-on-failure", "-f", "json")
    finally:
        remove_behaviour(cloud, rule)
    assert result.code == 3, result.err
    report = result.json()
    assert report["status"] == "rolled_back"
    left = servers(cloud)
    assert "roll2" not in left
    assert "roll3" not in left
    assert left["roll1"]["status"] == "ACTIVE"  # it existed before this run: kept
    now = {name for name in volumes(cloud) if name.startswith("roll")}
    assert now == before  # roll2's and roll3's own volumes are gone, the old shared one stays
    sh.ok("deploy", "destroy", "roll", "-y")


def test_lost_and_refused_creates_are_looked_up_and_nothing_is_made_twice(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    """A server create that is carried out but answered 504, and a volume create answered 503
    that made nothing: apply finds the first by name and token and sends the second again."""
    lost_answer = {
        "kind": "api",
        "service": "compute",
        "method": "POST",
        "path_regex": "/servers$",
        "status": 504,
        "times": 1,
        "after_handling": True,
    }
    refused = {
        "kind": "api",
        "service": "volume",
        "method": "POST",
        "path_regex": "/volumes$",
        "status": 503,
        "times": 1,
    }
    rules = [behaviour(cloud, lost_answer), behaviour(cloud, refused)]
    spec = pipe_file(tmp_path, "guard", ("guard1", "", ""), ("guard2", "", ""), ("guard3", "", ""))
    try:
        result = sh("deploy", "apply", str(spec), "-y", "-f", "json")
    finally:
        for rule in rules:
            remove_behaviour(cloud, rule)
    assert result.code == 0, result.err
    report = result.json()
    assert report["status"] == "succeeded"
    made = listing(cloud, "compute", "/servers/detail", "servers")
    names = sorted(s["name"] for s in made if s["name"].startswith("guard"))
    assert names == ["guard1", "guard2", "guard3"]
    made_volumes = listing(cloud, "volumev3", "/volumes/detail", "volumes")
    volume_names = sorted(v["name"] for v in made_volumes if v["name"].startswith("guard"))
    assert volume_names == ["guard1-guard1-1", "guard2-guard2-1", "guard3-guard3-1"]
    assert all(v["status"] == "in-use" for v in made_volumes if v["name"] in volume_names)
    reported = {r["name"]: r for r in report["resources"] if r["kind"] == "server"}
    assert {s["name"]: s["id"] for s in made if s["name"] in names} == {
        name: reported[name]["id"] for name in names
    }
    sh.ok("deploy", "destroy", "guard", "-y")


def test_a_soft_anti_affinity_rule_is_created_and_used(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = tmp_path / "soft.yaml"
    spec.write_text(
        "deployment: soft\n"
        "defaults: {template: powervm.tiny, image: AIX72, network: cmbnet1}\n"
        "servers:\n"
        "  - {name: 'soft{1..2}', collocation_rule: soft-apart}\n"
        "collocation_rules:\n"
        "  soft-apart: {policy: soft-anti-affinity}\n"
    )
    report = sh.json("deploy", "apply", str(spec), "-y")
    assert report["status"] == "succeeded", report
    [group] = [
        g
        for g in listing(cloud, "compute", "/os-server-groups", "server_groups")
        if g["name"] == "soft-apart"
    ]
    assert group["policies"] == ["soft-anti-affinity"]
    assert len(group["members"]) == 2
    sh.ok("deploy", "destroy", "soft", "-y")


def test_bad_report_path_name_and_encoding_are_refused_before_anything_is_made(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = pipe_file(tmp_path, "early", ("early1", "", ""))
    before = set(servers(cloud))
    result = sh("deploy", "apply", str(spec), "-y", "--report", str(tmp_path / "no" / "r.json"))
    assert result.code == 2
    assert "--report" in result.error_lines[0]
    assert "nothing was created" in result.error_lines[0]
    result = sh("deploy", "apply", str(spec), "-y", "--name", " padded")
    assert result.code == 2
    assert "--name: deployment name ' padded'" in result.error_lines[0]
    latin = tmp_path / "latin.pipe"
    latin.write_bytes("vm_name=café|flavor_name=powervm.tiny\n".encode("latin-1"))
    result = sh("deploy", "plan", str(latin))
    assert result.code == 1
    assert "1 problem in the spec; nothing was created" in result.error_lines[0]
    assert "latin.pipe:1:12: byte 0xe9 (offset 11) is not UTF-8 text" in result.err
    assert "unexpected" not in result.err
    assert set(servers(cloud)) == before
    missing = tmp_path / "ud.pipe"
    missing.write_text(spec.read_text().strip() + f"|user_data={tmp_path / 'nope.sh'}\n")
    result = sh("deploy", "apply", str(missing), "-y")
    assert result.code == 1
    assert "user data problems; nothing was created" in result.error_lines[0]
    assert "cannot read user data" in result.err
    assert set(servers(cloud)) == before
    bom = tmp_path / "bom.pipe"
    bom.write_bytes(b"\xef\xbb\xbf" + spec.read_bytes())
    assert "early1" in sh.ok("deploy", "plan", str(bom)).out  # a BOM is not part of the key


def test_destroy_refuses_while_an_apply_is_running(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path, store_path: Path
) -> None:
    spec = pipe_file(tmp_path, "busy", ("busy1", "", ""))
    sh.ok("deploy", "apply", str(spec), "-y")
    store = JobStore.open(str(store_path))
    try:
        running = store.create_job("deployment", "busy", action="apply")  # this live process
        result = sh("deploy", "destroy", "busy", "-y")
        assert result.code == 1
        assert f"being applied by job {running.id}" in result.error_lines[0]
        assert "nothing was deleted" in result.error_lines[0]
        assert "busy1" in servers(cloud)
        store.finish(running.id, JobStatus.SUCCEEDED)
    finally:
        store.close()
    sh.ok("deploy", "destroy", "busy", "-y")
    assert "busy1" not in servers(cloud)


def test_a_wrong_password_is_one_clear_line(sh: Shell) -> None:
    sh.set({"OS_PASSWORD": "wrong"})
    result = sh("deploy", "plan", str(EXAMPLES / "two-vms.pipe"))
    assert result.code == 1
    [line] = result.error_lines
    assert "401" in line
    assert "req-" in line
    assert "OS_PASSWORD" in result.err
    assert "ExceptionGroup" not in result.err


def test_a_killed_apply_is_listed_as_interrupted(sh: Shell, store_path: Path) -> None:
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    store = JobStore.open(str(store_path))
    try:
        job = store.create_job("deployment", "killed", action="apply")
        with store.engine.begin() as db:
            db.execute(sa.text("UPDATE jobs SET pid = :pid"), {"pid": dead_pid.pid})
    finally:
        store.close()
    [row] = [r for r in sh.json("deploy", "list") if r["deployment"] == "killed"]
    assert row["last_job"] == job.id
    assert row["status"] == f"interrupted (process {dead_pid.pid} gone)"


def test_a_volume_in_error_reports_cinders_reason(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    # a storage template on a provider PowerVC does not manage: the plan cannot see its free
    # space, and cinder fails the create later (202, then error) with a user message
    async def ghost_template(session: Session) -> None:
        body = {
            "volume_type": {
                "name": "ghost template",
                "extra_specs": {"volume_backend_name": "ghost"},
            }
        }
        response = await session.request("volume", "POST", "/types", json=body)
        assert response.status_code == 200, response.text

    api(cloud, ghost_template)
    spec = tmp_path / "ghost.pipe"
    spec.write_text(
        PIPE.replace("svc82 base template", "ghost template").format(
            name="ghostvm", prefix="", shared=""
        )
        + "\n"
    )
    report_path = tmp_path / "ghost.json"
    result = sh("deploy", "apply", str(spec), "-y", "--report", str(report_path))
    assert result.code == 3, result.err
    reason = "schedule allocate volume: Could not find any available weighted backend."
    report = json.loads(report_path.read_text())
    rows = {(r["kind"], r["name"]): r for r in report["resources"]}
    [volume] = [r for (kind, _), r in rows.items() if kind == "volume"]
    assert volume["status"] == "error"
    assert volume["fault"] == f"volume {volume['name']} ended error: {reason}"
    assert reason in rows[("server", "ghostvm")]["fault"]
    assert reason in result.err
    sh.ok("deploy", "destroy", "ghost", "-y")
