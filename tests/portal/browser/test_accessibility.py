"""Accessibility in a real browser: axe-core (the copy axe-playwright-python ships, pinned in
the `browser` extra) scans every page of the portal, signed in as an operator and as a
viewer, at 1280 px and on a 390 px phone: no serious or critical violation. And the cluster
form is filled and submitted with the keyboard alone, from the sign-in to the job's page.

The pages scanned: the sign-in, the project choice, the dashboard, a new cluster with its
plan and with a spec error, a job (a build that ran), a cluster with its picture and action
forms, the inventory, an error page. A report of each scan is kept beside its screenshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from tests.portal.browser.test_browser import CHROMIUM, FLAGS, WAIT_MS, shot
from tests.portal.portal_lab import PASSWORDS, PortalLab, portal_fixture  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
pytestmark = pytest.mark.browser

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module", name="built_job")
def built_job_fixture(portal: PortalLab) -> int:
    """A cluster built through the API (so the job and cluster pages have content)."""
    with portal.signed_in("otto") as browser:
        headers = {"Content-Type": "application/yaml", "X-CSRF-Token": portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 202, answer.text
        job_id = int(answer.json()["job"]["id"])
        with browser.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=120) as stream:
            ends = [line for line in stream.iter_lines() if line.startswith("event: end")]
        assert ends
        assert browser.get(f"/api/v1/jobs/{job_id}").json()["job"]["status"] == "succeeded"
    return job_id


@pytest.fixture(scope="module", name="context")
def context_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport=DESKTOP,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


def sign_in(page: Any, portal: PortalLab, user: str, project: str | None = None) -> None:
    page.context.clear_cookies()
    page.goto(f"{portal.url}/signin")
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Sign in").click()
    if project is not None:
        page.get_by_label("Project").select_option(label=project)
        page.get_by_role("button", name="Continue").click()
    sync_api.expect(page.get_by_role("heading", name="Clusters")).to_be_visible()


def blocking(page: Any, directory: Path, name: str) -> list[str]:
    """The page's serious and critical axe violations (its report and screenshot kept)."""
    results = axe_sync.Axe().run(page)
    violations = results.response["violations"]
    (directory / f"{name}.axe.json").write_text(json.dumps(violations, indent=1))
    shot(page, directory, name)
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def operator_pages(page: Any, portal: PortalLab, job_id: int, directory: Path) -> list[str]:
    found: list[str] = []
    page.context.clear_cookies()
    page.goto(f"{portal.url}/signin")
    found += blocking(page, directory, "signin")
    sign_in(page, portal, "otto")
    found += blocking(page, directory, "dashboard")
    page.goto(f"{portal.url}/clusters/new")
    found += blocking(page, directory, "new-cluster")
    page.get_by_role("button", name="Plan").click()
    sync_api.expect(page.locator("#plan")).to_contain_text("Plan for appha")
    found += blocking(page, directory, "plan")
    spec = page.get_by_label("Cluster spec")
    spec.fill(EXAMPLE.replace("fallover: FNPN", "fallover: SIDEWAYS"))
    page.get_by_role("button", name="Plan").click()
    sync_api.expect(page.locator("#plan").get_by_role("alert")).to_contain_text("SIDEWAYS")
    found += blocking(page, directory, "plan-error")
    for name, path in (
        ("job", f"/jobs/{job_id}"),
        ("cluster", "/clusters/appha"),
        ("inventory", "/inventory"),
        ("not-found", "/clusters/no-such-cluster"),
    ):
        page.goto(f"{portal.url}{path}")
        found += blocking(page, directory, name)
    return found


def test_no_page_has_a_serious_accessibility_violation(
    portal: PortalLab, context: Any, built_job: int, tmp_path: Path
) -> None:
    page = context.new_page()
    found = operator_pages(page, portal, built_job, tmp_path)
    page.context.clear_cookies()
    page.goto(f"{portal.url}/signin")
    page.get_by_label("User").fill("pat")
    page.get_by_label("Password").fill(PASSWORDS["pat"])
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_label("Project")).to_be_visible()
    found += blocking(page, tmp_path, "project")
    page.set_viewport_size(PHONE)
    sign_in(page, portal, "vera")  # a viewer: no action forms; a reader lists no hosts
    for name, path in (
        ("viewer-dashboard", "/"),
        ("viewer-cluster", "/clusters/appha"),
        ("viewer-inventory", "/inventory"),
        ("viewer-job", f"/jobs/{built_job}"),
    ):
        page.goto(f"{portal.url}{path}")
        found += blocking(page, tmp_path, name)
    page.close()
    assert not found, "\n".join(found)


def tab_to(page: Any, accessible_name: str, limit: int = 40) -> None:
    """Press Tab until the focused element has `accessible_name` (its label or text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " const label = e.labels && e.labels.length ? e.labels[0].textContent : '';"
            " return (label || e.getAttribute('aria-label') || e.textContent || '').trim(); }"
        )
        if focused.startswith(accessible_name):
            return
    raise AssertionError(f"Tab never reached {accessible_name!r}")


def test_the_cluster_form_filled_and_submitted_with_the_keyboard_alone(
    portal: PortalLab, context: Any, built_job: int, tmp_path: Path
) -> None:
    assert built_job  # the example's cluster exists: this one is another
    page, expect = context.new_page(), sync_api.expect
    page.context.clear_cookies()
    page.goto(f"{portal.url}/signin")
    page.keyboard.type("otto")  # the user name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["otto"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    tab_to(page, "New cluster")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Cluster spec")).to_be_visible()
    tab_to(page, "Cluster spec")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # another cluster beside the example's: other names, another service IP
    spec = EXAMPLE.replace("appha", "keyha").replace("192.168.100.251", "192.168.100.252")
    assert spec.count("keyha") > 5
    page.keyboard.type(spec)
    tab_to(page, "Plan")
    page.keyboard.press("Enter")
    expect(page.locator("#plan")).to_contain_text("Plan for keyha ready")
    tab_to(page, "Deploy")
    page.keyboard.press("Enter")
    page.wait_for_url("**/jobs/*")
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=WAIT_MS)
    shot(page, tmp_path, "keyboard-job")
    page.close()
