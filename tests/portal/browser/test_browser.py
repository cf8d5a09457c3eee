"""The portal in a real browser: Debian's chromium driven by Playwright, against the portal
under uvicorn and the emulator (tests/portal/portal_lab.py).

Marked `browser`: the main pytest run deselects them (pyproject's addopts); `.ci/run` runs
them in their own step, `pytest -m browser tests/portal/browser`, after installing chromium
with apt when /usr/bin/chromium is missing and the `browser` extra (playwright). Screenshots
of each page go to the test's tmp output directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.portal.portal_lab import PASSWORDS, PortalLab, portal_fixture  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# what headless Chromium needs as root on a closed network
FLAGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
WAIT_MS = 60_000  # the emulator's clock is instant: a build takes seconds


@pytest.fixture(scope="module", name="browser_page")
def browser_page_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user data dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def sign_in(page: Any, portal: PortalLab, user: str) -> None:
    """Sign out whoever is signed in, then sign `user` in through the form."""
    page.goto(f"{portal.url}/")
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
    page.goto(f"{portal.url}/signin")
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_role("heading", name="Clusters")).to_be_visible()


def shot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def test_sign_in_build_watch_fail_over(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    page.goto(f"{portal.url}/signin")
    shot(page, tmp_path, "signin")
    page.get_by_label("User").fill("otto")
    page.get_by_label("Password").fill(PASSWORDS["otto"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    shot(page, tmp_path, "dashboard")

    page.get_by_role("link", name="New cluster").click()
    expect(page.get_by_label("Cluster spec")).to_contain_text("name: appha")
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("#plan")).to_contain_text("Plan for appha")
    shot(page, tmp_path, "plan")
    page.get_by_role("button", name="Deploy").click()
    page.wait_for_url("**/jobs/*")
    page.evaluate("window.stillThisPage = true")  # gone if the page reloads
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=WAIT_MS)
    assert page.evaluate("window.stillThisPage === true")  # live, without a reload
    expect(page.locator("#steps .badge.done").first).to_be_visible()
    shot(page, tmp_path, "job")

    page.goto(f"{portal.url}/clusters/appha")
    expect(page.locator("#cluster-state")).to_have_text("Active")
    expect(page.locator("#cluster-status")).to_have_text("Normal")
    service = page.locator("svg.topology g.service-ip")
    expect(service).to_have_attribute("data-node", "appha-node1")
    shot(page, tmp_path, "cluster")
    page.locator('svg.topology a[href="#node-appha-node2"]').click()
    expect(page.locator("#node-appha-node2")).to_be_in_viewport()

    page.get_by_label("Move the group to").select_option("appha-node2")
    page.get_by_role("button", name="Fail over").click()
    page.wait_for_url("**/jobs/*")
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=WAIT_MS)
    page.goto(f"{portal.url}/clusters/appha")
    expect(service).to_have_attribute("data-node", "appha-node2")
    expect(page.locator("#cluster-state")).to_have_text("Active")
    shot(page, tmp_path, "cluster-after-failover")
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "cluster-after-failover.png",
        "cluster.png",
        "dashboard.png",
        "job.png",
        "plan.png",
        "signin.png",
    ]


def test_a_viewer_on_a_phone_sees_the_cluster_and_no_button_to_change_it(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, portal, "vera")
    expect(page.get_by_text("viewer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="New cluster")).to_have_count(0)
    for path in ("/clusters/new", "/clusters/appha", "/inventory"):
        page.goto(f"{portal.url}{path}")
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
        buttons = 2 if path == "/clusters/new" else 1  # Sign out, and Plan on the form
        expect(page.get_by_role("button")).to_have_count(buttons)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
        shot(page, tmp_path, f"viewer{path.replace('/', '-')}")


def test_sign_in_and_plan_with_the_keyboard_alone(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{portal.url}/")
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
    page.goto(f"{portal.url}/signin")
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus
    page.keyboard.type("otto")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["otto"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Clusters")).to_be_visible()
    page.goto(f"{portal.url}/clusters/new")
    page.get_by_label("Cluster spec").focus()
    page.keyboard.press("Tab")  # from the spec to Plan
    expect(page.get_by_role("button", name="Plan")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#plan")).to_contain_text("Plan for appha")
    shot(page, tmp_path, "plan-by-keyboard")


def test_a_wrong_value_shows_its_error_beside_the_spec(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.goto(f"{portal.url}/clusters/new")
    spec = page.get_by_label("Cluster spec")
    spec.fill(spec.input_value().replace("fallover: FNPN", "fallover: SIDEWAYS"))
    page.get_by_role("button", name="Plan").click()
    alert = page.locator("#plan").get_by_role("alert")
    expect(alert).to_contain_text("resource_group.fallover")
    expect(alert).to_contain_text("SIDEWAYS")
    expect(page.get_by_label("Cluster spec")).to_be_visible()  # the spec stays, to fix
    shot(page, tmp_path, "plan-error")
