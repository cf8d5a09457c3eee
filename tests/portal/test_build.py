"""A cluster submitted through the API is built by the portal's worker on the emulator (real
HTTP and SSH, the portal's own key), and its SSE stream delivers every step to the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest

from tests.portal.portal_lab import PortalLab, portal_fixture, stored_public_key  # noqa: F401

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()


def sse(answer: httpx.Response) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(event, id, data) of each message of a text/event-stream answer."""
    event, seq, data = "message", None, ""
    for line in answer.iter_lines():
        if not line:
            if data:
                yield event, seq, json.loads(data)
            event, seq, data = "message", None, ""
        elif line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("id: "):
            seq = line.removeprefix("id: ")
        elif line.startswith("data: "):
            data += line.removeprefix("data: ")


@pytest.fixture(scope="module", name="built")
def built_fixture(portal: PortalLab) -> Iterator[dict[str, Any]]:
    """The example submitted by otto (an operator), its events followed to the end."""
    with portal.signed_in("otto") as browser:
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        assert answer.headers["location"] == f"/api/v1/jobs/{job['id']}"
        with browser.stream("GET", f"/api/v1/jobs/{job['id']}/events", timeout=120) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            messages = list(sse(stream))
        yield {"job": job, "messages": messages, "browser": browser}


def test_the_create_is_queued_for_the_worker(built: dict[str, Any]) -> None:
    job = built["job"]
    assert (job["kind"], job["action"], job["target"]) == ("cluster", "create", "appha")
    assert job["status"] == "queued"
    assert job["owner"] == "otto"
    assert job["source"] == "portal"


def test_the_stream_delivers_every_step_through_to_succeeded(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    messages = built["messages"]
    *progress, end = messages
    assert end[0] == "end"
    assert end[2] == {"status": "succeeded", "job": built["job"]["id"]}
    seqs = [int(seq) for _, seq, _ in progress]
    assert seqs == list(range(1, len(seqs) + 1))  # every event once, in order
    done = [
        data["name"]
        for _, _, data in progress
        if data["message"].startswith(f"{data['name']}: done")
    ]
    with portal.signed_in("otto") as browser:
        detail = browser.get(f"/api/v1/jobs/{built['job']['id']}").json()["job"]
    steps = [step["name"] for step in detail["steps"]]
    assert len(steps) > 10
    assert "application" in steps
    assert done == steps  # each step's end, in the order they ran


def test_the_job_shows_its_steps_and_their_commands(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    job_id = built["job"]["id"]
    with portal.signed_in("vera") as viewer:  # same project: a viewer sees it
        detail = viewer.get(f"/api/v1/jobs/{job_id}").json()["job"]
        assert detail["status"] == "succeeded"
        assert {step["state"] for step in detail["steps"]} == {"done"}
        commands = [c for step in detail["steps"] for c in step["commands"]]
        assert {c["node"] for c in commands} == {"appha-node1", "appha-node2"}
        assert any("+ clmgr add cluster appha" in c["stdout"] for c in commands)
        assert set(detail["nodes"]) == {"appha-node1", "appha-node2"}
        clusters = viewer.get("/api/v1/clusters").json()["clusters"]
        assert [(c["name"], c["state"]) for c in clusters] == [("appha", "active")]
        page = viewer.get(f"/jobs/{job_id}").text
        assert '<details data-step="cluster">' in page
        assert "+ clmgr add cluster appha" in page


def test_the_nodes_exist_in_powervc_made_by_their_user(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    assert built["job"]["id"]
    http, identity = portal.aix.http, portal.aix.running.auth_url
    otto = http.get(f"{identity}/users", params={"name": "otto"}).json()["users"][0]["id"]
    servers = http.get(f"{portal.aix.compute}/servers/detail").json()["servers"]
    states = {s["name"]: (s["status"], s["user_id"]) for s in servers}
    # made with otto's application credential, not the portal's own account (root)
    assert states == {"appha-node1": ("ACTIVE", otto), "appha-node2": ("ACTIVE", otto)}
    keys = http.get(
        f"{portal.aix.compute}/os-keypairs",
        params={"user_id": otto},
        headers={"OpenStack-API-Version": "compute 2.10"},
    ).json()["keypairs"]
    public = stored_public_key(portal).split()[1]  # made from the portal's key (keys.py)
    assert [k["keypair"]["public_key"].split()[1] for k in keys] == [public]


def test_another_project_does_not_see_the_job(portal: PortalLab, built: dict[str, Any]) -> None:
    with portal.signed_in("pat", "lab2") as other:
        assert other.get(f"/api/v1/jobs/{built['job']['id']}").status_code == 404
        assert other.get("/api/v1/clusters").json() == {"clusters": []}


def test_a_reconnecting_stream_resumes_after_the_last_event_id(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    job_id = built["job"]["id"]
    total = len(built["messages"]) - 1
    with portal.signed_in("otto") as browser:
        url = f"/api/v1/jobs/{job_id}/events"
        headers = {"Last-Event-ID": str(total - 2)}
        with browser.stream("GET", url, headers=headers) as stream:
            messages = list(sse(stream))
    assert [seq for _, seq, _ in messages] == [str(total - 1), str(total), None]
    assert messages[-1][0] == "end"


def test_the_dashboard_shows_the_cluster_and_its_job(
    portal: PortalLab, built: dict[str, Any]
) -> None:
    with portal.signed_in("otto") as browser:
        page = browser.get("/").text
    assert '<td><a href="/clusters/appha">appha</a></td>' in page
    assert '<span class="badge active">active</span>' in page
    assert f'<a href="/jobs/{built["job"]["id"]}">' in page
