"""PowerVC's simplified remote restart over HTTP: a host failed through the admin API (a
host_failure behaviour), then `os-hosts/<host>/ibm-evacuate`: remote-restart-capable VMs go
to another host of the group and run there; an incapable one and a hard-pinned one stay;
nova's `evacuate` of one VM; a host that did not fail is a 412."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.support.emulator_http import COMPUTE, P8A, P8B, P9, hypervisor, inventory, show

BEHAVIOURS = "/powervc/emulator/v1/behaviours"


def deploy_on(client: TestClient, name: str, host: str, *, srr: bool) -> str:
    ids = inventory(client)
    flavor = {
        "ram": 4096,
        "vcpus": 1,
        "disk": 0,
        "extra_specs": {"powervm:proc_units": "0.5", "powervm:srr_capability": str(srr).lower()},
    }
    body = {
        "server": {
            "name": name,
            "imageRef": ids["image"],
            "flavor": flavor,
            "networks": [{"uuid": ids["network"]}],
            "availability_zone": f":{host}",
        }
    }
    answer = client.post(f"{COMPUTE}/servers", json=body)
    assert answer.status_code == 202, answer.text
    server_id = str(answer.json()["server"]["id"])
    assert show(client, server_id)["status"] == "ACTIVE"
    return server_id


def fail(client: TestClient, host: str) -> None:
    rule = {"behaviour": {"kind": "node", "mode": "host_failure", "host": host}}
    answer = client.post(BEHAVIOURS, json=rule)
    assert answer.status_code in (200, 201), answer.text


def evacuate(client: TestClient, host: str, body: Any = None) -> Any:
    return client.post(f"{COMPUTE}/os-hosts/{host}/ibm-evacuate", json=body or {})


def test_a_failed_hosts_capable_vms_restart_elsewhere(admin: TestClient) -> None:
    capable = deploy_on(admin, "srr-yes", P8A, srr=True)
    incapable = deploy_on(admin, "srr-no", P8A, srr=False)
    pinned = deploy_on(admin, "srr-hard", P8A, srr=True)
    metadata = {"metadata": {"pin_vm": "true", "move_pin_vm": "false"}}
    assert admin.post(f"{COMPUTE}/servers/{pinned}/metadata", json=metadata).status_code == 200
    fail(admin, P8A)
    assert show(admin, capable)["status"] == "SHUTOFF"  # the host's failure stopped it
    answer = evacuate(admin, P8A, {"host": P8B})
    assert answer.status_code == 202, answer.text
    rows = {row["server_id"]: row for row in answer.json()["servers"]}
    assert rows[capable]["target_host"] == P8B
    assert rows[incapable]["target_host"] is None
    assert "srr_capability" in rows[incapable]["reason"]
    assert "hard pinned" in rows[pinned]["reason"]
    server = show(admin, capable)
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", P8B)
    assert show(admin, incapable)["OS-EXT-SRV-ATTR:host"] == P8A
    assert hypervisor(admin, P8B)["memory_mb_used"] == 4096
    actions = admin.get(f"{COMPUTE}/servers/{capable}/os-instance-actions").json()
    assert actions["instanceActions"][0]["action"] == "evacuate"


def test_nova_evacuate_restarts_one_vm(admin: TestClient) -> None:
    server_id = deploy_on(admin, "srr-one", P9, srr=True)
    body = {"evacuate": {"host": None}}
    url = f"{COMPUTE}/servers/{server_id}/action"
    refused = admin.post(url, json=body)  # P9 is up
    assert refused.status_code == 412
    fail(admin, P9)
    answer = admin.post(url, json=body, headers={"OpenStack-API-Version": "compute 2.29"})
    assert answer.status_code == 202, answer.text
    server = show(admin, server_id)
    assert server["status"] == "ACTIVE"
    assert server["OS-EXT-SRV-ATTR:host"] != P9


def test_a_host_that_did_not_fail_is_a_precondition_failure(admin: TestClient) -> None:
    answer = evacuate(admin, P8B)
    assert answer.status_code == 412
    assert "only the virtual machines of a failed host" in answer.text
    assert evacuate(admin, "no-such-host").status_code == 404
    assert evacuate(admin, P8B, {"target": P8A}).status_code == 400
