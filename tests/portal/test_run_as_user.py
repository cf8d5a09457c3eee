"""Jobs run as their user (an application credential per job): a create keeps running after
its user signed out and across token expiries (the emulator's tokens last TOKEN_TTL real
seconds here), its servers are the user's, and its credential is deleted at its end.
Session tokens and credential secrets are stored sealed with the portal's key."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from typing import Any

import httpx
import pytest

from powerbridge.jobs import JobStore
from powerbridge.portal.cipher import KEY_FILE, portal_cipher
from powerbridge.portal.run_as_user import CREDENTIAL
from tests.emulator.aix.ssh_support import add_behaviour, lab, lab_config
from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
TOKEN_TTL = 8.0  # real seconds (the instant clock is the wall clock)
# the job's first server create is answered only after its token died: the build crosses
# an expiry whatever the machine's speed (it cannot end sooner)
SLOW_CREATE = {
    "kind": "api",
    "service": "compute",
    "method": "POST",
    "path_regex": "/servers$",
    "latency": TOKEN_TTL + 1,
    "times": 1,
}


@pytest.fixture(scope="module", name="short")
def short_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalLab]:
    directory = tmp_path_factory.mktemp("short-tokens")
    config = dataclasses.replace(
        lab_config(directory / "emulator", directory / "logs"), token_ttl=TOKEN_TTL
    )
    with lab(config) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory)
        with serving(settings) as url:
            yield PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)


def admin(short: PortalLab) -> httpx.Client:
    """The lab's admin client with a fresh token (they last seconds here)."""
    short.aix.login()
    return short.aix.http


def job_record(short: PortalLab, job_id: int) -> Any:
    store = JobStore.open(str(short.store_path))
    try:
        return store.job(job_id), store.events(job_id)
    finally:
        store.close()


@pytest.fixture(scope="module", name="submitted")
def submitted_fixture(short: PortalLab) -> dict[str, Any]:
    """otto submits the example and signs out at once; the job is followed as root."""
    add_behaviour(short.aix, SLOW_CREATE)
    with short.signed_in("otto") as browser:
        csrf = short.csrf(browser)
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": csrf}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        sealed = job_record(short, job["id"])[0].spec[CREDENTIAL]
        assert browser.post("/signout", data={"csrf_token": csrf}).status_code == 303
        assert browser.get("/api/v1/jobs").status_code == 401  # the session is gone
    token = short.keystone_token("root")
    with short.client(headers={"X-Auth-Token": token}) as root:
        url = f"/api/v1/jobs/{job['id']}/events"
        with root.stream("GET", url, timeout=180) as stream:
            ends = [line for line in stream.iter_lines() if line.startswith("event: end")]
    assert ends, "the event stream ended before the job"
    finished, events = job_record(short, job["id"])
    return {"job": finished, "events": events, "sealed": sealed}


def test_the_job_finishes_after_sign_out_and_token_expiries(
    submitted: dict[str, Any],
) -> None:
    job = submitted["job"]
    assert job.status.value == "succeeded", job.summary
    assert job.owner == "otto"
    assert job.started_at is not None
    assert job.finished_at is not None
    lasted = (job.finished_at - job.started_at).total_seconds()
    assert lasted > TOKEN_TTL  # the token it started with expired while it ran


def test_the_servers_are_made_by_the_user(short: PortalLab, submitted: dict[str, Any]) -> None:
    assert submitted["job"].id
    http = admin(short)
    identity = short.aix.running.auth_url
    otto = http.get(f"{identity}/users", params={"name": "otto"}).json()["users"][0]["id"]
    servers = http.get(f"{short.aix.compute}/servers/detail").json()["servers"]
    assert {s["name"]: s["user_id"] for s in servers} == {
        "appha-node1": otto,
        "appha-node2": otto,
    }


def test_the_credential_expires_in_a_day_and_is_deleted_at_the_end(
    short: PortalLab, submitted: dict[str, Any]
) -> None:
    sealed = submitted["sealed"]
    assert set(sealed) == {"id", "user_id", "project_id", "sealed_secret", "expires_at"}
    lifetime = datetime.fromisoformat(sealed["expires_at"]) - submitted["job"].created_at
    assert 86_000 < lifetime.total_seconds() <= 86_400
    http = admin(short)
    url = f"{short.aix.running.auth_url}/users/{sealed['user_id']}/application_credentials"
    assert http.get(url).json()["application_credentials"] == []
    messages = [event.message for event in submitted["events"]]
    # otto signed out: the portal's account (an administrator) deletes it
    deleted = f"deleted this job's application credential {sealed['id']} (with the portal's"
    assert any(message.startswith(deleted) for message in messages), messages


def test_secrets_are_sealed_in_the_store(short: PortalLab, submitted: dict[str, Any]) -> None:
    cipher = portal_cipher(short.data_dir)
    assert (short.data_dir / KEY_FILE).stat().st_mode & 0o777 == 0o600
    secret = cipher.open(submitted["sealed"]["sealed_secret"])
    assert len(secret) > 20
    with short.signed_in("root") as browser:
        token = short.session_token(browser)  # opened with the portal's key
        with sqlite3.connect(short.store_path) as db:
            dump = "\n".join(db.iterdump())
    assert token not in dump
    assert secret not in dump


def test_an_api_client_with_its_own_token_gets_a_credential_too(short: PortalLab) -> None:
    other = EXAMPLE.replace("appha", "tokha").replace("192.168.100.251", "192.168.100.252")
    headers = {"X-Auth-Token": short.keystone_token("pat"), "Content-Type": "application/yaml"}
    with short.client(headers=headers) as api:
        answer = api.post("/api/v1/clusters", content=other)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job"]["id"]
        with api.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=180) as stream:
            assert any(line.startswith("event: end") for line in stream.iter_lines())
    job, events = job_record(short, job_id)
    assert job.status.value == "succeeded", job.summary
    credential = job.spec[CREDENTIAL]
    pat = credential["user_id"]
    http = admin(short)
    servers = http.get(f"{short.aix.compute}/servers/detail").json()["servers"]
    assert {s["user_id"] for s in servers if s["name"].startswith("tokha-")} == {pat}
    deleted = f"deleted this job's application credential {credential['id']}"
    assert any(event.message.startswith(deleted) for event in events)


def test_a_failed_create_keeps_its_credential_for_a_resume(short: PortalLab) -> None:
    failing = EXAMPLE.replace("appha", "failha").replace("192.168.100.251", "192.168.100.253")
    rule = {"kind": "server", "mode": "fail_at", "name_regex": "^failha-node1$"}
    add_behaviour(short.aix, {**rule, "task_state": "spawning", "message": "no room"})
    headers = {"X-Auth-Token": short.keystone_token("otto"), "Content-Type": "application/yaml"}
    with short.client(headers=headers) as api:
        answer = api.post("/api/v1/clusters", content=failing)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job"]["id"]
        with api.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=180) as stream:
            assert any(line.startswith("event: end") for line in stream.iter_lines())
    job, events = job_record(short, job_id)
    assert job.status.value == "failed", job.summary
    credential = job.spec[CREDENTIAL]
    http = admin(short)
    url = f"{short.aix.running.auth_url}/users/{credential['user_id']}/application_credentials"
    kept = [c["id"] for c in http.get(url).json()["application_credentials"]]
    assert kept == [credential["id"]]  # usable by a resume, until it expires
    told = f"kept this job's application credential {credential['id']} for a resume"
    assert any(event.message.startswith(told) for event in events)
