"""Keystone's administration through the real python-openstackclient against a started
emulator: users, groups, projects, domains, roles and assignments, regions, services and
endpoints, as an administrator of PowerVC would manage them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator

pytestmark = pytest.mark.acceptance
OPENSTACK = str(Path(sys.executable).parent / "openstack")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    data = tmp_path_factory.mktemp("emulator")
    with running_emulator(EmulatorConfig(port=0, data_dir=data)) as running:
        yield running


def run(cloud: RunningEmulator, *args: str, env: dict[str, str] | None = None) -> Any:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    environment.update(cloud.env())
    environment.update(env or {})
    return subprocess.run(
        [OPENSTACK, *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def osc(cloud: RunningEmulator, *args: str, env: dict[str, str] | None = None) -> Any:
    result = run(cloud, *args, env=env)
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stderr}"
    if "-f" in args and "json" in args:
        return json.loads(result.stdout)
    return result.stdout


def names(rows: list[dict[str, Any]], key: str = "Name") -> set[str]:
    return {row[key] for row in rows}


# Each `openstack` run costs a second or two of interpreter start: the checks are few and
# chosen to cover create, list, show, set and delete of every record kind between them.
def test_domains_projects_and_users(cloud: RunningEmulator) -> None:
    domain = osc(cloud, "domain", "create", "lab", "--description", "test lab", "-f", "json")
    assert domain["name"] == "lab"
    assert domain["enabled"] is True
    parent = osc(cloud, "project", "create", "lab-root", "--domain", "lab", "-f", "json")
    child = osc(
        cloud, "project", "create", "lab-leaf", "--domain", "lab", "--parent", "lab-root",
        "-f", "json",
    )  # fmt: skip
    assert child["parent_id"] == parent["id"]
    assert child["domain_id"] == domain["id"]
    user = osc(
        cloud, "user", "create", "ada", "--domain", "lab", "--password", "first-Passw0rd",
        "--project", "lab-root", "--project-domain", "lab", "-f", "json",
    )  # fmt: skip
    assert user["domain_id"] == domain["id"]
    assert user["default_project_id"] == parent["id"]
    osc(cloud, "user", "set", "--domain", "lab", "--email", "ada@lab.example", "ada")
    shown = osc(cloud, "user", "show", "--domain", "lab", "ada", "-f", "json")
    assert shown["email"] == "ada@lab.example"
    listed = osc(cloud, "project", "list", "--domain", "lab", "-f", "json")
    assert names(listed) == {"lab-root", "lab-leaf"}

    # a domain goes only once disabled, and takes its projects and users with it
    refused = run(cloud, "domain", "delete", "lab")
    assert refused.returncode != 0
    assert "disable it first" in refused.stderr
    osc(cloud, "domain", "set", "--disable", "lab")
    osc(cloud, "domain", "delete", "lab")
    assert "ada" not in names(osc(cloud, "user", "list", "-f", "json"))


def test_groups_roles_and_assignments(cloud: RunningEmulator) -> None:
    osc(cloud, "project", "create", "ops", "-f", "json")
    osc(cloud, "user", "create", "grace", "--password", "grace-Passw0rd", "-f", "json")
    osc(cloud, "group", "create", "operators", "-f", "json")
    osc(cloud, "group", "add", "user", "operators", "grace")
    osc(cloud, "role", "create", "auditor", "-f", "json")
    osc(cloud, "role", "add", "--user", "grace", "--project", "ops", "member")
    osc(cloud, "role", "add", "--group", "operators", "--project", "ops", "auditor")
    effective = osc(
        cloud, "role", "assignment", "list", "--user", "grace", "--effective", "--names",
        "-f", "json",
    )  # fmt: skip
    # the group's role, and what member implies (reader), are the user's too
    assert {(row["Role"], row["Project"]) for row in effective} == {
        ("member", "ops@Default"),
        ("reader", "ops@Default"),
        ("auditor", "ops@Default"),
    }
    osc(cloud, "role", "remove", "--group", "operators", "--project", "ops", "auditor")
    osc(cloud, "role", "remove", "--user", "grace", "--project", "ops", "member")
    assert osc(cloud, "role", "assignment", "list", "--user", "grace", "-f", "json") == []


def test_regions_services_and_endpoints(cloud: RunningEmulator) -> None:
    osc(cloud, "region", "create", "lab-east", "--description", "east lab", "-f", "json")
    service = osc(cloud, "service", "create", "--name", "telemetry", "metering", "-f", "json")
    endpoint = osc(
        cloud, "endpoint", "create", "--region", "lab-east", "telemetry", "public",
        "http://metrics.example:8041", "-f", "json",
    )  # fmt: skip
    assert endpoint["region"] == "lab-east"
    # a new token's catalog has them
    entry = osc(cloud, "catalog", "show", "metering", "-f", "json")
    assert "http://metrics.example:8041" in json.dumps(entry)
    refused = run(cloud, "region", "delete", "lab-east")  # an endpoint is in it
    assert refused.returncode != 0
    osc(cloud, "endpoint", "delete", endpoint["id"])
    osc(cloud, "service", "delete", service["id"])
    osc(cloud, "region", "delete", "lab-east")
    assert "lab-east" not in {r["Region"] for r in osc(cloud, "region", "list", "-f", "json")}
