"""Cancelling a job from the portal, on an emulator whose clock moves only when told: a
queued job is cancelled at once; a running deployment stops (no new create), ends
`cancelled` with what it made in its summary, is refused a fresh apply and is resumed by the
CLI's `deploy apply --resume`, as an interrupted one is, with nothing created twice; a
cluster create lets its step in progress finish, stops before the next one and is
continued by a resume."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from powerbridge.jobs import ItemState, JobStore
from tests.emulator.aix.ssh_support import lab, lab_config
from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving
from tests.portal.test_build import EXAMPLE
from tests.portal.test_deployments import PIPE, TEXT, follow, servers_named
from tests.support.clirun import Shell

POLL_SECONDS = 0.05
POLLS = 400  # 20 s at most for the worker to reach a state


@pytest.fixture(scope="module", name="manual")
def manual_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalLab]:
    """A portal (its worker's lease 0.6 s: a cancel is seen within 0.2 s) over an emulator
    with a manual clock: servers stay in BUILD until the test advances it."""
    directory = tmp_path_factory.mktemp("cancel")
    config = lab_config(directory / "emulator", directory / "logs", clock="manual")
    with lab(config) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory, lease_seconds=0.6)
        with serving(settings) as url:
            yield PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)


@pytest.fixture(scope="module", name="otto")
def otto_fixture(manual: PortalLab) -> Iterator[httpx.Client]:
    with manual.signed_in("otto") as browser:
        browser.headers["X-CSRF-Token"] = manual.csrf(browser)
        yield browser


def job_of(browser: httpx.Client, job_id: int) -> dict[str, Any]:
    found: dict[str, Any] = browser.get(f"/api/v1/jobs/{job_id}").json()["job"]
    return found


def until_building(lab: PortalLab, browser: httpx.Client, job_id: int) -> dict[str, Any]:
    """Advance the clock until both servers were sent (their volumes ready) and are in BUILD."""
    for _ in range(POLLS):
        job = job_of(browser, job_id)
        states = {i["name"]: i["state"] for i in job["items"] if i["kind"] == "server"}
        if len(states) == 2 and set(states.values()) == {"building"}:
            return job
        volumes = [i["state"] for i in job["items"] if i["kind"] == "volume"]
        if not volumes or any(state != "done" for state in volumes):
            lab.aix.advance(1)  # the volumes get ready; the servers' creates then go out
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"job {job_id} never had both servers building: {job}")


def test_a_queued_job_is_cancelled_at_once(manual: PortalLab, otto: httpx.Client) -> None:
    store = JobStore.open(str(manual.store_path))
    try:  # a kind no worker of this portal runs: it stays queued
        queued = store.enqueue("report", "nightly", action="make", project=None)
    finally:
        store.close()
    answer = otto.post(f"/api/v1/jobs/{queued.id}/cancel")
    assert answer.status_code == 200, answer.text
    assert answer.json()["job"]["status"] == "cancelled"
    assert answer.json()["cancel_requested"] is False
    again = otto.post(f"/api/v1/jobs/{queued.id}/cancel")
    assert again.status_code == 409
    assert "has ended (cancelled)" in again.json()["error"]["message"]
    assert "Cancelled before it started" in otto.get(f"/jobs/{queued.id}").text


def test_a_running_job_whose_runner_is_gone_is_ended_cancelled_at_once(
    manual: PortalLab, otto: httpx.Client
) -> None:
    store = JobStore.open(str(manual.store_path))
    try:  # a worker that claimed it and vanished: its lease ran out
        queued = store.enqueue("report", "monthly", action="make")
        assert store.claim_next("ghost", kinds=["report"], lease_seconds=0.01) is not None
        store.put_item(queued.id, "volume", "scratch-1", ItemState.DONE, created_here=True)
    finally:
        store.close()
    time.sleep(0.05)
    answer = otto.post(f"/api/v1/jobs/{queued.id}/cancel")
    assert answer.status_code == 200, answer.text
    job = answer.json()["job"]
    assert job["status"] == "cancelled"
    assert job["summary"]["created"] == {"volume": ["scratch-1"]}


def test_the_job_pages_cancel_button_posts_with_the_csrf_token(
    manual: PortalLab, otto: httpx.Client
) -> None:
    store = JobStore.open(str(manual.store_path))
    try:
        queued = store.enqueue("report", "weekly", action="make")
    finally:
        store.close()
    with manual.signed_in("otto") as browser:  # a form post: the token in the form only
        page = browser.get(f"/jobs/{queued.id}").text
        assert f'<form id="cancel-form" method="post" action="/jobs/{queued.id}/cancel">' in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        refused = browser.post(f"/jobs/{queued.id}/cancel", data={"csrf_token": "x"})
        assert refused.status_code == 403
        answer = browser.post(f"/jobs/{queued.id}/cancel", data={"csrf_token": token[1]})
        assert (answer.status_code, answer.headers["location"]) == (303, f"/jobs/{queued.id}")
    assert job_of(otto, queued.id)["status"] == "cancelled"


def test_cancel_needs_an_operator_and_the_csrf_token(manual: PortalLab) -> None:
    with manual.signed_in("vera") as vera:
        vera.headers["X-CSRF-Token"] = manual.csrf(vera)
        assert vera.post("/api/v1/jobs/1/cancel").status_code == 403
        assert 'id="cancel-form"' not in vera.get("/jobs/1").text
    with manual.signed_in("otto") as browser:
        refused = browser.post("/api/v1/jobs/1/cancel")  # no X-CSRF-Token
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["error"]["message"]
        assert browser.post(
            "/api/v1/jobs/999/cancel", headers={"X-CSRF-Token": "x"}
        ).status_code in (
            403,
            404,
        )


def test_a_running_apply_stops_is_cancelled_and_the_cli_resumes_it(
    manual: PortalLab,
    otto: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = otto.post("/api/v1/deployments?name=slow", content=PIPE, headers=TEXT)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job"]["id"]
    until_building(manual, otto, job_id)
    page = otto.get(f"/jobs/{job_id}").text
    assert "Cancel the job" in page
    asked = otto.post(f"/api/v1/jobs/{job_id}/cancel")
    assert asked.status_code == 202, asked.text
    assert asked.json()["cancel_requested"] is True
    _, status = follow(otto, job_id)
    assert status == "cancelled"
    summary = job_of(otto, job_id)["summary"]
    assert sorted(summary["created"]["server"]) == ["testvm3", "testvm4"]
    assert len(summary["created"]["volume"]) == 2
    assert {s["status"] for s in servers_named(manual, "testvm")} == {"BUILD"}
    assert "Created: " in otto.get(f"/jobs/{job_id}").text

    fresh = otto.post("/api/v1/deployments?name=slow", content=PIPE, headers=TEXT)
    assert fresh.status_code == 409
    assert "stopped (cancelled)" in fresh.json()["error"]["message"]

    spec = tmp_path / "slow.pipe"
    spec.write_text(PIPE)
    sh = Shell(monkeypatch, capsys, manual.aix.running.env())
    store = ["--store", str(manual.store_path)]
    refused = sh("deploy", "apply", str(spec), "--yes", *store)
    assert refused.code == 1
    assert f"(job {job_id}) was cancelled; run the same command with --resume" in refused.err
    manual.aix.advance(600)  # the servers finish building
    sh.ok("deploy", "apply", str(spec), "--yes", "--resume", *store)
    finished = job_of(otto, job_id)
    assert finished["status"] == "succeeded"
    made = servers_named(manual, "testvm")
    assert sorted(s["name"] for s in made) == ["testvm3", "testvm4"]  # nothing twice
    assert {s["status"] for s in made} == {"ACTIVE"}


def advance_until(lab: PortalLab, done: Callable[[], bool], step_seconds: float) -> None:
    for _ in range(POLLS):
        if done():
            return
        lab.aix.advance(step_seconds)
        time.sleep(POLL_SECONDS)
    raise AssertionError("the job never got there")


def step_state(browser: httpx.Client, job_id: int, name: str) -> str | None:
    steps = {s["name"]: s["state"] for s in job_of(browser, job_id)["steps"]}
    return steps.get(name)


def test_a_cluster_create_stops_at_the_next_step_boundary(
    manual: PortalLab, otto: httpx.Client
) -> None:
    headers = {"Content-Type": "application/yaml"}
    answer = otto.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job"]["id"]
    # wall time only: the deploy starts without the clock; advancing it could finish the boots
    advance_until(manual, lambda: step_state(otto, job_id, "deploy") == "building", 0)
    assert otto.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 202
    # the deploy step in progress runs to its end (its servers come up), then nothing more
    advance_until(manual, lambda: job_of(otto, job_id)["status"] == "cancelled", 5)
    job = job_of(otto, job_id)
    assert step_state(otto, job_id, "deploy") == "done"
    assert step_state(otto, job_id, "ssh") == "pending"
    summary = job["summary"]
    assert summary["cancelled_before"] == "ssh"
    assert "deploy" in summary["steps_done"]
    assert sorted(summary["created"]["server"]) == ["appha-node1", "appha-node2"]
    assert {s["status"] for s in servers_named(manual, "appha-node")} == {"ACTIVE"}
    store = JobStore.open(str(manual.store_path))
    try:
        events = [e.message for e in store.events(job_id)]
    finally:
        store.close()
    assert "ssh: cancelled: not started: the job was cancelled" in events
    again = otto.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
    assert again.status_code == 409
    assert "stopped (cancelled)" in again.json()["error"]["message"]
    assert "?resume=true" in again.json()["error"]["hint"]
    resumed = otto.post("/api/v1/clusters?resume=true", content=EXAMPLE, headers=headers)
    assert resumed.status_code == 202, resumed.text
    assert resumed.json()["job"]["id"] == job_id  # the same job, continued
    advance_until(manual, lambda: job_of(otto, job_id)["status"] == "succeeded", 60)
    assert step_state(otto, job_id, "deploy") == "done"
    assert len(servers_named(manual, "appha-node")) == 2  # nothing made twice
