"""Drift through the emulator's real HTTP: a deployed server whose compute template, image,
network, fixed IP or volumes differ from the spec is a change in `deploy plan`; `deploy
apply` resizes in place what PowerVM allows and replaces the rest only with
`--replace-changed`, keeping the data volumes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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
deployment: {deployment}
defaults:
  storage_template: svc82 base template
servers:
  - name: {deployment}-vm
    template: {template}
    image: {image}
    networks: [{networks}]
    volumes: [{volumes}]
volumes:
  {deployment}-data: {{size_gb: 1}}
"""


def call(cloud: RunningEmulator, service: str, method: str, path: str, **kw: Any) -> Any:
    async def send(session: Session) -> Any:
        response = await session.request(service, method, path, **kw)
        return response.json() if response.content else None

    return api(cloud, send)


def server(cloud: RunningEmulator, name: str) -> dict[str, Any]:
    params = {"name": f"^{name}$"}
    rows = call(cloud, "compute", "GET", "/servers/detail", params=params, microversion="2.60")
    (found,) = rows["servers"]
    return dict(found)


def attached(row: dict[str, Any]) -> set[str]:
    return {item["id"] for item in row["os-extended-volumes:volumes_attached"]}


def write_spec(tmp_path: Path, deployment: str, **values: str) -> Path:
    fields = {
        "template": "powervm.tiny",
        "image": "AIX72",
        "networks": "cmbnet1",
        "volumes": f"{deployment}-data",
    }
    fields.update(values)
    path = tmp_path / f"{deployment}.yaml"
    path.write_text(SPEC.format(deployment=deployment, **fields))
    return path


def applied(sh: Shell, tmp_path: Path, deployment: str, **values: str) -> Path:
    """The spec `write_spec` makes, applied (`deploy apply --yes`)."""
    spec = write_spec(tmp_path, deployment, **values)
    sh.ok("deploy", "apply", str(spec), "--yes")
    return spec


def resize_outside(cloud: RunningEmulator, vm: dict[str, Any], proc_units: str) -> None:
    """A resize to the server's flavor but for `proc_units` (inline), made outside powerbridge
    and left for someone to confirm."""
    flavor = dict(vm["flavor"])
    flavor["extra_specs"] = {**flavor["extra_specs"], "powervm:proc_units": proc_units}
    inline = {key: flavor[key] for key in ("ram", "vcpus", "disk", "extra_specs")}
    body = {"resize": {"flavor": inline}}
    call(cloud, "compute", "POST", f"/servers/{vm['id']}/action", json=body)


def changes(sh: Shell, spec: Path) -> list[dict[str, Any]]:
    plan = sh.json("deploy", "plan", str(spec))
    assert plan["ok"], plan["blocks"]
    return list(plan["changes"])


def test_plan_reports_what_differs_from_what_to_what(sh: Shell, tmp_path: Path) -> None:
    spec = applied(sh, tmp_path, "drift1")
    assert changes(sh, spec) == []
    changed = write_spec(
        tmp_path,
        "drift1",
        template="powervm.small",
        image="PowerHA72",
        networks="{name: cmbnet1, fixed_ip: 192.168.100.77}",
    )
    (change,) = changes(sh, changed)
    differences = {(d["what"], d["was"], d["wanted"]) for d in change["differences"]}
    assert ("compute template", "powervm.tiny", "powervm.small") in differences
    assert ("memory (MB)", "2048", "4096") in differences
    assert ("image", "AIX72", "PowerHA72") in differences
    fixed = [(was, wanted) for what, was, wanted in differences if what == "fixed IP on cmbnet1"]
    assert fixed
    assert fixed[0][1] == "192.168.100.77"
    assert change["mode"] == "replace"
    table = sh.ok("deploy", "plan", str(changed)).out
    assert "compute template powervm.tiny -> powervm.small" in table
    assert "needs --replace-changed" in table


def test_same_named_template_with_changed_specs_is_resized_in_place(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    flavor = {"name": "drift.tiny", "ram": 2048, "vcpus": 1, "disk": 20}
    made = call(cloud, "compute", "POST", "/flavors", json={"flavor": flavor})["flavor"]
    specs = {
        "powervm:min_mem": "1024",
        "powervm:max_mem": "4096",
        "powervm:proc_units": "0.25",
        "powervm:min_proc_units": "0.1",
        "powervm:max_proc_units": "0.5",
    }
    path = f"/flavors/{made['id']}/os-extra_specs"
    call(cloud, "compute", "POST", path, json={"extra_specs": specs})
    spec = applied(sh, tmp_path, "drift2", template="drift.tiny")
    before = server(cloud, "drift2-vm")
    call(cloud, "compute", "POST", path, json={"extra_specs": {"powervm:proc_units": "0.4"}})

    (change,) = changes(sh, spec)
    assert change["mode"] == "resize"
    assert change["differences"] == [{"what": "powervm:proc_units", "was": "0.25", "wanted": "0.4"}]
    refused = sh("deploy", "apply", str(spec))  # no terminal to confirm on
    assert refused.code == 2
    assert "resizing drift2-vm in place" in refused.err
    sh.ok("deploy", "apply", str(spec), "--yes")
    after = server(cloud, "drift2-vm")
    assert after["id"] == before["id"]
    assert after["status"] == "ACTIVE"
    assert after["flavor"]["extra_specs"]["powervm:proc_units"] == "0.4"
    assert changes(sh, spec) == []


def test_a_resize_beyond_the_partition_bounds_is_a_replace(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    applied(sh, tmp_path, "drift3")
    (change,) = changes(sh, write_spec(tmp_path, "drift3", template="powervm.small"))
    assert change["mode"] == "replace"
    assert "minimum memory 1024 -> 2048 MB" in change["why_replace"]
    assert "a running partition keeps its memory bounds" in change["why_replace"]


def test_replace_changed_recreates_the_server_keeping_every_volume(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    applied(sh, tmp_path, "drift4")
    old = server(cloud, "drift4-vm")
    extra = sh.json("volume", "create", "drift4-extra", "--size", "1", "--wait")
    sh.ok("volume", "attach", "drift4-vm", "drift4-extra")
    changed = write_spec(tmp_path, "drift4", image="PowerHA72")
    (change,) = changes(sh, changed)
    assert change["extra_volumes"] == ["drift4-extra"]

    kept = sh("deploy", "apply", str(changed), "--yes")
    assert kept.code == 0
    assert "does not rebuild servers" in kept.err
    assert "--replace-changed" in kept.err
    assert server(cloud, "drift4-vm")["id"] == old["id"]

    replaced = sh.ok("deploy", "apply", str(changed), "--yes", "--replace-changed")
    new = server(cloud, "drift4-vm")
    assert new["id"] != old["id"]
    assert new["status"] == "ACTIVE"
    assert attached(new) == attached(old) | {extra["id"]}
    assert "drift4-extra" in replaced.err  # the progress says which volumes it kept
    plan = sh.json("deploy", "plan", str(changed))
    assert plan["changes"] == []  # up to date; the extra volume still reported, never removed
    (row,) = [item for item in plan["unchanged"] if item["kind"] == "server"]
    assert "also attached, not in the spec (kept): drift4-extra" in row["details"]


def test_a_resize_an_earlier_run_left_unconfirmed_is_seen_through(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    applied(sh, tmp_path, "drift5")
    vm = server(cloud, "drift5-vm")
    resize_outside(cloud, vm, proc_units="0.4")
    while server(cloud, "drift5-vm")["status"] != "VERIFY_RESIZE":  # as a killed run left it
        time.sleep(0.05)
    overrides = tmp_path / "drift5.yaml"
    overrides.write_text(
        overrides.read_text().replace(
            "    image: AIX72", "    image: AIX72\n    powervm: {proc_units: '0.4'}"
        )
    )
    (change,) = changes(sh, overrides)
    assert change["mode"] == "confirm_resize"
    sh.ok("deploy", "apply", str(overrides), "--yes")
    assert server(cloud, "drift5-vm")["status"] == "ACTIVE"
    assert changes(sh, overrides) == []


def test_a_resize_to_another_template_than_the_spec_blocks(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec = applied(sh, tmp_path, "drift6")
    vm = server(cloud, "drift6-vm")
    resize_outside(cloud, vm, proc_units="0.3")
    blocked = sh("deploy", "plan", str(spec))
    assert blocked.code == 1
    assert "confirm or revert that resize in PowerVC" in blocked.err


def test_a_replace_interrupted_after_the_detach_is_finished_by_the_next_run(
    sh: Shell, cloud: RunningEmulator, tmp_path: Path
) -> None:
    applied(sh, tmp_path, "drift7")
    old = server(cloud, "drift7-vm")
    (data,) = attached(old)
    changed = write_spec(tmp_path, "drift7", image="PowerHA72")
    sh.ok("volume", "detach", "drift7-vm", "drift7-data")  # where a killed run stopped
    while attached(server(cloud, "drift7-vm")):
        time.sleep(0.05)

    (change,) = changes(sh, changed)
    assert {d["what"] for d in change["differences"]} == {"image", "volumes"}
    sh.ok("deploy", "apply", str(changed), "--yes", "--replace-changed")
    new = server(cloud, "drift7-vm")
    assert new["id"] != old["id"]
    assert attached(new) == {data}
    shown = sh.json("deploy", "show", "drift7")
    (item,) = [i for i in shown["items"] if i["kind"] == "server"]
    assert (item["state"], item["id"], item["created_here"]) == ("done", new["id"], True)
    assert changes(sh, changed) == []
