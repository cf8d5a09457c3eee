"""The portal's access matrix: every route and page, read from the app's own route table (a
route missing from POLICY fails the first test, so a new one is in the matrix the day it is
added), asked by each portal role as PowerVC's roles map to them (portal/roles.py: reader ->
viewer, member -> operator, admin -> administrator):

- a role the route allows is let past the checks (a 2xx, a redirect, or the route's own 404 /
  422 for the absent cluster or the bad spec each request names); a role it does not gets 403
  with a message (JSON on the API, the message on the page);
- another project's job and cluster are 404 with the words an absent one gets;
- without a session: 401 with a JSON message on the API, a redirect to /signin for pages;
- every unsafe route refuses a signed-in browser without its CSRF token (403);
- a session id planted before sign-in is not the one after; cookie flags (HttpOnly,
  SameSite, Secure when served behind TLS).

Nothing here builds a cluster: the portal's worker is off, the jobs named are records put in
the store, and the writes name a cluster that does not exist (or a spec that does not parse).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount

from powerbridge.client import CloudConfig
from powerbridge.jobs import JobStatus, JobStore
from powerbridge.portal import PortalSettings, create_app
from powerbridge.portal.auth import COOKIE
from powerbridge.portal.pages import SIGNIN_COOKIE
from tests.emulator.aix.ssh_support import lab, lab_config
from tests.portal.portal_lab import PortalLab, add_users, portal_settings, serving

pytestmark = pytest.mark.reliability

PUBLIC, SIGNED_IN, VIEWER, OPERATOR = "public", "signed in", "viewer", "operator"
# the portal lets a viewer ask, PowerVC answers: nova lists hypervisors to administrators only
POWERVC_ADMIN = "PowerVC administrator"
ROLES = {"viewer": "vera", "operator": "otto", "administrator": "root"}
RANK = {VIEWER: 0, OPERATOR: 1, POWERVC_ADMIN: 2}
REFUSAL = {OPERATOR: "viewers change nothing", POWERVC_ADMIN: "Policy doesn't allow"}
ROLE_RANK = {"viewer": 0, "operator": 1, "administrator": 2}

# what each route needs; a new route of the app fails test_every_route_is_in_the_matrix
POLICY: dict[str, str] = {
    "GET /api/openapi.json": PUBLIC,
    "GET /api/docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "MOUNT /static": PUBLIC,
    "GET /signin": PUBLIC,
    "POST /signin": PUBLIC,  # its own double-submitted token (test_csrf_...)
    "GET /signin/project": SIGNED_IN,  # the unscoped session of step one
    "POST /signin/project": SIGNED_IN,
    "POST /signout": SIGNED_IN,
    "GET /api/v1/jobs": VIEWER,
    "GET /api/v1/jobs/{job_id}": VIEWER,
    "GET /api/v1/jobs/{job_id}/events": VIEWER,
    "GET /api/v1/clusters": VIEWER,
    "POST /api/v1/clusters/plan": VIEWER,
    "POST /api/v1/clusters": OPERATOR,
    "GET /api/v1/clusters/{name}": VIEWER,
    "GET /api/v1/clusters/{name}/topology.svg": VIEWER,
    "POST /api/v1/clusters/{name}/failover": OPERATOR,
    "POST /api/v1/clusters/{name}/stop": OPERATOR,
    "POST /api/v1/clusters/{name}/start": OPERATOR,
    "POST /api/v1/clusters/{name}/disks": OPERATOR,
    "DELETE /api/v1/clusters/{name}": OPERATOR,
    "GET /api/v1/inventory/images": VIEWER,
    "GET /api/v1/inventory/templates": VIEWER,
    "GET /api/v1/inventory/networks": VIEWER,
    "GET /api/v1/inventory/hosts": POWERVC_ADMIN,
    "GET /api/v1/inventory/storage-templates": VIEWER,
    "GET /": VIEWER,
    "GET /jobs/{job_id}": VIEWER,
    "GET /jobs/{job_id}/steps": VIEWER,
    "GET /clusters/new": VIEWER,
    "POST /clusters/new/plan": VIEWER,
    "POST /clusters/new": OPERATOR,
    "GET /clusters/{name}": VIEWER,
    "POST /clusters/{name}/actions/{action}": OPERATOR,
    "POST /clusters/{name}/resume": OPERATOR,
    "GET /inventory": VIEWER,
    "GET /clusters/new/form": VIEWER,
    "POST /clusters/new/form": VIEWER,  # plans; its deploy button is an operator's
    "GET /clusters/{name}/live": VIEWER,
    "POST /api/v1/jobs/{job_id}/cancel": OPERATOR,
    "POST /jobs/{job_id}/cancel": OPERATOR,
    "GET /api/v1/deployments": VIEWER,
    "POST /api/v1/deployments/plan": VIEWER,
    "POST /api/v1/deployments": OPERATOR,
    "GET /api/v1/deployments/{name}": VIEWER,
    "GET /api/v1/deployments/{name}/report": VIEWER,
    "GET /deployments": VIEWER,
    "POST /deployments/plan": VIEWER,
    "POST /deployments/apply": OPERATOR,
    "GET /deployments/{name}": VIEWER,
    "POST /deployments/{name}/resume": OPERATOR,
}
BAD_SPEC = "name: x\n"  # parses as YAML, fails the spec: a 422 past the role checks
YAML = {"Content-Type": "text/yaml"}
BODIES: dict[str, dict[str, Any]] = {
    "POST /signin": {"data": {"user": "otto", "password": "not-it", "domain": "Default"}},
    "POST /signin/project": {"data": {"project_id": "some-project"}},
    "POST /api/v1/clusters/plan": {"content": BAD_SPEC, "headers": {"Content-Type": "text/yaml"}},
    "POST /api/v1/clusters": {"content": BAD_SPEC, "headers": {"Content-Type": "text/yaml"}},
    "POST /api/v1/clusters/{name}/disks": {"json": {"size_gb": 5}},
    "POST /clusters/new/plan": {"data": {"spec": BAD_SPEC}},
    "POST /clusters/new": {"data": {"spec": BAD_SPEC}},
    "POST /clusters/{name}/actions/{action}": {"data": {}},
    "POST /clusters/new/form": {"data": {}},
    "POST /api/v1/deployments/plan": {"content": BAD_SPEC, "headers": YAML},
    "POST /api/v1/deployments": {"content": BAD_SPEC, "headers": YAML},
    "POST /deployments/plan": {"data": {"spec": BAD_SPEC}},
    "POST /deployments/apply": {"data": {"spec": BAD_SPEC}},
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# a user of the project is let past the role checks: what the route itself then answers
# (409: a cancel of the finished job the matrix names)
PASSED = {200, 202, 204, 303, 404, 409, 422}


def routes_of(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    """`METHOD path` of every route, included routers walked (FastAPI nests them)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = route.include_context  # type: ignore[attr-defined]
            yield from routes_of(included.routes, context.prefix)
        elif isinstance(route, Mount):
            yield f"MOUNT {prefix}{route.path}"
        else:
            methods = getattr(route, "methods", None) or {"GET"}
            for method in sorted(set(methods) - {"HEAD"}):
                yield f"{method} {prefix}{getattr(route, 'path', '')}"


def app_routes() -> list[str]:
    settings = PortalSettings(cloud=CloudConfig(auth_url="http://127.0.0.1:1/v3"))
    return sorted(set(routes_of(create_app(settings).routes)))


ROUTES = app_routes()
CHECKED = [r for r in ROUTES if POLICY.get(r) in RANK]


@dataclass
class Matrix:
    portal: PortalLab
    browsers: dict[str, httpx.Client]  # by portal role
    csrf: dict[str, str]
    ours: int  # a finished job of ibm-default
    theirs: int  # a finished cluster create of lab2 (cluster "theirs")


def finished_job(store: JobStore, target: str, project: str) -> int:
    job = store.create_job("cluster", target, action="create", spec={"text": ""}, project=project)
    store.finish(job.id, JobStatus.SUCCEEDED)
    return job.id


@pytest.fixture(scope="module", name="matrix")
def matrix_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    directory = tmp_path_factory.mktemp("access")
    with lab(lab_config(directory / "emulator", directory / "logs")) as aix:
        add_users(aix)
        settings = portal_settings(aix, directory, run_worker=False)
        with serving(settings) as url, contextlib.ExitStack() as stack:
            portal = PortalLab(aix, url, directory / "jobs.sqlite", settings.data_dir)
            projects = aix.http.get(f"{aix.running.auth_url}/projects").json()["projects"]
            ids = {p["name"]: p["id"] for p in projects}
            store = stack.enter_context(contextlib.closing(JobStore.open(str(portal.store_path))))
            ours = finished_job(store, "ours", ids["ibm-default"])
            theirs = finished_job(store, "theirs", ids["lab2"])
            browsers = {
                role: stack.enter_context(portal.signed_in(user)) for role, user in ROLES.items()
            }
            csrf = {role: portal.csrf(browser) for role, browser in browsers.items()}
            yield Matrix(portal, browsers, csrf, ours, theirs)


def url_of(route: str, job_id: int, name: str = "ghost") -> str:
    path = route.split(" ", 1)[1].replace("{job_id}", str(job_id)).replace("{name}", name)
    return path.replace("{action}", "stop")


def ask(client: httpx.Client, route: str, path: str, **extra: Any) -> httpx.Response:
    method = route.split(" ", 1)[0]
    options = {**BODIES.get(route, {})}
    headers = {**options.pop("headers", {}), **extra.pop("headers", {})}
    return client.request(method, path, headers=headers, timeout=30, **options, **extra)


def message_of(answer: httpx.Response) -> str:
    """The error's message: the JSON's on the API, the page's text on a page."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        message = answer.json()["error"]["message"]
        assert isinstance(message, str)
        assert message
        return message
    return answer.text


def test_every_route_is_in_the_matrix() -> None:
    unknown = [route for route in ROUTES if route not in POLICY]
    assert not unknown, f"classify these routes in POLICY (who may use them): {unknown}"
    gone = [route for route in POLICY if route not in ROUTES]
    assert not gone, f"POLICY names routes the app no longer has: {gone}"


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", CHECKED)
def test_each_role_is_allowed_or_refused_with_a_message(
    matrix: Matrix, route: str, role: str
) -> None:
    path = url_of(route, matrix.ours)
    headers = {"X-CSRF-Token": matrix.csrf[role]}
    answer = ask(matrix.browsers[role], route, path, headers=headers)
    if ROLE_RANK[role] >= RANK[POLICY[route]]:
        assert answer.status_code in PASSED, (route, role, answer.status_code, answer.text)
    else:
        assert answer.status_code == 403, (route, role, answer.status_code, answer.text)
        assert REFUSAL[POLICY[route]] in message_of(answer)
        if path.startswith("/api/"):
            assert answer.json()["error"]["message"]


@pytest.mark.parametrize("route", [r for r in CHECKED if "{job_id}" in r or "{name}" in r])
def test_another_projects_job_or_cluster_is_404_like_an_absent_one(
    matrix: Matrix, route: str
) -> None:
    headers = {"X-CSRF-Token": matrix.csrf["administrator"]}
    browser = matrix.browsers["administrator"]  # the most a user of ibm-default may
    theirs = ask(browser, route, url_of(route, matrix.theirs, "theirs"), headers=headers)
    absent = ask(browser, route, url_of(route, 999_999, "absent"), headers=headers)
    assert theirs.status_code == absent.status_code == 404, (route, theirs.text)
    told = message_of(theirs).replace(str(matrix.theirs), "N").replace("theirs", "X")
    assert told == message_of(absent).replace("999999", "N").replace("absent", "X")


@pytest.mark.parametrize("route", [r for r in ROUTES if POLICY.get(r) != PUBLIC])
def test_without_a_session_the_api_is_401_and_pages_redirect(matrix: Matrix, route: str) -> None:
    with matrix.portal.client() as stranger:
        path = url_of(route, matrix.ours)
        answer = ask(stranger, route, path)
    if path.startswith("/api/"):
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["message"] == "not signed in (or the session ended)"
        assert answer.headers["www-authenticate"] == "X-Auth-Token"
    else:
        assert answer.status_code == 303, (route, answer.status_code, answer.text)
        assert answer.headers["location"] == "/signin"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.split(" ")[0] in UNSAFE])
def test_every_unsafe_route_refuses_a_browser_without_its_csrf_token(
    matrix: Matrix, route: str
) -> None:
    # a fresh session of an operator each time: a refused sign-out must not sign out
    with matrix.portal.signed_in("otto") as browser:
        path = url_of(route, matrix.ours)
        answer = ask(browser, route, path)
        assert answer.status_code == 403, (route, answer.status_code, answer.text)
        words = "the sign-in form expired" if route == "POST /signin" else "CSRF token"
        assert words in message_of(answer)
        assert browser.get("/api/v1/jobs").status_code == 200  # still signed in


def test_sign_out_needs_the_session_and_its_token(matrix: Matrix) -> None:
    with matrix.portal.signed_in("vera") as browser:
        token = matrix.portal.csrf(browser)
        assert browser.post("/signout", data={"csrf_token": token}).status_code == 303
        assert browser.get("/api/v1/jobs").status_code == 401


def test_a_session_id_planted_before_sign_in_is_not_the_one_after(matrix: Matrix) -> None:
    with matrix.portal.client() as browser:
        browser.cookies.set(COOKIE, "planted-by-an-attacker", domain="127.0.0.1")
        answer = matrix.portal.password_step(browser, "pat", "pat-pw")
        assert answer.status_code == 303
        unscoped = browser.cookies[COOKIE]
        matrix.portal.pick(browser, "ibm-default")
        scoped = browser.cookies[COOKIE]
        assert len({"planted-by-an-attacker", unscoped, scoped}) == 3
        assert browser.get("/api/v1/jobs").status_code == 200
    for cookie in ("planted-by-an-attacker", unscoped):
        with matrix.portal.client(cookies={COOKIE: cookie}) as old:
            assert old.get("/api/v1/jobs").status_code == 401


def cookie_flags(answer: httpx.Response, name: str) -> set[str]:
    line = next(v for v in answer.headers.get_list("set-cookie") if v.startswith(f"{name}="))
    return {part.strip().lower() for part in line.split(";")[1:]}


@pytest.mark.parametrize("tls", [False, True])
def test_cookie_flags(matrix: Matrix, tls: bool, tmp_path: Any) -> None:
    settings = portal_settings(matrix.portal.aix, tmp_path, secure_cookies=tls, run_worker=False)
    with serving(settings) as url, httpx.Client(base_url=url, trust_env=False) as browser:
        form = browser.get("/signin")
        signin = cookie_flags(form, SIGNIN_COOKIE)
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        body = {"user": "root", "password": "passw0rd", "domain": "Default", "csrf_token": token}
        if tls:  # httpx keeps Secure cookies for https only: send it back by hand
            browser.cookies.set(SIGNIN_COOKIE, form.cookies[SIGNIN_COOKIE], domain="127.0.0.1")
        session = cookie_flags(browser.post("/signin", data=body), COOKIE)
    assert {"httponly", "samesite=lax", "path=/"} <= session
    assert {"httponly", "samesite=strict"} <= signin
    assert ("secure" in session) is tls
    assert ("secure" in signin) is tls
