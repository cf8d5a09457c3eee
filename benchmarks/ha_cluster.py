"""HA create on the emulator's real clock: wall time against the critical path, 2 against 8
nodes, SSH connections per node, and the same node commands run node by node.

One emulator (its own process, `--clock real --speed X`) with an estate of HOSTS hosts, all in
the SCG the shipped ha-2node example names (its hard anti-affinity needs a host per node).
Measured in the same run, each on fresh nodes:

- a 2-node and an 8-node create (the shipped example, more nodes): `create_cluster`'s steps
  and executor, run here as it runs them so its `connections_opened` can be read;
- baseline: the 8-node create with the node commands run node by node (prepare, then each
  disks phase, one node after another over its one connection, as a script on one node would).

Ideal (critical path) = the estate's emulated durations / speed: volume create, deploy
(scheduling, block device mapping, networking, spawning), AIX boot, then cluster sync, CAA
create, node join and barrier, group acquire (the clmgr steps), plus one preparation round
(the baseline's prepare + disks time per node: commands take no emulated time, only real).
Targets: wall / ideal <= 1.2; 8-node wall <= 1.3 x 2-node wall; exactly 1 SSH connection
per node. Figures only: the exit status is 0 (a failed create is printed, not raised).

The speed divides the emulated waits, not the real work (HTTP calls, SSH round trips, the
emulator interpreting the node scripts: about a second per create here), so wall / ideal
is not scale-independent: it approaches 1 as the speed approaches 1 (PowerVC's pace) and
grows past the target above speed ~10 on 2 cores. The default, 5, keeps a run near a minute.

    python benchmarks/ha_cluster.py [--speed X] [--nodes N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import asyncssh
import yaml

HOSTS = 8
SCG = "rack1 NPIV"  # the example's storage connectivity group
DEPLOY = ("volume_create", "scheduling", "block_device_mapping", "networking", "spawning")
CLMGR = ("cluster_sync", "caa_create", "cluster_join", "cluster_barrier", "rg_acquire")
TARGET_IDEAL, TARGET_SCALE = 1.2, 1.3
NODE_STEPS = ("prepare", "disks")


@dataclass
class Outcome:
    name: str
    nodes: int
    wall: float
    connections: int
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def preparation(self) -> float:
        return sum(self.steps.get(step, 0.0) for step in NODE_STEPS)


# -- the estate and the emulator ---------------------------------------------------------------
def estate_file(folder: Path, hosts: int) -> tuple[Path, dict[str, float]]:
    """The default estate with `hosts` POWER9 hosts, every one in the example's SCG."""
    text = resources.files("powerbridge.emulator").joinpath("default_estate.yaml").read_text()
    estate = yaml.safe_load(text)
    template = estate["hosts"][-1]
    estate["hosts"] = [
        {**template, "name": f"9009-42A_BENCH{n:02d}", "display_name": f"bench-host{n}"}
        for n in range(1, hosts + 1)
    ]
    for group in estate["storage_connectivity_groups"]:
        group["hosts"] = [host["name"] for host in estate["hosts"]]
    estate["host_groups"] = []
    estate["unmanaged_lpars"] = []  # on a default host; their volumes go with them
    estate["unmanaged_volumes"] = []
    path = folder / "estate.yaml"
    path.write_text(yaml.safe_dump(estate))
    return path, {name: float(value) for name, value in estate["timings"].items()}


def powerbridge(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "powerbridge", *args]
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)


@contextmanager
def emulator(folder: Path, estate: Path, speed: float) -> Iterator[dict[str, str]]:
    """A detached emulator process (so its work does not share our interpreter); its env."""
    data = str(folder / "data")
    started = powerbridge(
        "emulator", "start", "--port", "0", "--data", data, "--estate", str(estate),
        "--clock", "real", "--speed", str(speed), "--ssh-ports", "0-0", "--detach",
    )  # fmt: skip
    if started.returncode:
        raise SystemExit(f"the emulator did not start: {started.stderr.strip()}")
    try:
        env = {}
        for line in powerbridge("emulator", "env", "--data", data).stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                env[key] = value.strip("'\"")
        yield env
    finally:
        powerbridge("emulator", "stop", "--data", data)


# -- the clusters ------------------------------------------------------------------------------
def cluster_spec(name: str, nodes: int, address: str, key: Path) -> Any:
    """The shipped ha-2node example as `name` with `nodes` nodes and its own service IP."""
    from powerbridge.ha.spec import parse_cluster_spec

    text = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
    body = yaml.safe_load(text)
    body["name"] = name
    body["nodes"]["count"] = nodes
    body["ssh"] = {"key_pair": f"{name}-key", "private_key": str(key)}
    body["service_ip"] = {"label": f"{name}-svc", "address": address}
    body["resource_group"]["name"] = f"{name}_rg"
    body["application"]["name"] = f"{name}_app"
    body["application"]["monitor"]["name"] = f"{name}_mon"
    return parse_cluster_spec(yaml.safe_dump(body, sort_keys=False), source=f"{name}.yaml")


async def build(
    env: dict[str, str], spec: Any, store_path: Path, key: Path, sequential: bool
) -> Outcome:
    """Run the create steps as `create_cluster` does; `sequential`: node commands node by node."""
    from powerbridge.client import Cloud, load_config
    from powerbridge.ha.create_steps import STEP_FUNCTIONS
    from powerbridge.ha.executor import NodeExecutor
    from powerbridge.ha.identity import load_identity
    from powerbridge.ha.journal import Journal, StepEvent, start_job
    from powerbridge.ha.workflow import Build, run_steps
    from powerbridge.jobs import JobStatus, JobStore

    class NodeByNode(Build):
        async def run_all(self, step: str, commands: list[Any]) -> list[Any]:
            return [await self.run(step, command) for command in commands]

    steps: dict[str, float] = {}

    def progress(event: StepEvent) -> None:
        if event.state == "running":
            steps[event.step] = -event.elapsed
        elif event.state == "done" and event.step in steps:
            steps[event.step] += event.elapsed

    identity = load_identity(str(key), None, env={}, interactive=False)
    store = JobStore.open(str(store_path))
    executor = NodeExecutor(
        identity, ssh_configs=[Path(env["POWERBRIDGE_SSH_CONFIG"])], cluster=spec.name
    )
    started = time.perf_counter()
    try:
        async with Cloud.connect(config=load_config(environ=env, search_path=[])) as cloud:
            job = start_job(store, spec.name, resume=False, source=None, spec={})
            journal = Journal(store, job, progress)
            kind = NodeByNode if sequential else Build
            async with executor:
                await run_steps(kind(cloud, spec, journal, executor, identity), STEP_FUNCTIONS)
            store.finish(job.id, JobStatus.SUCCEEDED, {})
    finally:
        store.close()
    wall = time.perf_counter() - started
    label = f"{len(spec.nodes)} nodes" + (", node by node" if sequential else "")
    return Outcome(label, len(spec.nodes), wall, executor.connections_opened, steps)


# -- the figures -------------------------------------------------------------------------------
def critical_path(timings: dict[str, float], speed: float) -> tuple[float, float]:
    """(deploy part, clmgr part) of the ideal, real seconds on a clock `speed` times faster."""
    return (
        sum(timings[name] for name in (*DEPLOY, "aix_boot")) / speed,
        sum(timings[name] for name in CLMGR) / speed,
    )


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def report(runs: dict[str, Outcome], timings: dict[str, float], speed: float) -> None:
    """The table, the ratios against their targets, the steps side by side."""
    two, many, by_node = runs.get("2"), runs.get("n"), runs.get("node by node")
    if two is None or many is None or by_node is None:
        print("a create failed: no ratios (see its line above)")
        return
    deploy, clmgr = critical_path(timings, speed)
    round_seconds = by_node.preparation / by_node.nodes
    ideal = deploy + round_seconds + clmgr
    print(
        f"\nclock real, speed {speed:g}: ideal {ideal:.2f} s = volume, deploy and boot "
        f"{deploy:.2f} + one preparation round {round_seconds:.2f} (measured node by node, "
        f"per node) + clmgr steps {clmgr:.2f} (sync, CAA, join, barrier, acquire)\n"
    )
    print(f"{'create':22s} {'wall s':>7s} {'wall/ideal':>10s} {'prepare+disks s':>15s} ssh/node")
    for outcome in (two, many, by_node):
        print(
            f"{outcome.name:22s} {outcome.wall:7.2f} {outcome.wall / ideal:10.2f} "
            f"{outcome.preparation:15.2f} {outcome.connections / outcome.nodes:8.2f}"
        )
    worst = max(two.wall, many.wall) / ideal
    scale = many.wall / two.wall
    per_node = max(o.connections / o.nodes for o in (two, many, by_node))
    checks = [
        ("wall / ideal (the worse)", worst, f"<= {TARGET_IDEAL}", verdict(worst, TARGET_IDEAL)),
        (
            f"{many.nodes}-node / {two.nodes}-node wall",
            scale,
            f"<= {TARGET_SCALE}",
            verdict(scale, TARGET_SCALE),
        ),
        ("SSH connections per node", per_node, "1", "met" if per_node == 1 else "MISSED"),
    ]
    print()
    for what, value, target, word in checks:
        print(f"{what:26s} {value:6.2f}  target {target:7s} {word}")
    print(
        f"node by node / parallel    {by_node.wall / many.wall:6.2f}  (whole create; prepare + "
        f"disks {by_node.preparation / max(many.preparation, 1e-9):.2f})\n"
    )
    print(f"{'step (s)':12s} " + " ".join(f"{o.name:>22s}" for o in (two, many, by_node)))
    for step in many.steps:
        print(
            f"{step:12s} "
            + " ".join(f"{o.steps.get(step, 0.0):22.2f}" for o in (two, many, by_node))
        )


async def measure(env: dict[str, str], folder: Path, nodes: int) -> dict[str, Outcome]:
    """The three creates, one after another on fresh nodes: role -> outcome."""
    from powerbridge.ha.errors import HAError

    key = asyncssh.generate_private_key("ssh-ed25519")
    path = folder / "id_ed25519"
    key.write_private_key(str(path))
    path.chmod(0o600)
    store = folder / "jobs.db"
    plan = [
        ("2", "bench2", 2, "192.168.100.251", False),
        ("n", "bench8", nodes, "192.168.100.252", False),
        ("node by node", "benchseq", nodes, "192.168.100.253", True),
    ]
    runs = {}
    for role, name, count, address, sequential in plan:
        spec = cluster_spec(name, count, address, path)
        try:
            outcome = await build(env, spec, store, path, sequential)
        except HAError as failure:  # the figures of the others still print
            print(f"  {name}: the create failed: {failure}", flush=True)
            continue
        print(f"  {outcome.name}: {outcome.wall:.2f} s", flush=True)
        runs[role] = outcome
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=5.0, help="emulated s per real s")
    parser.add_argument("--nodes", type=int, default=8, help="the larger cluster's nodes")
    parser.add_argument("--quick", action="store_true", help="speed 20, 4 nodes (~25 s)")
    args = parser.parse_args()
    speed, nodes = (20.0, 4) if args.quick else (args.speed, args.nodes)
    with tempfile.TemporaryDirectory(prefix="ha-bench-") as scratch:
        folder = Path(scratch)
        estate, timings = estate_file(folder, max(HOSTS, nodes))
        with emulator(folder, estate, speed) as env:
            runs = asyncio.run(measure(env, folder, nodes))
    report(runs, timings, speed)


if __name__ == "__main__":
    main()
