"""Behaviours (fault injection rules) declared in the estate file: checked at load time like the
rest of the estate, applied at every start, visible and removable through the behaviours API."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.app import create_app
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.estate import EstateError, load_estate
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import COMPUTE, IDENTITY, deploy, inventory, password_auth, show

BEHAVIOURS = "/powervc/emulator/v1/behaviours"
RULES = """
behaviours:
  - kind: server
    mode: fail_at
    name_regex: "^db"
    task_state: spawning
    message: PowerVM partition activation failed
  - kind: api
    service: image
    method: DELETE
    status: 503
"""


def estate_file(tmp_path: Path, extra: str) -> Path:
    """The packaged default estate with `extra` sections appended."""
    default = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    path = tmp_path / "estate.yaml"
    path.write_text(default.replace("\nbehaviours: []\n", "\n") + extra, encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def start(tmp_path: Path, data_dir: Path, extra: str) -> Emulator:
    config = EmulatorConfig(
        data_dir=data_dir, log_dir=tmp_path / "logs", estate_path=estate_file(tmp_path, extra)
    )
    return Emulator(config)


@pytest.fixture
def served(tmp_path: Path, data_dir: Path) -> Iterator[TestClient]:
    emulator = start(tmp_path, data_dir, RULES)
    with TestClient(create_app(emulator)) as client:
        login = client.post(f"{IDENTITY}/auth/tokens", json=password_auth())
        client.headers["X-Auth-Token"] = login.headers["x-subject-token"]
        yield client
    emulator.close()


def test_default_estate_declares_no_behaviour() -> None:
    assert load_estate().behaviours == []


def test_estate_rules_fail_the_named_vm_only(served: TestClient) -> None:
    ids = inventory(served)
    failed = show(served, deploy(served, ids, "db1"))
    assert failed["status"] == "ERROR"
    assert failed["fault"]["message"] == "PowerVM partition activation failed"
    assert show(served, deploy(served, ids, "web1"))["status"] == "ACTIVE"


def test_estate_rules_are_listed_and_api_rules_follow_them(served: TestClient) -> None:
    added = served.post(
        BEHAVIOURS, json={"behaviour": {"kind": "api", "service": "network", "latency": 0.5}}
    )
    assert added.status_code == 201, added.text
    rules = served.get(BEHAVIOURS).json()["behaviours"]
    assert [r["id"] for r in rules][:2] == ["estate-1", "estate-2"]
    assert rules[0]["mode"] == "fail_at"
    assert rules[0]["task_state"] == "spawning"
    assert rules[1] == {
        "id": "estate-2",
        "kind": "api",
        "service": "image",
        "method": "DELETE",
        "status": 503,
        "fraction": 1.0,
        "latency": 0.0,
        "seconds": 0.0,
    }
    assert rules[2]["id"] == added.json()["behaviour"]["id"]


def test_api_fault_from_the_estate(served: TestClient) -> None:
    image = served.get("/powervc/openstack/image/v2/images?name=AIX72").json()["images"][0]
    refused = served.delete(f"/powervc/openstack/image/v2/images/{image['id']}")
    assert refused.status_code == 503
    assert refused.headers["x-openstack-request-id"].startswith("req-")
    assert served.get(f"{COMPUTE}/flavors").status_code == 200


def test_estate_rules_are_applied_at_every_start(tmp_path: Path, data_dir: Path) -> None:
    """Removing an estate rule through the API lasts until the next start; the estate file
    is the rules' one source, so editing it changes them at the next start."""
    first = start(tmp_path, data_dir, RULES)
    first.behaviours.remove("estate-1")
    assert [r.id for r in first.behaviours.list()] == ["estate-2"]
    first.close()
    again = start(tmp_path, data_dir, RULES)
    assert [r.id for r in again.behaviours.list()] == ["estate-1", "estate-2"]
    again.close()
    edited = start(tmp_path, data_dir, "behaviours: []\n")
    assert edited.behaviours.list() == []
    edited.close()


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ("{kind: server, mode: fail_at, name_regex: x, task_state: booting}", "'task_state'"),
        ("{kind: server, mode: explode, name_regex: x}", "'mode'"),
        ("{kind: server, mode: stuck_in_build}", "'name_regex' or 'metadata'"),
        ("{kind: api, service: compute, status: 200}", "'status'"),
        ("{kind: api, service: dns, status: 500}", "'service'"),
        ("{kind: server, mode: fail_at, name_regex: '(', task_state: spawning}", "'('"),
        ("{kind: server, mode: stuck_in_build, name_regex: x, secnods: 5}", "'secnods'"),
        ("{kind: vm}", "'kind'"),
        ("{kind: api, service: compute, status: 500, fraction: lots}", "lots"),
    ],
)
def test_bad_rules_stop_the_start_naming_file_entry_and_field(
    tmp_path: Path, rule: str, named: str
) -> None:
    path = estate_file(
        tmp_path, f"behaviours:\n  - {{kind: api, service: image, latency: 1}}\n  - {rule}\n"
    )
    with pytest.raises(EstateError) as caught:
        load_estate(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: behaviours[1]: "), message
    assert named in message


def test_a_rule_must_be_a_mapping(tmp_path: Path) -> None:
    path = estate_file(tmp_path, "behaviours:\n  - fail everything\n")
    with pytest.raises(EstateError, match=r"behaviours\[0\]: expected a mapping"):
        load_estate(path)
