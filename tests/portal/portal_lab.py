"""A portal served by uvicorn on loopback beside an emulator with AIX nodes, as users run it.

```python
def test_something(portal: PortalLab) -> None:
    with portal.signed_in("root") as browser:        # an httpx.Client holding the cookie
        browser.get("/api/v1/jobs")
```
One per module: the emulator (instant clock), a job store in a file (the portal's SSH key is
made there at start), the portal's data dir (its secret key), its worker polling every 0.1 s.
The estate gets users for the roles: vera (reader), otto (member), pat (member of two projects).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from powerbridge.client import load_config
from powerbridge.ha.identity import Identity
from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import portal_ssh_keys
from powerbridge.portal import PortalSettings, create_app
from powerbridge.portal.auth import COOKIE
from powerbridge.portal.serve import listen
from tests.emulator.aix.ssh_support import Lab, lab, lab_config

PASSWORDS = {"root": "passw0rd", "vera": "vera-pw", "otto": "otto-pw", "pat": "pat-pw"}
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PortalLab:
    aix: Lab
    url: str
    store_path: Path
    data_dir: Path

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, trust_env=False, **options)

    def password_step(self, browser: httpx.Client, user: str, password: str) -> httpx.Response:
        """GET the sign-in form, POST it; the answer (not followed)."""
        form = browser.get("/signin").text
        token = FORM_CSRF.search(form)
        assert token is not None
        body = {"user": user, "password": password, "domain": "Default", "csrf_token": token[1]}
        return browser.post("/signin", data=body)

    @contextmanager
    def signed_in(self, user: str, project: str | None = None) -> Iterator[httpx.Client]:
        with self.client() as browser:
            answer = self.password_step(browser, user, PASSWORDS[user])
            assert answer.status_code == 303, answer.text
            if answer.headers["location"] == "/signin/project":
                self.pick(browser, project or "ibm-default")
            yield browser

    def pick(self, browser: httpx.Client, project_name: str) -> httpx.Response:
        page = browser.get("/signin/project").text
        found = re.search(rf'<option value="([^"]+)">{re.escape(project_name)}</option>', page)
        token = FORM_CSRF.search(page)
        assert found is not None, page
        assert token is not None
        return browser.post(
            "/signin/project", data={"project_id": found[1], "csrf_token": token[1]}
        )

    def csrf(self, browser: httpx.Client) -> str:
        found = CSRF_META.search(browser.get("/").text)
        assert found is not None
        return found[1]

    def keystone_token(self, user: str, project: str = "ibm-default") -> str:
        """A project token straight from Keystone, as an API client holds one."""
        who = {"name": user, "domain": {"name": "Default"}, "password": PASSWORDS[user]}
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": who}},
                "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
            }
        }
        reply = self.aix.http.post(f"{self.aix.running.auth_url}/auth/tokens", json=body)
        assert reply.status_code == 201, reply.text
        return reply.headers["x-subject-token"]

    def session_token(self, browser: httpx.Client) -> str:
        """The Keystone token the portal keeps for this browser's session."""
        from powerbridge.portal.cipher import portal_cipher
        from powerbridge.portal.sessions import Sessions

        store = JobStore.open(str(self.store_path))
        try:
            sessions = Sessions(store, portal_cipher(self.data_dir))
            found = sessions.find(browser.cookies.get(COOKIE))
        finally:
            store.close()
        assert found is not None
        return found.token

    def identity(self) -> Identity:
        """The portal's SSH key, as the portal reads it from the store (keys.py)."""
        from powerbridge.portal.cipher import portal_cipher
        from powerbridge.portal.keys import portal_identity

        store = JobStore.open(str(self.store_path))
        try:
            return portal_identity(store, portal_cipher(self.data_dir), self.data_dir)
        finally:
            store.close()


def stored_public_key(portal: PortalLab) -> str:
    """The public half of the portal's key, as its row in the job store holds it."""
    store = JobStore.open(str(portal.store_path))
    try:
        with store.engine.connect() as db:
            found = db.execute(sa.select(portal_ssh_keys.c.public_key)).scalar_one()
    finally:
        store.close()
    return str(found)


def add_users(aix: Lab) -> None:
    """vera: reader of ibm-default; otto: member; pat: member of ibm-default and of lab2."""
    identity = aix.running.auth_url
    http = aix.http
    roles = {r["name"]: r["id"] for r in http.get(f"{identity}/roles").json()["roles"]}
    projects = {p["name"]: p["id"] for p in http.get(f"{identity}/projects").json()["projects"]}
    made = http.post(f"{identity}/projects", json={"project": {"name": "lab2"}})
    assert made.status_code == 201, made.text
    projects["lab2"] = made.json()["project"]["id"]
    grants = {
        "vera": [("ibm-default", "reader")],
        "otto": [("ibm-default", "member")],
        "pat": [("ibm-default", "member"), ("lab2", "member")],
    }
    for name, where in grants.items():
        body = {"user": {"name": name, "password": PASSWORDS[name]}}
        user = http.post(f"{identity}/users", json=body)
        assert user.status_code == 201, user.text
        user_id = user.json()["user"]["id"]
        for project, role in where:
            url = f"{identity}/projects/{projects[project]}/users/{user_id}/roles/{roles[role]}"
            assert http.put(url).status_code == 204


@contextmanager
def serving(settings: PortalSettings) -> Iterator[str]:
    """The portal under uvicorn in a thread, on a loopback port; its URL."""
    sock = listen("127.0.0.1", 0)  # as `powerbridge portal` binds it (TCP_NODELAY)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the portal did not start")
            thread.join(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def portal_settings(aix: Lab, directory: Path, **changes: Any) -> PortalSettings:
    assert aix.running.ssh_config is not None
    values: dict[str, Any] = {
        "cloud": load_config(environ=aix.running.env(), search_path=[]),
        "store_url": str(directory / "jobs.sqlite"),
        "data_dir": directory / "portal",
        "ssh_configs": (aix.running.ssh_config,),
        "worker_poll_seconds": 0.1,
        "sse_wait_seconds": 0.2,
    }
    return PortalSettings(**{**values, **changes})


@pytest.fixture(scope="module", name="portal")
def portal_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalLab]:
    directory = tmp_path_factory.mktemp("portal")
    config = lab_config(directory / "emulator", directory / "logs")
    with lab(config) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory)
        with serving(settings) as url:
            yield PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)
