"""Secrets never written: a `deploy apply` (an application credential, with the -vv trace), an
`ha create` (a password, the Keystone token it got, the cluster's login key) and a portal
session (a password, its cookie and Keystone token) run with distinctive credentials; then
every log, data and report file they left, every node file mirror, the job store's jobs,
items and events, the pages served and the CLI's own output are searched for them: none
may appear.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from powerbridge.client import Cloud
from powerbridge.ha.create import CreateOptions, create_cluster
from powerbridge.jobs import JobStore
from powerbridge.portal.auth import COOKIE, CSRF_HEADER
from tests.emulator.aix.ssh_support import Lab, client_key, lab, lab_config
from tests.ha.cluster_lab import example_spec
from tests.ha.node_access_support import key_identity
from tests.portal.portal_lab import PortalLab, portal_settings, serving
from tests.reliability.secrets_lab import (
    Leak,
    Secrets,
    files_under,
    leaks_in_files,
    leaks_in_store,
)

pytestmark = pytest.mark.reliability

USER = "relia"  # an admin of ibm-default whose credentials are the ones searched for
PASSWORD = "Relia-pw-4c9e1b7f-reliability"
APP_CRED_SECRET = "appcred-S3cret-d2a8f06b91c4"
PIPE = (
    "flavor_name=powervm.tiny|vm_name=secretvm{n}|image_name=AIX72|vlan_name=cmbnet1"
    "|lun_spec=1:1:svc82 base template:sec::data of secretvm{n}\n"
)


@dataclass
class Aftermath:
    """What the three runs left behind, and the secrets they were given."""

    secrets: Secrets
    aix: Lab
    root: Path  # the test's folder: emulator data + logs, store, portal data, reports
    store_url: str
    reports: list[Path]
    outputs: dict[str, str]  # the CLI's stdout/stderr and the portal's pages, by name
    private_key: Path  # the login key's own file, which must hold its secret


def keystone(aix: Lab) -> str:
    return aix.running.auth_url


def add_user(aix: Lab) -> str:
    """USER, with PASSWORD, admin of ibm-default; the user's id."""
    identity, http = keystone(aix), aix.http
    roles = {r["name"]: r["id"] for r in http.get(f"{identity}/roles").json()["roles"]}
    projects = {p["name"]: p["id"] for p in http.get(f"{identity}/projects").json()["projects"]}
    made = http.post(f"{identity}/users", json={"user": {"name": USER, "password": PASSWORD}})
    assert made.status_code == 201, made.text
    user_id = str(made.json()["user"]["id"])
    grant = f"{identity}/projects/{projects['ibm-default']}/users/{user_id}/roles/{roles['admin']}"
    assert http.put(grant).status_code == 204
    return user_id


def app_credential(aix: Lab, user_id: str, secrets: Secrets) -> str:
    """An application credential of USER with a secret we chose; its id."""
    token = issue_token(aix)
    headers = {"x-auth-token": token}
    body = {"application_credential": {"name": "reliability", "secret": APP_CRED_SECRET}}
    url = f"{keystone(aix)}/users/{user_id}/application_credentials"
    made = aix.http.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.text
    secrets.add("application credential secret", APP_CRED_SECRET)
    return str(made.json()["application_credential"]["id"])


def deploy_apply(aix: Lab, root: Path, cred_id: str, store_url: str) -> tuple[Path, str]:
    """`powerbridge -vv deploy apply --report` as a shell runs it; the report, the output."""
    spec = root / "secrets.pipe"
    spec.write_text(PIPE.format(n=1) + PIPE.format(n=2))
    report = root / "reports" / "deploy.json"
    report.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "POWERBRIDGE_"))}
    base = aix.running.env()
    env.update({k: base[k] for k in ("OS_AUTH_URL", "OS_CACERT", "OS_REGION_NAME") if k in base})
    env.update(
        OS_AUTH_TYPE="v3applicationcredential",
        OS_APPLICATION_CREDENTIAL_ID=cred_id,
        OS_APPLICATION_CREDENTIAL_SECRET=APP_CRED_SECRET,
        POWERBRIDGE_STORE=store_url,
    )
    command = [sys.executable, "-m", "powerbridge", "-vv", "deploy", "apply", str(spec)]
    command += ["--yes", "--report", str(report)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return report, done.stdout + done.stderr


def ha_create(aix: Lab, root: Path, store_url: str, secrets: Secrets) -> Path:
    """The shipped ha-2node example created as USER (password); the login key's file."""
    key = client_key(root)
    body = "".join(key.path.read_text().splitlines()[1:-1])  # the PEM body, base64
    secrets.add("the login key's private body", body)
    spec = example_spec()
    spec = replace(spec, ssh=replace(spec.ssh, private_key=str(key.path)))
    assert aix.running.ssh_config is not None
    options = CreateOptions(ssh_configs=(aix.running.ssh_config,))
    identity = key_identity(key, root)
    env = {**aix.running.env(), "OS_USERNAME": USER, "OS_PASSWORD": PASSWORD}

    async def main() -> str:
        store = JobStore.open(store_url)
        try:
            async with Cloud.connect(environ=env) as cloud:
                job = await create_cluster(cloud, spec, store, identity, options, None)
                assert job.status.value == "succeeded", job
                return (await cloud.session.authenticate()).value
        finally:
            store.close()

    secrets.add("the Keystone token ha create used", asyncio.run(main()))
    return key.path


def issue_token(aix: Lab) -> str:
    who = {"name": USER, "domain": {"name": "Default"}, "password": PASSWORD}
    scope = {"project": {"name": "ibm-default", "domain": {"name": "Default"}}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": who}}}}
    body["auth"]["scope"] = scope
    reply = aix.http.post(f"{keystone(aix)}/auth/tokens", json=body)
    assert reply.status_code == 201, reply.text
    return reply.headers["x-subject-token"]


def portal_session(aix: Lab, root: Path, store_url: str, secrets: Secrets) -> dict[str, str]:
    """Sign in to the portal as USER over the same job store, look at the dashboard and each
    job (the HA create's steps and their commands among them); the pages served."""
    settings = portal_settings(aix, root, store_url=store_url)
    pages: dict[str, str] = {}
    with serving(settings) as url:
        portal = PortalLab(aix, url, Path(store_url), settings.data_dir)
        with portal.client() as browser:
            answer = portal.password_step(browser, USER, PASSWORD)
            assert answer.status_code == 303, answer.text
            if answer.headers["location"] == "/signin/project":
                portal.pick(browser, "ibm-default")
            secrets.add("the portal's session cookie", str(browser.cookies.get(COOKIE)))
            secrets.add("the portal session's Keystone token", portal.session_token(browser))
            listed = browser.get("/api/v1/jobs").json()["jobs"]
            assert len(listed) >= 2, listed
            paths = ["/", "/clusters/new", "/api/v1/jobs", "/api/v1/clusters"]
            for job in listed:
                paths += [f"/jobs/{job['id']}", f"/api/v1/jobs/{job['id']}"]
            for path in paths:
                page = browser.get(path)
                assert page.status_code == 200, (path, page.text)
                pages[f"portal page {path}"] = page.text
            signed_out = browser.post("/signout", headers={CSRF_HEADER: portal.csrf(browser)})
            assert signed_out.status_code == 303, signed_out.text
    return pages


@pytest.fixture(scope="module", name="aftermath")
def aftermath_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Aftermath]:
    root = tmp_path_factory.mktemp("secrets")
    secrets = Secrets()
    secrets.add("the user's password", PASSWORD)
    store_url = str(root / "jobs.sqlite")
    with lab(lab_config(root / "emulator", root / "logs")) as aix:
        cred_id = app_credential(aix, add_user(aix), secrets)
        report, output = deploy_apply(aix, root, cred_id, store_url)
        private_key = ha_create(aix, root, store_url, secrets)
        pages = portal_session(aix, root, store_url, secrets)
        outputs = {"deploy apply -vv output": output, **pages}
        yield Aftermath(secrets, aix, root, store_url, [report], outputs, private_key)


def describe(leaks: list[Leak]) -> str:
    return "\n".join(f"{leak.secret} in {leak.where}" for leak in leaks)


def test_the_runs_left_files_to_search(aftermath: Aftermath) -> None:
    """The search below finds nothing because there is nothing, not because it looked
    nowhere: the logs, the node mirrors, the report and the job rows exist."""
    log_dir = aftermath.aix.running.log_dir
    assert any(log_dir.rglob("*.log"))
    assert any((aftermath.root / "emulator").rglob("authorized_keys"))
    assert all(report.stat().st_size > 0 for report in aftermath.reports)
    store = JobStore.open(aftermath.store_url)
    try:
        kinds = {job.kind for job in store.jobs()}
    finally:
        store.close()
    assert {"deployment", "cluster"} <= kinds, kinds
    # -vv traced the calls' headers and bodies: the secrets were there to be redacted
    assert "<redacted>" in aftermath.outputs["deploy apply -vv output"]


def test_the_search_finds_a_secret_where_one_is(aftermath: Aftermath, tmp_path: Path) -> None:
    planted = tmp_path / "planted.log"
    planted.write_text(f"oops {PASSWORD} and {APP_CRED_SECRET}\n")
    found = leaks_in_files(aftermath.secrets, [planted])
    assert {leak.secret for leak in found} == {
        "the user's password",
        "application credential secret",
    }


def test_no_secret_in_a_log_data_or_node_file(aftermath: Aftermath) -> None:
    """Everything under the test's folder: the emulator's data dir (its own store, the nodes'
    file mirrors) and log dir, the portal's data dir, the identity's home, the specs."""
    root = aftermath.root
    assert aftermath.aix.running.log_dir.is_relative_to(root)
    # the login key's own file holds the key (the user gave it); the job store is searched
    # row by row below (its portal_sessions table keeps its users' tokens by design)
    skip = [aftermath.private_key, *root.glob("jobs.sqlite*")]
    leaks = leaks_in_files(aftermath.secrets, files_under([root], skip))
    assert not leaks, describe(leaks)


def test_no_secret_in_a_report(aftermath: Aftermath) -> None:
    leaks = leaks_in_files(aftermath.secrets, aftermath.reports)
    assert not leaks, describe(leaks)


def test_no_secret_in_a_job_item_or_event(aftermath: Aftermath) -> None:
    leaks = leaks_in_store(aftermath.secrets, f"sqlite:///{aftermath.store_url}")
    assert not leaks, describe(leaks)


def test_no_secret_in_the_output_or_the_pages(aftermath: Aftermath) -> None:
    leaks = [
        leak
        for name, text in aftermath.outputs.items()
        for leak in aftermath.secrets.in_text(text.encode(), name)
    ]
    assert not leaks, describe(leaks)
