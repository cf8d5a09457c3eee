"""Interrupted applies: a killed `deploy apply` (SIGKILL mid-run) and a Ctrl-C (SIGINT), then
`--resume`. Real clock, so deploys take a few seconds and the kill lands mid-run; the apply
runs as its own process, as a user's would."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.server import RunningEmulator, running_emulator
from powerbridge.jobs import JobStatus, JobStore
from tests.support.clirun import OS_VARIABLES

pytestmark = pytest.mark.acceptance

PIPE = (
    "flavor_name=powervm.tiny|vm_name={name}|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:::data of {name}"
)
SPEED = 8.0  # a deploy takes about 1.5 s


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningEmulator]:
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=SPEED)
    with running_emulator(config) as running:
        yield running


def login(cloud: RunningEmulator) -> tuple[httpx.Client, dict[str, str]]:
    """A client holding an admin token, and the public URL of each service type."""
    client = httpx.Client(timeout=10)
    user = {"name": "root", "domain": {"name": "Default"}, "password": "passw0rd"}
    body = {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
        }
    }
    response = client.post(cloud.auth_url.rstrip("/") + "/auth/tokens", json=body)
    response.raise_for_status()
    urls = {
        service["type"]: endpoint["url"]
        for service in response.json()["token"]["catalog"]
        for endpoint in service["endpoints"]
        if endpoint["interface"] == "public"
    }
    client.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]
    return client, urls


def names_of(cloud: RunningEmulator, service: str, collection: str) -> list[str]:
    client, urls = login(cloud)
    try:
        rows = client.get(f"{urls[service]}/{collection}").json()[collection]
    finally:
        client.close()
    return [row["name"] for row in rows]


def server_names(cloud: RunningEmulator) -> list[str]:
    return names_of(cloud, "compute", "servers")


def volume_names(cloud: RunningEmulator) -> list[str]:
    return names_of(cloud, "volumev3", "volumes")


def spec_file(tmp_path: Path, prefix: str, count: int) -> tuple[Path, list[str]]:
    names = [f"{prefix}{n}" for n in range(1, count + 1)]
    path = tmp_path / f"{prefix}.pipe"
    path.write_text("\n".join(PIPE.format(name=name) for name in names) + "\n")
    return path, names


def environment(cloud: RunningEmulator, store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OS_VARIABLES}
    env.update(cloud.env())
    env["POWERBRIDGE_STORE"] = str(store)
    return env


def start_apply(spec: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return spawn(["deploy", "apply", str(spec), "-y", *extra], env)


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """`powerbridge ARGS` in its own process, its output captured."""
    command = [sys.executable, "-m", "powerbridge", *args]
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_servers(cloud: RunningEmulator, names: list[str], at_least: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(set(server_names(cloud)) & set(names)) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} of {names} appeared")


def run_apply(spec: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "powerbridge", "deploy", "apply", str(spec), "-y", *extra]
    return subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180
    )


def test_a_killed_apply_resumes_without_duplicates(cloud: RunningEmulator, tmp_path: Path) -> None:
    spec, names = spec_file(tmp_path, "kill", 6)
    store_path = tmp_path / "jobs.sqlite"
    env = environment(cloud, store_path)
    process = start_apply(spec, env, "--parallel", "2")
    wait_for_servers(cloud, names, 2)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert len(set(server_names(cloud)) & set(names)) < 6  # it really was cut short

    store = JobStore.open(str(store_path))
    try:
        [job] = store.jobs("kill")
        assert job.status is JobStatus.RUNNING  # the process died holding it
    finally:
        store.close()

    refused = run_apply(spec, env)
    assert refused.returncode == 1, refused.stderr
    assert "--resume" in refused.stderr
    assert "interrupted" in refused.stderr

    resumed = run_apply(spec, env, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    servers = [name for name in server_names(cloud) if name.startswith("kill")]
    assert sorted(servers) == sorted(names)  # every planned VM, none twice
    disks = [name for name in volume_names(cloud) if name.startswith("kill")]
    assert sorted(disks) == sorted(f"{name}-{name}-1" for name in names)

    store = JobStore.open(str(store_path))
    try:
        [job] = store.jobs("kill")  # the resume continued the same job
        assert job.status is JobStatus.SUCCEEDED
        created = [i for i in store.items(job.id) if i.kind == "server" and i.created_here]
        assert sorted(i.name for i in created) == sorted(names)
    finally:
        store.close()

    again = run_apply(spec, env)
    assert again.returncode == 0
    assert "Nothing to do" in again.stderr


def test_ctrl_c_marks_the_job_interrupted_and_says_how_to_resume(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec, names = spec_file(tmp_path, "intr", 4)
    store_path = tmp_path / "jobs.sqlite"
    env = environment(cloud, store_path)
    process = start_apply(spec, env, "--parallel", "1", "--name", "intr-named")
    wait_for_servers(cloud, names, 1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    hint = f"powerbridge deploy apply {spec} --resume --yes --name intr-named"
    assert f"Resume with: {hint}" in err
    assert "Traceback" not in err
    store = JobStore.open(str(store_path))
    try:
        [job] = store.jobs("intr-named")
        assert job.status is JobStatus.INTERRUPTED
    finally:
        store.close()
    # the hint, run as printed, resumes the same deployment
    command = [sys.executable, "-m", *shlex.split(hint)]
    resumed = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180
    )
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(n for n in server_names(cloud) if n.startswith("intr")) == sorted(names)


def test_a_failed_node_does_not_take_the_shared_volume_from_the_others(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    """A server that fails has its volumes detached; the next servers sharing one wait until
    it is usable again instead of being refused while it is `detaching`."""
    spec = tmp_path / "shr.yaml"
    spec.write_text(
        "deployment: shr\n"
        "defaults: {template: powervm.tiny, image: AIX72, network: cmbnet1,"
        " storage_template: svc82 base template}\n"
        "servers:\n"
        "  - {name: 'shr{1..3}', volumes: [shr-data]}\n"
        "volumes:\n"
        "  shr-data: {size_gb: 1}\n"
    )
    client, _ = login(cloud)
    rule = {"kind": "server", "mode": "fail_at", "name_regex": "^shr1$", "task_state": "spawning"}
    behaviours = cloud.base_url + "/powervc/emulator/v1/behaviours"
    created = client.post(behaviours, json={"behaviour": rule})
    assert created.status_code in (200, 201), created.text
    try:
        env = environment(cloud, tmp_path / "jobs.sqlite")
        result = run_apply(spec, env, "--parallel", "1", "-f", "json")
    finally:
        client.delete(f"{behaviours}/{created.json()['behaviour']['id']}")
        client.close()
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == ["shr1"]
    status = {r["name"]: r["status"] for r in report["resources"] if r["kind"] == "server"}
    assert status == {"shr1": "ERROR", "shr2": "ACTIVE", "shr3": "ACTIVE"}


def test_a_cloud_failing_mid_apply_says_what_is_left_and_how_to_resume(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec, names = spec_file(tmp_path, "midfail", 3)
    env = environment(cloud, tmp_path / "jobs.sqlite")
    process = start_apply(spec, env, "--parallel", "1")
    wait_for_servers(cloud, names, 1)
    client, _ = login(cloud)
    behaviours = cloud.base_url + "/powervc/emulator/v1/behaviours"
    rule = {"kind": "api", "service": "compute", "method": "GET", "status": 503}
    created = client.post(behaviours, json={"behaviour": rule})
    assert created.status_code in (200, 201), created.text
    try:
        _, err = process.communicate(timeout=60)
    finally:
        client.delete(f"{behaviours}/{created.json()['behaviour']['id']}")
        client.close()
    assert process.returncode == 1, err
    assert "503" in err
    assert "stopped midway: what it made is recorded" in err
    assert f"resume with: powerbridge deploy apply {spec} --resume --yes" in err
    assert "Traceback" not in err
    resumed = run_apply(spec, env, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(n for n in server_names(cloud) if n.startswith("midfail")) == names


def test_ctrl_c_in_server_create_before_the_server_removes_its_new_volumes(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    env = environment(cloud, tmp_path / "jobs.sqlite")
    args = ["server", "create", "ctlc1", "--image", "AIX72", "--template", "powervm.tiny"]
    args += ["--network", "cmbnet1", "--volume", "1:svc82 base template", "--wait"]
    process = spawn(args, env)
    deadline = time.monotonic() + 30
    while "ctlc1-vol1" not in volume_names(cloud):
        assert time.monotonic() < deadline, "the volume never appeared"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Interrupted before server ctlc1 was created" in err
    assert "Traceback" not in err
    deadline = time.monotonic() + 20  # a delete takes its (emulated) time
    while "ctlc1-vol1" in volume_names(cloud):
        assert time.monotonic() < deadline, f"the new volume was left behind: {err}"
        time.sleep(0.05)
    assert "ctlc1" not in server_names(cloud)


def test_destroy_ends_a_killed_apply_so_the_next_apply_starts_afresh(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    spec, names = spec_file(tmp_path, "kdes", 4)
    store_path = tmp_path / "jobs.sqlite"
    env = environment(cloud, store_path)
    process = start_apply(spec, env, "--parallel", "1")
    wait_for_servers(cloud, names, 1)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)

    command = [sys.executable, "-m", "powerbridge", "deploy", "destroy", "kdes", "-y"]
    destroyed = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180
    )
    assert destroyed.returncode == 0, destroyed.stderr
    assert "ended the interrupted apply job 1" in destroyed.stdout + destroyed.stderr
    assert not [n for n in server_names(cloud) if n.startswith("kdes")]

    fresh = run_apply(spec, env)
    assert fresh.returncode == 0, fresh.stderr
    assert sorted(n for n in server_names(cloud) if n.startswith("kdes")) == names
    store = JobStore.open(str(store_path))
    try:
        applies = {job.id: job for job in store.jobs("kdes") if job.action == "apply"}
        assert applies[1].status is JobStatus.CANCELLED
        assert applies[1].summary["ended_by"] == "deploy destroy"
        [latest] = [job for job in applies.values() if job.id != 1]
        assert latest.status is JobStatus.SUCCEEDED  # a new job, not the killed one resumed
    finally:
        store.close()


def test_destroy_of_a_deployment_killed_before_anything_existed_ends_its_apply(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    """Killed before its first create: destroy has nothing to delete, yet still ends the job."""
    spec, _ = spec_file(tmp_path, "kemp", 1)
    store_path = tmp_path / "jobs.sqlite"
    # a process that made the job and died holding it, as a kill -9 leaves it
    made = (
        "import sys; from powerbridge.jobs import JobStore;"
        " JobStore.open(sys.argv[1]).create_job('deployment', 'kemp', action='apply')"
    )
    subprocess.run([sys.executable, "-c", made, str(store_path)], check=True, timeout=60)
    env = environment(cloud, store_path)
    refused = run_apply(spec, env)
    assert refused.returncode == 1
    assert "--resume" in refused.stderr
    command = [sys.executable, "-m", "powerbridge", "deploy", "destroy", "kemp", "-y"]
    destroyed = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Ended the interrupted apply job 1: not to be resumed." in destroyed.stderr
    fresh = run_apply(spec, env)
    assert fresh.returncode == 0, fresh.stderr
    assert "kemp1" in server_names(cloud)


def test_sigterm_of_apply_is_taken_as_ctrl_c(cloud: RunningEmulator, tmp_path: Path) -> None:
    spec, names = spec_file(tmp_path, "term", 4)
    store_path = tmp_path / "jobs.sqlite"
    env = environment(cloud, store_path)
    process = start_apply(spec, env, "--parallel", "1")
    wait_for_servers(cloud, names, 1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert "Terminated (SIGTERM); what was done is recorded." in err
    assert f"Resume with: powerbridge deploy apply {spec} --resume --yes" in err
    assert "Traceback" not in err
    store = JobStore.open(str(store_path))
    try:
        [job] = store.jobs("term")
        assert job.status is JobStatus.INTERRUPTED  # recorded, not left "running"
    finally:
        store.close()
    resumed = run_apply(spec, env, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(n for n in server_names(cloud) if n.startswith("term")) == names


def test_sigterm_of_server_create_wait_says_what_was_made(
    cloud: RunningEmulator, tmp_path: Path
) -> None:
    env = environment(cloud, tmp_path / "jobs.sqlite")
    args = ["server", "create", "sigt1", "--image", "AIX72", "--template", "powervm.tiny"]
    process = spawn([*args, "--network", "cmbnet1", "--wait"], env)
    wait_for_servers(cloud, ["sigt1"], 1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "Terminated (SIGTERM): server sigt1 (" in err
    assert "was accepted and keeps deploying" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("sent", "code", "how"),
    [(signal.SIGINT, 130, "Interrupted"), (signal.SIGTERM, 143, "Terminated (SIGTERM)")],
)
def test_a_stopped_destroy_says_what_it_deleted_and_what_is_left(
    cloud: RunningEmulator, tmp_path: Path, sent: signal.Signals, code: int, how: str
) -> None:
    prefix = f"dstop{code}-"
    spec, names = spec_file(tmp_path, prefix, 2)
    env = environment(cloud, tmp_path / "jobs.sqlite")
    applied = run_apply(spec, env)
    assert applied.returncode == 0, applied.stderr
    # volume deletes answer slowly, so the signal comes while the destroy is midway however
    # fast the client goes
    client, _ = login(cloud)
    behaviours = cloud.base_url + "/powervc/emulator/v1/behaviours"
    slow = {"kind": "api", "service": "volume", "method": "DELETE", "latency": 3.0}
    created = client.post(behaviours, json={"behaviour": slow})
    assert created.status_code in (200, 201), created.text
    try:
        process = spawn(["deploy", "destroy", prefix, "-y"], env)
        assert process.stderr is not None
        seen = []  # servers go first, then their volumes: stop it once it says so
        while not all(any(f"server {n}: deleted" in line for line in seen) for n in names):
            line = process.stderr.readline()
            assert line, "the destroy ended before deleting the servers: " + "".join(seen)
            seen.append(line)
        process.send_signal(sent)
        _, rest = process.communicate(timeout=60)
        err = "".join(seen) + rest
    finally:
        client.delete(f"{behaviours}/{created.json()['behaviour']['id']}")
        client.close()
    assert process.returncode == code, err
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.startswith(f"{how}: deleted ")]
    deleted, _, rest = line.partition("; ")
    # each server is named once: deleted, or left when the destroy had not yet seen it gone
    assert all((f"server {n}" in deleted) != (f"server {n}" in rest) for n in names), line
    left = [name for name in volume_names(cloud) if name.startswith(prefix)]
    assert all(f"volume {name}" in rest and f"volume {name}" not in deleted for name in left)
    if rest != "nothing is left":  # what is left comes with the command that deletes it
        assert f"delete the rest with: powerbridge deploy destroy {prefix} --yes" in line
    again = subprocess.run(
        [sys.executable, "-m", "powerbridge", "deploy", "destroy", prefix, "-y"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert not [name for name in volume_names(cloud) if name.startswith(prefix)]
