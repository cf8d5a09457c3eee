"""Several clouds (one PowerVC per site): two emulators on loopback named `site-a` and
`site-b` in a clouds.yaml, one portal serving both. Users pick the cloud at sign-in, the
session keeps it, reads and jobs go to its emulator, API clients choose with
X-PowerBridge-Cloud, and a cloud the portal does not serve is refused naming the ones it does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from powerbridge.client import load_config
from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import portal_sessions
from powerbridge.portal.auth import COOKIE
from powerbridge.portal.run_as_user import CREDENTIAL
from powerbridge.portal.signin import WRONG_CREDENTIALS
from tests.emulator.aix.ssh_support import Lab, lab, lab_config
from tests.portal.portal_lab import (
    FORM_CSRF,
    PASSWORDS,
    PortalLab,
    add_users,
    portal_settings,
    serving,
)
from tests.portal.test_as_user import LOG_LINE, deployment_spec

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
PIPE = resources.files("powerbridge.examples").joinpath("two-vms.pipe").read_text()
ONLY_ON_B = "image-only-on-site-b"


def cloud_entry(aix: Lab) -> dict[str, Any]:
    """A clouds.yaml entry for the emulator: its endpoint (and CA when it has one)."""
    env = aix.running.env()
    entry: dict[str, Any] = {
        "auth": {
            "auth_url": env["OS_AUTH_URL"],
            "username": env["OS_USERNAME"],
            "password": env["OS_PASSWORD"],
            "project_name": env["OS_PROJECT_NAME"],
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": env["OS_REGION_NAME"],
        "identity_api_version": 3,
    }
    if aix.running.ca_path is not None:
        entry["cacert"] = str(aix.running.ca_path)
    return entry


@dataclass
class TwoClouds:
    portal: PortalLab
    a: Lab
    b: Lab

    def sign_in(
        self, browser: httpx.Client, cloud: str | None, user: str = "root"
    ) -> httpx.Response:
        form = browser.get("/signin").text
        token = FORM_CSRF.search(form)
        assert token is not None
        body = {"user": user, "password": PASSWORDS.get(user, "wrong"), "domain": "Default"}
        body |= {"csrf_token": token[1], **({"cloud": cloud} if cloud else {})}
        return browser.post("/signin", data=body)

    @contextmanager
    def signed_in(self, cloud: str | None) -> Iterator[httpx.Client]:
        with self.portal.client() as browser:
            answer = self.sign_in(browser, cloud)
            assert answer.status_code == 303, answer.text
            yield browser

    def servers(self, aix: Lab, prefix: str) -> list[str]:
        found = aix.http.get(f"{aix.compute}/servers").json()["servers"]
        return sorted(s["name"] for s in found if s["name"].startswith(prefix))


def add_image(aix: Lab, name: str) -> None:
    url = f"{aix.running.service_urls['image']}/v2/images"
    body = {"name": name, "disk_format": "raw", "container_format": "bare"}
    made = aix.http.post(url, json=body)
    assert made.status_code == 201, made.text


@pytest.fixture(scope="module", name="clouds")
def clouds_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoClouds]:
    directory = tmp_path_factory.mktemp("clouds")
    config_a = lab_config(directory / "emulator-a", directory / "logs-a")
    config_b = lab_config(directory / "emulator-b", directory / "logs-b")
    with lab(config_a) as a, lab(config_b) as b:
        add_image(b, ONLY_ON_B)
        add_users(b)  # vera, otto and pat exist on site-b only
        entries = {"site-a": cloud_entry(a), "site-b": cloud_entry(b)}
        (directory / "clouds.yaml").write_text(yaml.safe_dump({"clouds": entries}))
        site_a, site_b = (
            load_config(name, environ={}, search_path=[directory]) for name in entries
        )
        assert a.running.ssh_config is not None
        assert b.running.ssh_config is not None
        settings = portal_settings(
            a,
            directory,
            cloud=site_a,
            more_clouds=(site_b,),
            ssh_configs=(a.running.ssh_config, b.running.ssh_config),
        )
        with serving(settings) as url:
            portal = PortalLab(a, url, directory / "jobs.sqlite", settings.data_dir)
            yield TwoClouds(portal, a, b)


def test_the_sign_in_form_offers_each_cloud(clouds: TwoClouds) -> None:
    with clouds.portal.client() as browser:
        form = browser.get("/signin").text
    assert '<label for="cloud">' in form
    options = re.findall(r'<option value="([^"]+)"( selected)?>', form)
    assert options == [("site-a", " selected"), ("site-b", "")]  # the first is the default


def test_the_password_and_the_project_step_go_to_the_cloud_picked(clouds: TwoClouds) -> None:
    with clouds.portal.client() as browser:
        on_a = clouds.sign_in(browser, "site-a", user="pat")
        assert on_a.status_code == 401  # site-a's Keystone has no pat
        assert WRONG_CREDENTIALS in on_a.text
        on_b = clouds.sign_in(browser, "site-b", user="pat")
        assert on_b.headers["location"] == "/signin/project"
        page = browser.get("/signin/project").text
        assert "lab2" in page  # a project only site-b has
        assert clouds.portal.pick(browser, "lab2").headers["location"] == "/"
        header = browser.get("/").text
        assert 'pat · <span class="cloud">site-b</span> · lab2 ·' in header


def test_failed_sign_ins_are_counted_per_cloud(clouds: TwoClouds) -> None:
    with clouds.portal.client() as browser:
        for _ in range(5):  # the per-user limit: 5 in 15 minutes
            assert clouds.sign_in(browser, "site-b", user="nobody").status_code == 401
        assert clouds.sign_in(browser, "site-b", user="nobody").status_code == 429
        # the same name on site-a is another Keystone's user: its own count
        assert clouds.sign_in(browser, "site-a", user="nobody").status_code == 401


def test_the_session_remembers_its_cloud(clouds: TwoClouds) -> None:
    with clouds.signed_in("site-b") as browser:
        assert '<span class="cloud">site-b</span>' in browser.get("/").text
        cookie = browser.cookies.get(COOKIE)
        assert cookie is not None
    store = JobStore.open(str(clouds.portal.store_path))
    try:
        with store.engine.connect() as db:
            kept = db.execute(sa.select(portal_sessions.c.cloud)).scalars().all()
    finally:
        store.close()
    assert "site-b" in kept


def test_reads_go_to_the_session_cloud(clouds: TwoClouds) -> None:
    def image_names(cloud: str | None) -> set[str]:
        with clouds.signed_in(cloud) as browser:
            answer = browser.get("/api/v1/inventory/images")
            assert answer.status_code == 200, answer.text
            return {image["name"] for image in answer.json()["images"]}

    assert ONLY_ON_B in image_names("site-b")
    assert ONLY_ON_B not in image_names("site-a")
    assert ONLY_ON_B not in image_names(None)  # no cloud named: the default, site-a
    for cloud, shown in (("site-b", True), ("site-a", False)):
        with clouds.signed_in(cloud) as browser:
            form = browser.get("/clusters/new/form")  # its choices read from the cloud
            assert form.status_code == 200
            assert (f">{ONLY_ON_B}</option>" in form.text) is shown


def test_an_unknown_cloud_is_refused_naming_the_clouds(clouds: TwoClouds) -> None:
    with clouds.portal.client() as browser:
        answer = clouds.sign_in(browser, "site-z")
        assert answer.status_code == 400
        assert "no cloud named &#39;site-z&#39; here (this portal serves: site-a, site-b)" in (
            answer.text
        )
        assert COOKIE not in browser.cookies
        assert "Traceback" not in answer.text
    token = clouds.portal.keystone_token("root")
    answer = httpx.get(
        f"{clouds.portal.url}/api/v1/jobs",
        headers={"X-Auth-Token": token, "X-PowerBridge-Cloud": "site-z"},
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["message"] == "no cloud named 'site-z' here (this portal serves: site-a, site-b)"
    assert "X-PowerBridge-Cloud" in error["hint"]


def test_a_session_refuses_a_header_naming_another_cloud(clouds: TwoClouds) -> None:
    with clouds.signed_in("site-a") as browser:
        answer = browser.get("/api/v1/jobs", headers={"X-PowerBridge-Cloud": "site-b"})
        assert answer.status_code == 400
        message = answer.json()["error"]["message"]
        assert message == (
            "X-PowerBridge-Cloud names cloud 'site-b', but this session is signed in to 'site-a'"
        )
        same = browser.get("/api/v1/jobs", headers={"X-PowerBridge-Cloud": "site-a"})
        assert same.status_code == 200


def test_an_api_token_is_checked_by_the_cloud_the_header_names(clouds: TwoClouds) -> None:
    b_token = _token(clouds.b)
    url = f"{clouds.portal.url}/api/v1/inventory/images"
    on_b = httpx.get(url, headers={"X-Auth-Token": b_token, "X-PowerBridge-Cloud": "site-b"})
    assert on_b.status_code == 200, on_b.text
    assert ONLY_ON_B in {image["name"] for image in on_b.json()["images"]}
    # without the header the default cloud's Keystone judges it: site-a never issued it
    on_a = httpx.get(url, headers={"X-Auth-Token": b_token})
    assert on_a.status_code == 401
    assert on_a.json()["error"]["message"] == "the X-Auth-Token is not valid"


def _token(aix: Lab) -> str:
    who = {"name": "root", "domain": {"name": "Default"}, "password": PASSWORDS["root"]}
    body = {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": who}},
            "scope": {"project": {"name": "ibm-default", "domain": {"name": "Default"}}},
        }
    }
    reply = aix.http.post(f"{aix.running.auth_url}/auth/tokens", json=body)
    assert reply.status_code == 201, reply.text
    return reply.headers["x-subject-token"]


@pytest.fixture(scope="module", name="built_on_b")
def built_on_b_fixture(clouds: TwoClouds) -> dict[str, Any]:
    """The 2-node example submitted on site-b, waited for to its end."""
    with clouds.signed_in("site-b") as browser:
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": clouds.portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        deadline = time.monotonic() + 300
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
            job = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
    return dict(job)


def test_a_cluster_submitted_on_b_is_built_on_b_only(
    clouds: TwoClouds, built_on_b: dict[str, Any]
) -> None:
    assert built_on_b["status"] == "succeeded", built_on_b
    assert built_on_b["cloud"] == "site-b"
    assert clouds.servers(clouds.b, "appha") == ["appha-node1", "appha-node2"]
    assert clouds.servers(clouds.a, "appha") == []


def test_the_cluster_and_its_job_are_site_b_s(
    clouds: TwoClouds, built_on_b: dict[str, Any]
) -> None:
    job_id = built_on_b["id"]
    with clouds.signed_in("site-b") as browser:
        listed = browser.get("/api/v1/clusters").json()["clusters"]
        assert [(c["name"], c["cloud"]) for c in listed] == [("appha", "site-b")]
        assert browser.get("/api/v1/clusters/appha").status_code == 200
        dashboard = browser.get("/").text
        assert re.search(r'appha</a></td>\s*<td class="cloud">site-b</td>', dashboard)
    with clouds.signed_in("site-a") as browser:
        assert browser.get("/api/v1/clusters").json()["clusters"] == []
        missing = browser.get("/api/v1/clusters/appha")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "no cluster appha"
        assert browser.get(f"/api/v1/jobs/{job_id}").status_code == 404
        assert job_id not in [j["id"] for j in browser.get("/api/v1/jobs").json()["jobs"]]


def test_a_day_two_action_on_b_reaches_b(clouds: TwoClouds, built_on_b: dict[str, Any]) -> None:
    with clouds.signed_in("site-b") as browser:
        csrf = {"X-CSRF-Token": clouds.portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters/appha/failover", json={}, headers=csrf)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        assert job["cloud"] == "site-b"
        deadline = time.monotonic() + 120
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
        assert job["status"] == "succeeded", job
    with clouds.signed_in("site-a") as browser:
        csrf = {"X-CSRF-Token": clouds.portal.csrf(browser)}
        refused = browser.post("/api/v1/clusters/appha/failover", json={}, headers=csrf)
        assert refused.status_code == 404  # site-a has no cluster appha


def user_id(aix: Lab, name: str) -> str:
    aix.login()
    users = aix.http.get(f"{aix.running.auth_url}/users", params={"name": name}).json()
    found: str = users["users"][0]["id"]
    return found


def credentials_of(aix: Lab, user: str) -> list[str]:
    aix.login()
    url = f"{aix.running.auth_url}/users/{user}/application_credentials"
    return [c["id"] for c in aix.http.get(url).json()["application_credentials"]]


def nova_log_size(aix: Lab) -> int:
    path = aix.running.log_dir / "nova" / "nova-api.log"
    return path.stat().st_size if path.exists() else 0


def nova_requests(aix: Lab, since: int) -> list[tuple[str, str, str]]:
    """(user id, method, path) of each authenticated nova-api request after byte `since`."""
    with (aix.running.log_dir / "nova" / "nova-api.log").open("rb") as log:
        log.seek(since)
        text = log.read().decode()
    return [(m[1], m[3], m[4]) for m in LOG_LINE.finditer(text) if m[1] != "-"]


def ended(browser: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
    return job


def test_day_two_actions_and_applies_on_b_run_as_their_user_with_b_s_keystone(
    clouds: TwoClouds, built_on_b: dict[str, Any]
) -> None:
    """otto exists on site-b only: his jobs' credentials can only be site-b's."""
    since = nova_log_size(clouds.b)
    with clouds.portal.client() as browser:
        assert clouds.sign_in(browser, "site-b", user="otto").status_code == 303
        csrf = {"X-CSRF-Token": clouds.portal.csrf(browser)}
        failover = browser.post("/api/v1/clusters/appha/failover", json={}, headers=csrf)
        assert failover.status_code == 202, failover.text
        spec = deployment_spec("ottob", "ottovm1")
        yaml_in = csrf | {"Content-Type": "application/yaml"}
        assert ended(browser, failover.json()["job"])["status"] == "succeeded"
        apply = browser.post("/api/v1/deployments", content=spec, headers=yaml_in)
        assert apply.status_code == 202, apply.text
        jobs = [ended(browser, failover.json()["job"]), ended(browser, apply.json()["job"])]
    assert [(job["status"], job["cloud"]) for job in jobs] == [("succeeded", "site-b")] * 2
    requests = nova_requests(clouds.b, since)  # before user_id's own login reads flavors
    otto = user_id(clouds.b, "otto")
    assert {user for user, _, _ in requests} == {otto}  # never site-b's own account
    assert any(method == "POST" and path.endswith("/servers") for _, method, path in requests)
    assert clouds.servers(clouds.b, "ottovm") == ["ottovm1"]
    assert clouds.servers(clouds.a, "ottovm") == []
    assert credentials_of(clouds.b, otto) == []  # each deleted at its job's end, on site-b
    store = JobStore.open(str(clouds.portal.store_path))
    try:
        for job in jobs:
            credential = store.job(job["id"]).spec[CREDENTIAL]
            assert credential["user_id"] == otto
            deleted = f"deleted this job's application credential {credential['id']}"
            messages = [event.message for event in store.events(job["id"])]
            assert any(message.startswith(deleted) for message in messages), messages
    finally:
        store.close()


def test_the_name_of_b_s_cluster_is_refused_on_a(
    clouds: TwoClouds, built_on_b: dict[str, Any]
) -> None:
    with clouds.signed_in("site-a") as browser:
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": clouds.portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["message"] == (
        "the name appha is taken by a cluster of another cloud of this portal; cluster names"
        " are one namespace across its clouds"
    )
    assert clouds.servers(clouds.a, "appha") == []


def test_a_deployment_applied_on_b_makes_its_servers_on_b(clouds: TwoClouds) -> None:
    text = {"Content-Type": "text/plain"}
    with clouds.signed_in("site-b") as browser:
        headers = text | {"X-CSRF-Token": clouds.portal.csrf(browser)}
        answer = browser.post("/api/v1/deployments?name=twovms", content=PIPE, headers=headers)
        assert answer.status_code == 202, answer.text
        job = answer.json()["job"]
        assert job["cloud"] == "site-b"
        deadline = time.monotonic() + 120
        while job["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
            job = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
        assert job["status"] == "succeeded", job
    assert clouds.servers(clouds.b, "testvm") == ["testvm3", "testvm4"]
    assert clouds.servers(clouds.a, "testvm") == []
    with clouds.signed_in("site-a") as browser:
        assert browser.get("/api/v1/deployments").json()["deployments"] == []
        assert browser.get("/api/v1/deployments/twovms").status_code == 404
        headers = text | {"X-CSRF-Token": clouds.portal.csrf(browser)}
        again = browser.post("/api/v1/deployments?name=twovms", content=PIPE, headers=headers)
        assert again.status_code == 409, again.text
        assert "taken by a deployment of another cloud" in again.json()["error"]["message"]
    assert clouds.servers(clouds.a, "testvm") == []


def test_one_cloud_shows_no_cloud_choice(tmp_path: Path, clouds: TwoClouds) -> None:
    settings = portal_settings(clouds.a, tmp_path)
    with serving(settings) as url, httpx.Client(base_url=url, trust_env=False) as browser:
        assert 'name="cloud"' not in browser.get("/signin").text


def test_the_api_document_names_the_cloud_header(clouds: TwoClouds) -> None:
    document = httpx.get(f"{clouds.portal.url}/api/openapi.json").json()
    listing = document["paths"]["/api/v1/jobs"]["get"]
    [header] = [p for p in listing["parameters"] if p["name"] == "X-PowerBridge-Cloud"]
    assert header["in"] == "header"
    assert header["required"] is False
    assert header["schema"]["enum"] == ["site-a", "site-b"]
    assert "400" in listing["responses"]
