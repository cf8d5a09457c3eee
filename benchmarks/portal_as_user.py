"""What running each portal job as its user costs: a day-two action's answer and its whole job.

A portal (one worker) on loopback beside an in-process emulator (instant clock, AIX nodes),
as the portal tests run them; otto (a member) builds the 2-node example through the API,
then fails its group over ROUNDS times, back and forth. Each failover makes, at its submit,
an application credential of otto's (Keystone), runs with it, and deletes it at its end.
Printed, as medians and p95 over the rounds:
- the baseline, measured in the same run: one application credential made and deleted at
  Keystone with otto's token (what the portal adds to each job, both calls);
- a failover's answer (POST to 202: the checks, the credential, the job made);
- a failover's whole job (POST to the SSE stream's `end`);
and the ratios of the baseline to each. No target is judged: the figures say what share of
an action the credential is.

    python benchmarks/portal_as_user.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the tests' emulator lab and portal helpers

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
NODES = ("appha-node2", "appha-node1")


def summary(name: str, seconds: list[float]) -> float:
    ordered = sorted(seconds)
    median = statistics.median(ordered) * 1000
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000
    print(f"{name:<44} median {median:8.1f} ms   p95 {p95:8.1f} ms   (n={len(ordered)})")
    return median


def credential_round_trips(auth_url: str, token: str, user_id: str, rounds: int) -> list[float]:
    """Make and delete one credential per round, as the portal does per job."""
    from powerbridge.client import CloudConfig
    from powerbridge.client.app_credentials import AppCredentials

    async def measure() -> list[float]:
        taken = []
        async with AppCredentials(CloudConfig(auth_url=auth_url)) as keystone:
            for number in range(rounds):
                started = time.perf_counter()
                made = await keystone.create(
                    token,
                    user_id,
                    name=f"bench-{number}",
                    expires_at=datetime.now(UTC) + timedelta(days=1),
                    roles=["member"],
                    description="benchmark",
                )
                await keystone.delete(token, user_id, made.id)
                taken.append(time.perf_counter() - started)
        return taken

    return asyncio.run(measure())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds

    from tests.emulator.aix.ssh_support import lab, lab_config
    from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving
    from tests.portal.test_build import sse

    def follow(client: object, job_id: int) -> str:
        with client.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=300) as stream:  # type: ignore[attr-defined]
            *_, end = list(sse(stream))
        return str(end[2]["status"])

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        with lab(lab_config(directory / "emulator", directory / "logs")) as aix:
            add_users(aix)
            settings = portal_settings(aix, directory)
            with serving(settings) as url:
                portal = PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)
                token = portal.keystone_token("otto")
                with portal.client(headers={"X-Auth-Token": token}) as otto:
                    built = otto.post(
                        "/api/v1/clusters",
                        content=EXAMPLE,
                        headers={"Content-Type": "application/yaml"},
                    )
                    if built.status_code != 202 or follow(otto, built.json()["job"]["id"]) != (
                        "succeeded"
                    ):
                        print(f"the cluster was not built: {built.text}")
                        return 1
                    answers, wholes = [], []
                    for number in range(rounds):
                        started = time.perf_counter()
                        target = {"to": NODES[number % 2]}
                        answer = otto.post("/api/v1/clusters/appha/failover", json=target)
                        answered = time.perf_counter()
                        if answer.status_code != 202:
                            print(f"failover {number} refused: {answer.text}")
                            return 1
                        if follow(otto, answer.json()["job"]["id"]) != "succeeded":
                            print(f"failover {number} did not succeed")
                            return 1
                        answers.append(answered - started)
                        wholes.append(time.perf_counter() - started)
                users = aix.http.get(f"{aix.running.auth_url}/users", params={"name": "otto"})
                otto_id = users.json()["users"][0]["id"]
                baseline = credential_round_trips(aix.running.auth_url, token, otto_id, rounds)
    print(f"{rounds} failovers of a 2-node cluster, each run as otto with its own credential")
    credential = summary("baseline: a credential made and deleted", baseline)
    answer = summary("failover answered (POST to 202)", answers)
    whole = summary("failover job (POST to its end)", wholes)
    shares = f"credential / answer: {credential / answer:.2f}"
    print(f"{shares}   credential / job: {credential / whole:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
