"""PowerVC's Dynamic Resource Optimizer over HTTP, on a manual clock: off by default; in
advise mode it records a recommendation; in active mode it live-migrates a VM of the host over
its threshold to the group's least loaded host; pinned VMs stay; declared utilization counts;
`dro-events` filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.estate import load_estate
from powerbridge.emulator.estate_utilization import UtilizationSpec
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import (
    COMPUTE,
    IDENTITY,
    P8A,
    P8B,
    inventory,
    make_group,
    password_auth,
    show,
)

ADMIN = "/powervc/emulator/v1"


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[TestClient]:
    emulator = Emulator(EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs", clock="manual"))
    with TestClient(create_app(emulator), base_url="http://testserver") as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        yield client
    emulator.close()


def advance(client: TestClient, seconds: float) -> None:
    assert client.post(f"{ADMIN}/clock", json={"advance": seconds}).status_code == 200


def busy_vms(client: TestClient, count: int) -> list[str]:
    ids = inventory(client)
    flavor = {"ram": 4096, "vcpus": 4, "disk": 0, "extra_specs": {"powervm:proc_units": "4.0"}}
    made = []
    for n in range(count):
        body = {
            "server": {
                "name": f"busy-{n}",
                "imageRef": ids["image"],
                "flavor": flavor,
                "networks": [{"uuid": ids["network"]}],
                "availability_zone": f"dro:{P8A}",
            }
        }
        answer = client.post(f"{COMPUTE}/servers", json=body)
        assert answer.status_code == 202, answer.text
        made.append(answer.json()["server"]["id"])
    advance(client, 120)
    assert {show(client, s)["status"] for s in made} == {"ACTIVE"}
    return made


def configure(client: TestClient, group: int, **settings: str) -> Any:
    metadata = {f"dro_{k}": v for k, v in settings.items()}
    url = f"{COMPUTE}/os-aggregates/{group}/action"
    return client.post(url, json={"set_metadata": {"metadata": metadata}})


def events(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    answer = client.get(f"{COMPUTE}/dro-events{query}")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["dro_events"])


@pytest.fixture
def group(manual: TestClient) -> int:
    return make_group(manual, "dro-group", "dro", P8A, P8B)


SETTINGS = {"metric": "cpu", "threshold": "50", "run_interval": "60", "stabilization": "1"}


def test_off_by_default(manual: TestClient, group: int) -> None:
    busy_vms(manual, 3)  # 12 of P8A's 20 processing units: 60%
    advance(manual, 3600)
    assert events(manual) == []


def test_advise_mode_recommends_and_moves_nothing(manual: TestClient, group: int) -> None:
    servers = busy_vms(manual, 3)
    assert configure(manual, group, enabled="true", mode="advise", **SETTINGS).status_code == 200
    advance(manual, 60)
    (event,) = events(manual)
    assert (event["event_type"], event["host"], event["target_host"]) == ("advise", P8A, P8B)
    assert (event["value"], event["threshold"], event["mode"]) == (60.0, 50.0, "advise")
    assert {show(manual, s)["OS-EXT-SRV-ATTR:host"] for s in servers} == {P8A}


def test_active_mode_migrates_a_vm_to_rebalance(manual: TestClient, group: int) -> None:
    servers = busy_vms(manual, 3)
    configure(manual, group, enabled="true", mode="automatic", **SETTINGS)
    advance(manual, 60)
    (event,) = events(manual, "?event_type=migration")
    assert event["target_host"] == P8B
    advance(manual, 60)  # the live migration's time
    hosts = [show(manual, s)["OS-EXT-SRV-ATTR:host"] for s in servers]
    assert sorted(hosts) == [P8A, P8A, P8B]
    advance(manual, 600)  # P8A is at 40% now: nothing more to do
    assert len(events(manual)) == 1
    assert events(manual, f"?host={P8B}") == []
    assert len(events(manual, "?host_group=dro-group&limit=5")) == 1


def test_pinned_and_excluded_vms_stay(manual: TestClient, group: int) -> None:
    servers = busy_vms(manual, 3)
    for server_id, movable in zip(servers[:2], ("true", "false"), strict=True):  # soft, hard
        body = {"metadata": {"pin_vm": "true", "move_pin_vm": movable}}
        pinned = manual.post(f"{COMPUTE}/servers/{server_id}/metadata", json=body)
        assert pinned.status_code == 200, pinned.text
    body = {"metadata": {"dro_enabled": "False"}}
    manual.post(f"{COMPUTE}/servers/{servers[2]}/metadata", json=body)
    configure(manual, group, enabled="true", mode="active", **SETTINGS)
    advance(manual, 60)
    (event,) = events(manual)
    assert event["event_type"] == "no_action"
    assert {show(manual, s)["OS-EXT-SRV-ATTR:host"] for s in servers} == {P8A}


def test_declared_utilization_is_what_counts(manual: TestClient, group: int) -> None:
    servers = busy_vms(manual, 3)
    for server_id in servers:
        url = f"{ADMIN}/utilization/{server_id}"
        answer = manual.put(url, json={"utilization": {"cpu": 0.25}})
        assert answer.status_code == 200, answer.text
    configure(manual, group, enabled="true", mode="active", **SETTINGS)
    advance(manual, 600)
    assert events(manual) == []  # 3 of 20 units used: 15%
    bad = manual.put(f"{ADMIN}/utilization/{servers[0]}", json={"utilization": {"cpu": 2}})
    assert bad.status_code == 400


def test_bad_settings_are_refused(manual: TestClient, group: int) -> None:
    for key, value in (("mode", "sometimes"), ("metric", "disk"), ("threshold", "150")):
        answer = configure(manual, group, **{key: value})
        assert answer.status_code == 400, answer.text
        assert f"dro_{key}" in answer.text


def test_the_estates_utilization_counts_unless_the_admin_declares(tmp_path: Path) -> None:
    estate = dataclasses.replace(
        load_estate(), utilization=[UtilizationSpec(name_regex="^busy-", cpu=0.2)]
    )
    config = EmulatorConfig(data_dir=None, log_dir=tmp_path / "logs", clock="manual")
    emulator = Emulator(config, estate)
    with TestClient(create_app(emulator), base_url="http://testserver") as client:
        token = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = token.headers["x-subject-token"]
        group = make_group(client, "dro-group", "dro", P8A, P8B)
        servers = busy_vms(client, 3)
        shown = client.get(f"{ADMIN}/utilization/{servers[0]}").json()["utilization"]
        assert shown == {"cpu": 0.2, "memory": 1.0}
        configure(client, group, enabled="true", mode="advise", **SETTINGS)
        advance(client, 600)
        assert events(client) == []  # 12 units at 20%: 12% of P8A
        client.put(f"{ADMIN}/utilization/{servers[0]}", json={"utilization": {"cpu": 1.0}})
        client.put(f"{ADMIN}/utilization/{servers[1]}", json={"utilization": {"cpu": 1.0}})
        client.put(f"{ADMIN}/utilization/{servers[2]}", json={"utilization": {"cpu": 1.0}})
        advance(client, 60)
        assert [e["event_type"] for e in events(client)] == ["advise"]
    emulator.close()
