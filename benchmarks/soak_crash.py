"""Crashes: the emulator SIGKILLed at seeded random moments during `deploy apply`, then restarted.

Each round runs `powerbridge deploy apply` (its own process, as a user runs it) of N VMs with
one volume each, SIGKILLs the emulator a seeded random moment after the apply started, waits
for the apply to give up, runs `powerbridge emulator check` on the dead emulator's data dir
(the state a restart loads), restarts the emulator and runs the same apply again (`--resume`
when the first was cut short). Then, read through the emulator's API: every VM of the round
exists exactly once, ACTIVE or ERROR with its fault, and so does its volume. The data dir is
kept across rounds, so later rounds crash on top of the earlier ones' state.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak_lab import Lab, duplicates, estate_file

HOSTS = 4
PER_HOST = 5
APPLY_TIMEOUT = 240.0
OS_VARIABLES = ("OS_CLOUD", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME")


@dataclass
class Round:
    number: int
    killed: str  # "emulator" or "apply"
    kill_after: float
    found_after_kill: int  # the round's VMs the restarted emulator (or the cloud) shows
    first_exit: int
    resumed: bool
    second_exit: int
    problems: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def pipe_spec(folder: Path, prefix: str, count: int) -> tuple[Path, list[str]]:
    names = [f"{prefix}-{n:02d}" for n in range(1, count + 1)]
    lines = [
        f"flavor_name=powervm.tiny|vm_name={name}|image_name=AIX72|vlan_name=cmbnet1"
        f"|lun_spec=1:1:svc82 base template:::crash data"
        for name in names
    ]
    path = folder / f"{prefix}.pipe"
    path.write_text("\n".join(lines) + "\n")
    return path, names


def cli_env(lab: Lab, store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(lab.env)
    env["POWERBRIDGE_STORE"] = str(store)
    return env


def apply(spec: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "powerbridge", "deploy", "apply", str(spec), "-y", *extra]
    return subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=APPLY_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return -9, err
    return process.returncode, err


def integrity(lab: Lab) -> list[str]:
    """`powerbridge emulator check` of the stopped emulator's data dir: its breach lines."""
    command = [sys.executable, "-m", "powerbridge", "emulator", "check", "--data", str(lab.data)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        return [f"emulator check failed ({result.returncode}): {result.stderr.strip()}"]
    return [] if result.returncode == 0 else result.stdout.splitlines()[:-1]


def one_round(
    lab: Lab, folder: Path, number: int, count: int, chance: random.Random, target: str
) -> Round:
    """`target` "emulator": SIGKILL the emulator, check its data dir, restart it; "apply":
    SIGKILL the `deploy apply` process instead. Then the same apply again."""
    started = time.perf_counter()
    spec, names = pipe_spec(folder, f"{target}{number:02d}", count)
    store = folder / "jobs.sqlite"
    kill_after = round(chance.uniform(0.5, 3.0), 2)
    process = apply(spec, cli_env(lab, store))
    time.sleep(kill_after)
    breaches: list[str] = []
    if target == "emulator":
        lab.kill()
        first_exit, _ = finish(process)
        breaches = integrity(lab)
        lab.start()
    else:
        process.kill()
        first_exit, _ = finish(process)
    found = sum(1 for row in lab.servers() if row["name"] in names)
    resumed = first_exit != 0
    second = apply(spec, cli_env(lab, store), *(["--resume"] if resumed else []))
    second_exit, second_err = finish(second)
    outcome = Round(
        number, target, kill_after, found, first_exit, resumed, second_exit, integrity=breaches
    )
    outcome.problems = check_round(lab, names, outcome)
    if second_exit not in (0, 3):
        outcome.problems.append(f"the second apply exited {second_exit}: {second_err[-300:]}")
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def check_round(lab: Lab, names: list[str], outcome: Round) -> list[str]:
    """Every VM of the round once, ACTIVE or ERROR with its fault; its volume once."""
    servers = [row for row in lab.servers() if row["name"] in names]
    volumes = [row for row in lab.volumes() if (row.get("name") or "").startswith(names[0][:-2])]
    problems = []
    prefix = names[0][:-2]
    for kind, twice in (
        ("VMs", duplicates(servers, prefix)),
        ("volumes", duplicates(volumes, prefix)),
    ):
        if twice:
            problems.append(f"{kind} made twice: {twice}")
    missing = sorted(set(names) - {row["name"] for row in servers})
    if missing:
        problems.append(f"VMs lost: {missing}")
    for row in servers:
        status = row["status"]
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        if status not in ("ACTIVE", "ERROR"):
            problems.append(f"{row['name']} is {status}, not ACTIVE or ERROR")
        elif status == "ERROR" and not (row.get("fault") or {}).get("message"):
            problems.append(f"{row['name']} is ERROR with no fault")
    return problems


def run_crashes(
    folder: Path, rounds: int, count: int, seed: int, speed: float, target: str = "emulator"
) -> list[Round]:
    lab = Lab(folder, estate_file(folder, HOSTS, PER_HOST), speed=speed)
    chance = random.Random(seed)
    lab.start()
    outcomes = []
    try:
        for number in range(1, rounds + 1):
            outcomes.append(one_round(lab, folder, number, count, chance, target))
    finally:
        lab.stop()
    final = integrity(lab)
    if final:
        outcomes[-1].integrity.extend(f"at the end: {line}" for line in final)
    return outcomes


def summary(outcomes: list[Round]) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        for status, number in outcome.statuses.items():
            statuses[status] = statuses.get(status, 0) + number
    return {
        "rounds": len(outcomes),
        "servers": sum(statuses.values()),
        "statuses": statuses,
        "resumed": sum(1 for o in outcomes if o.resumed),
        "problems": [f"round {o.number}: {p}" for o in outcomes for p in o.problems],
        "integrity": [f"round {o.number}: {p}" for o in outcomes for p in o.integrity],
        "seconds": round(sum(o.seconds for o in outcomes), 1),
    }
