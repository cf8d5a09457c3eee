"""Batch deployments through the portal's API and pages: a pipe or YAML spec planned with the
user's token, applied by the portal's worker as the CLI's `deploy apply` job, followed over
SSE, listed, shown and reported in the CLI's `--report` format; proven by what exists in the
emulator. Bad specs answer 422 with every problem located; viewers plan, never apply."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest

from powerbridge.deploy.service import deployments
from powerbridge.jobs import JobStore
from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401
from tests.portal.test_build import sse

PIPE = resources.files("powerbridge.examples").joinpath("two-vms.pipe").read_text()
YAML_SPEC = """\
deployment: webtier
servers:
  - name: web1
    template: powervm.small
    image: PowerHA713
    networks: [cmbnet1]
"""
TEXT = {"Content-Type": "text/plain"}


def follow(browser: httpx.Client, job_id: int) -> tuple[list[dict[str, Any]], str]:
    """The job's progress events and its final status, read over SSE to the end."""
    with browser.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=120) as stream:
        messages = list(sse(stream))
    *progress, end = messages
    assert end[0] == "end"
    return [data for _, _, data in progress], str(end[2]["status"])


def servers_named(portal: PortalLab, prefix: str) -> list[dict[str, Any]]:
    """What PowerVC (the emulator) holds, read with an administrator's token."""
    found = portal.aix.http.get(f"{portal.aix.compute}/servers/detail").json()["servers"]
    return [s for s in found if s["name"].startswith(prefix)]


@pytest.fixture(scope="module", name="otto")
def otto_fixture(portal: PortalLab) -> Iterator[httpx.Client]:
    with portal.signed_in("otto") as browser:
        browser.headers["X-CSRF-Token"] = portal.csrf(browser)
        yield browser


@pytest.fixture(scope="module", name="applied")
def applied_fixture(portal: PortalLab, otto: httpx.Client) -> dict[str, Any]:
    """The shipped two-VM pipe spec applied by otto, followed to its end."""
    answer = otto.post("/api/v1/deployments?name=twovms", content=PIPE, headers=TEXT)
    assert answer.status_code == 202, answer.text
    job = answer.json()["job"]
    assert answer.headers["location"] == f"/api/v1/jobs/{job['id']}"
    events, status = follow(otto, job["id"])
    return {"job": job, "events": events, "status": status}


def test_a_viewer_plans_a_pipe_spec_as_the_cli_does_and_may_not_apply(
    portal: PortalLab,
) -> None:
    with portal.signed_in("vera") as vera:
        unasked = vera.post("/api/v1/deployments/plan?name=twovms", content=PIPE, headers=TEXT)
        assert unasked.status_code == 403  # a browser's plan carries the CSRF token
        assert "CSRF token" in unasked.json()["error"]["message"]
        vera.headers["X-CSRF-Token"] = portal.csrf(vera)
        planned = vera.post("/api/v1/deployments/plan?name=twovms", content=PIPE, headers=TEXT)
        assert planned.status_code == 200, planned.text
        plan = planned.json()["plan"]
        assert plan["ok"]
        assert plan["deployment"] == "twovms"
        created = {(row["kind"], row["name"]) for row in plan["rows"] if row["action"] == "create"}
        assert {("server", "testvm3"), ("server", "testvm4")} <= created
        refused = vera.post("/api/v1/deployments?name=twovms", content=PIPE, headers=TEXT)
        assert refused.status_code == 403
        assert "viewers change nothing" in refused.json()["error"]["message"]
        page = vera.get("/deployments").text
        assert ">Plan</button>" in page
        assert "Deploy</button>" not in page
    assert servers_named(portal, "testvm") == []  # a plan creates nothing


def test_another_project_sees_neither_the_deployment_nor_its_report(
    portal: PortalLab, applied: dict[str, Any]
) -> None:
    with portal.signed_in("pat", project="lab2") as pat:
        assert pat.get("/api/v1/deployments").json() == {"deployments": []}
        assert pat.get("/api/v1/deployments/twovms").status_code == 404
        assert pat.get("/api/v1/deployments/twovms/report").status_code == 404
        assert pat.get(f"/api/v1/jobs/{applied['job']['id']}").status_code == 404


def test_the_worker_applies_it_as_the_clis_apply_job_and_sse_follows_each_vm(
    portal: PortalLab, applied: dict[str, Any]
) -> None:
    assert applied["status"] == "succeeded"
    named = {e["name"] for e in applied["events"] if e["kind"] == "server"}
    assert named == {"testvm3", "testvm4"}
    made = servers_named(portal, "testvm")
    assert sorted(s["name"] for s in made) == ["testvm3", "testvm4"]
    assert {s["status"] for s in made} == {"ACTIVE"}
    assert {s["metadata"]["powerbridge:deployment"] for s in made} == {"twovms"}
    store = JobStore.open(str(portal.store_path))
    try:
        job = store.job(applied["job"]["id"])
        listed = {row["deployment"]: row for row in deployments(store)}  # `deploy list`
    finally:
        store.close()
    assert (job.kind, job.action, job.target, job.owner) == (
        "deployment",
        "apply",
        "twovms",
        "otto",
    )
    assert listed["twovms"]["status"] == "succeeded"
    assert listed["twovms"]["servers"] == 2


def test_the_report_is_the_clis_and_the_deployment_is_listed_and_shown(
    portal: PortalLab, otto: httpx.Client, applied: dict[str, Any]
) -> None:
    rows = otto.get("/api/v1/deployments").json()["deployments"]
    assert [r["name"] for r in rows] == ["twovms"]
    assert rows[0]["servers"] == 2
    shown = otto.get("/api/v1/deployments/twovms").json()["deployment"]
    assert shown["jobs"][0]["id"] == applied["job"]["id"]
    answer = otto.get("/api/v1/deployments/twovms/report")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    report = answer.json()
    keys = {"deployment", "job", "status", "seconds", "calls", "failed", "notes", "resources"}
    assert set(report) == keys
    assert report["status"] == "succeeded"
    servers = {r["name"]: r for r in report["resources"] if r["kind"] == "server"}
    ids = {s["name"]: s["id"] for s in servers_named(portal, "testvm")}
    assert {name: r["id"] for name, r in servers.items()} == ids
    assert all(r["status"] == "ACTIVE" and r["changed"] for r in servers.values())
    # applied as otto, a member: PowerVC shows a server's host to administrators only
    assert [r["host"] for r in servers.values()] == [None, None]
    summary = otto.get(f"/api/v1/jobs/{applied['job']['id']}").json()["job"]["summary"]
    assert sorted(summary["created"]["server"]) == ["testvm3", "testvm4"]
    assert otto.get("/api/v1/deployments/nothere").status_code == 404


def test_applying_it_again_changes_nothing_and_records_no_job(
    portal: PortalLab, otto: httpx.Client, applied: dict[str, Any]
) -> None:
    again = otto.post("/api/v1/deployments?name=twovms", content=PIPE, headers=TEXT)
    assert again.status_code == 200, again.text
    assert again.json() == {
        "job": None,
        "message": "nothing to do: deployment twovms is up to date",
    }
    assert len(servers_named(portal, "testvm")) == 2


def test_a_bad_spec_answers_422_with_each_problem_located(otto: httpx.Client) -> None:
    bad = PIPE.replace("lun_spec=1:3:", "lun_spec=1:x:").replace("vm_name=testvm4", "vm_nam=t")
    answer = otto.post("/api/v1/deployments/plan?name=bad", content=bad, headers=TEXT)
    assert answer.status_code == 422
    error = answer.json()["error"]
    located = {(p["line"], p["key"]) for p in error["located"]}
    assert (1, "lun_spec") in located
    assert any(line == 2 for line, _ in located)
    assert error["problems"][0].startswith("<spec>:1:")
    yaml_bad = YAML_SPEC.replace("powervm.small", "[1, 2]")
    answer = otto.post("/api/v1/deployments/plan", json={"spec": yaml_bad, "file_name": "web.yaml"})
    assert answer.status_code == 422
    assert answer.json()["error"]["located"][0]["key"] == "servers[0].template"
    assert answer.json()["error"]["problems"][0].startswith("web.yaml:4:15: servers[0].template")


def test_a_yaml_spec_and_json_body_plan_and_user_data_files_are_refused(
    otto: httpx.Client,
) -> None:
    answer = otto.post("/api/v1/deployments/plan", json={"spec": YAML_SPEC})
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"]["deployment"] == "webtier"
    with_file = YAML_SPEC + "    user_data: /etc/passwd\n"
    answer = otto.post("/api/v1/deployments/plan", json={"spec": with_file})
    assert answer.status_code == 422
    assert "reads no file of its host" in answer.json()["error"]["message"]
    nameless = otto.post("/api/v1/deployments/plan", content=PIPE, headers=TEXT)
    assert nameless.status_code == 422
    assert nameless.json()["error"]["located"][0]["key"] == "name"


def test_the_pages_list_plan_from_an_upload_and_show_the_report(
    portal: PortalLab, otto: httpx.Client, applied: dict[str, Any]
) -> None:
    listing = otto.get("/deployments").text
    assert 'href="/deployments/twovms"' in listing
    assert 'name="file"' in listing
    files = {"file": ("twovms.pipe", PIPE.encode(), "text/plain")}
    planned = otto.post("/deployments/plan", files=files, headers={"HX-Request": "true"})
    assert planned.status_code == 200
    assert "Plan for twovms" in planned.text
    assert "unchanged" in planned.text
    bad = {"spec": "vm_name=a|flavor_name=powervm.small|lun_spec=2", "name": "bad"}
    shown = otto.post("/deployments/plan", data=bad, headers={"HX-Request": "true"})
    assert 'role="alert"' in shown.text
    assert re.search(r"line 1, column \d+", shown.text)
    page = otto.get("/deployments/twovms").text
    assert "testvm3" in page
    assert "/api/v1/deployments/twovms/report" in page
    job_page = otto.get(f"/jobs/{applied['job']['id']}").text
    assert 'id="resources"' in job_page
    assert "testvm4" in job_page
