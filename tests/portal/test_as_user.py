"""Every job the portal submits runs as its user, not only creates: a failover and a
deployment's apply reach PowerVC with the job's own application credential (the emulator's
nova log names the user on every request the job made, never the portal's account), the
credential is gone once the job ended, and a failover outlives its session's sign-out. A
create or an apply that stopped gets a Resume button on its page, for operators only: a
viewer sees none and is refused (403); pressed, it continues the same job under a new
credential and the stopped one's is deleted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from powerbridge.jobs import Event, Job, JobStore
from powerbridge.portal.run_as_user import CREDENTIAL
from tests.emulator.aix.ssh_support import add_behaviour, lab, lab_config
from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving
from tests.portal.test_build import EXAMPLE, sse

YAML = {"Content-Type": "application/yaml"}
# oslo.log's context: `[req-<global> req-<local> <user> <project> - - -] <client> "GET /..."`
LOG_LINE = re.compile(r'\[(?:req-\S+ )+(\S+) (\S+) - - -\] \S+ "(\w+) ([^" ]+)')
# the next server create is refused once (PowerVC said no): the job fails mid-way
REFUSED_CREATE = {
    "kind": "api",
    "service": "compute",
    "method": "POST",
    "path_regex": "/servers$",
    "status": 403,
    "times": 1,
}


def deployment_spec(name: str, server: str) -> str:
    return (
        f"deployment: {name}\nservers:\n  - name: {server}\n    template: powervm.small\n"
        "    image: PowerHA713\n    networks: [cmbnet1]\n"
    )


@dataclass
class Estate:
    portal: PortalLab
    logs: Path

    def nova_log_size(self) -> int:
        path = self.logs / "nova" / "nova-api.log"
        return path.stat().st_size if path.exists() else 0

    def nova_requests(self, since: int) -> list[tuple[str, str, str]]:
        """(user id, method, path) of each authenticated nova-api request logged after byte
        `since` (the version document, read without a token, names no user)."""
        with (self.logs / "nova" / "nova-api.log").open("rb") as log:
            log.seek(since)
            text = log.read().decode()
        return [(m[1], m[3], m[4]) for m in LOG_LINE.finditer(text) if m[1] != "-"]

    def user_id(self, name: str) -> str:
        aix = self.portal.aix
        aix.login()
        users = aix.http.get(f"{aix.running.auth_url}/users", params={"name": name}).json()
        found: str = users["users"][0]["id"]
        return found

    def credentials_of(self, user_id: str) -> list[str]:
        aix = self.portal.aix
        aix.login()
        url = f"{aix.running.auth_url}/users/{user_id}/application_credentials"
        return [c["id"] for c in aix.http.get(url).json()["application_credentials"]]

    def job(self, job_id: int) -> tuple[Job, list[Event]]:
        store = JobStore.open(str(self.portal.store_path))
        try:
            return store.job(job_id), store.events(job_id)
        finally:
            store.close()


@pytest.fixture(scope="module", name="estate")
def estate_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    directory = tmp_path_factory.mktemp("as-user")
    with lab(lab_config(directory / "emulator", directory / "logs")) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory)
        with serving(settings) as url:
            lab_ = PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)
            yield Estate(lab_, directory / "logs")


def follow(client: httpx.Client, job_id: int) -> str:
    """The job's events to their end (SSE); its final status."""
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=180) as stream:
        *_, end = list(sse(stream))
    assert end[0] == "end"
    status: str = end[2]["status"]
    return status


@pytest.fixture(scope="module", name="otto_api")
def otto_api_fixture(estate: Estate) -> Iterator[httpx.Client]:
    """otto as an API client: his own Keystone token, no session."""
    token = estate.portal.keystone_token("otto")
    with estate.portal.client(headers={"X-Auth-Token": token}) as api:
        yield api


@pytest.fixture(scope="module", name="built")
def built_fixture(otto_api: httpx.Client) -> str:
    answer = otto_api.post("/api/v1/clusters", content=EXAMPLE, headers=YAML)
    assert answer.status_code == 202, answer.text
    assert follow(otto_api, answer.json()["job"]["id"]) == "succeeded"
    return "appha"


def test_a_failover_runs_as_its_user_after_the_session_ended(estate: Estate, built: str) -> None:
    portal = estate.portal
    since = estate.nova_log_size()
    with portal.signed_in("otto") as browser:
        csrf = portal.csrf(browser)
        answer = browser.post(f"/api/v1/clusters/{built}/failover", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job"]["id"]
        assert browser.post("/signout", data={"csrf_token": csrf}).status_code == 303
    with portal.client(headers={"X-Auth-Token": portal.keystone_token("root")}) as root:
        assert follow(root, job_id) == "succeeded"
    requests = estate.nova_requests(since)
    otto = estate.user_id("otto")
    assert any(method == "GET" and "/servers" in path for _, method, path in requests)
    assert {user for user, _, _ in requests} == {otto}  # never the portal's account
    job, events = estate.job(job_id)
    credential = job.spec[CREDENTIAL]
    assert (credential["user_id"], job.owner) == (otto, "otto")
    assert estate.credentials_of(otto) == []
    messages = [event.message for event in events]
    # otto signed out: the portal's account (an administrator) deleted it
    deleted = f"deleted this job's application credential {credential['id']} (with the portal's"
    assert any(message.startswith(deleted) for message in messages), messages


def test_a_deployment_is_applied_as_its_user(estate: Estate, otto_api: httpx.Client) -> None:
    since = estate.nova_log_size()
    spec = deployment_spec("asuser", "asvm1")
    answer = otto_api.post("/api/v1/deployments", content=spec, headers=YAML)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job"]["id"]
    assert follow(otto_api, job_id) == "succeeded"
    otto = estate.user_id("otto")
    creates = [
        r for r in estate.nova_requests(since) if r[1] == "POST" and r[2].endswith("/servers")
    ]
    assert [user for user, _, _ in creates] == [otto]
    aix = estate.portal.aix
    aix.login()
    servers = aix.http.get(f"{aix.compute}/servers/detail").json()["servers"]
    assert [s["user_id"] for s in servers if s["name"] == "asvm1"] == [otto]
    job, events = estate.job(job_id)
    credential = job.spec[CREDENTIAL]
    assert credential["user_id"] == otto
    assert estate.credentials_of(otto) == []
    deleted = f"deleted this job's application credential {credential['id']}"
    assert any(event.message.startswith(deleted) for event in events)


def resume_form(page: str, path: str) -> bool:
    return f'action="{path}"' in page


def press_resume(portal: PortalLab, browser: httpx.Client, path: str) -> httpx.Response:
    return browser.post(path, data={"csrf_token": portal.csrf(browser)})


def check_resume_button(estate: Estate, page_path: str, job_id: int) -> None:
    """A viewer sees no button and is refused; otto's continues the same job to its end."""
    portal = estate.portal
    resume = f"{page_path}/resume"
    with portal.signed_in("vera") as viewer:
        shown = viewer.get(page_path)
        assert shown.status_code == 200, shown.text
        assert not resume_form(shown.text, resume)
        refused = press_resume(portal, viewer, resume)
        assert refused.status_code == 403, refused.text
        assert "viewers change nothing" in refused.text
    otto = estate.user_id("otto")
    stopped_with = estate.job(job_id)[0].spec[CREDENTIAL]["id"]
    assert stopped_with in estate.credentials_of(otto)  # kept for a resume
    with portal.signed_in("otto") as browser:
        assert resume_form(browser.get(page_path).text, resume)
        pressed = press_resume(portal, browser, resume)
        assert pressed.status_code == 303, pressed.text
        assert pressed.headers["location"] == f"/jobs/{job_id}"  # the same job, continued
        assert follow(browser, job_id) == "succeeded"
        assert not resume_form(browser.get(page_path).text, resume)
    job = estate.job(job_id)[0]
    assert job.spec[CREDENTIAL]["id"] != stopped_with  # a new credential ran the resume
    assert estate.credentials_of(otto) == []  # the stopped one's and the resume's: gone


def test_a_failed_create_has_a_resume_button_for_operators_only(
    estate: Estate, otto_api: httpx.Client
) -> None:
    spec = EXAMPLE.replace("appha", "resha").replace("192.168.100.251", "192.168.100.254")
    add_behaviour(estate.portal.aix, REFUSED_CREATE)
    answer = otto_api.post("/api/v1/clusters", content=spec, headers=YAML)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job"]["id"]
    assert follow(otto_api, job_id) == "failed"
    check_resume_button(estate, "/clusters/resha", job_id)


def test_a_failed_apply_has_a_resume_button_for_operators_only(
    estate: Estate, otto_api: httpx.Client
) -> None:
    add_behaviour(estate.portal.aix, REFUSED_CREATE)
    spec = deployment_spec("resdep", "resvm1")
    answer = otto_api.post("/api/v1/deployments", content=spec, headers=YAML)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job"]["id"]
    assert follow(otto_api, job_id) == "failed"
    check_resume_button(estate, "/deployments/resdep", job_id)
