"""In a real browser (Debian's chromium, Playwright): a deployment uploaded as a file, planned,
applied and followed VM by VM to its end, its report downloaded; the field-by-field cluster
form filled with the keyboard alone, a wrong value's error beside its field; a cluster built
through the form whose page shows a failover done elsewhere (the API, as the CLI's side
calls it) without a reload. Marked `browser` (see test_browser.py)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.portal.browser.test_browser import (
    WAIT_MS,
    browser_page_fixture,  # noqa: F401
    shot,
    sign_in,
)
from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

PIPE = resources.files("powerbridge.examples").joinpath("two-vms.pipe").read_text()
TAB_LIMIT = 60  # focusable things on the form page, with room to spare


def test_upload_plan_apply_follow_and_download_a_deployment(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.get_by_role("link", name="Deployments").click()
    spec = tmp_path / "twovms.pipe"
    spec.write_text(PIPE)
    page.get_by_label("Or a spec file").set_input_files(str(spec))
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("#plan")).to_contain_text("Plan for twovms")
    expect(page.locator("#plan tr.create")).to_have_count(4)  # 2 volumes, 2 servers
    shot(page, tmp_path, "deployment-plan")
    page.get_by_role("button", name="Deploy").click()
    page.wait_for_url("**/jobs/*")
    page.evaluate("window.stillThisPage = true")
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=WAIT_MS)
    assert page.evaluate("window.stillThisPage === true")  # followed live, no reload
    expect(page.get_by_role("button", name="Cancel the job")).to_have_count(0)  # it ended
    for vm in ("testvm3", "testvm4"):
        row = page.locator(f'#resources tr[data-name="{vm}"]')
        expect(row.locator(".badge")).to_have_text("done")
        expect(page.locator("#events")).to_contain_text(f"{vm}: ")
    shot(page, tmp_path, "deployment-job")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (JSON)").click()
    report = json.loads(Path(download.value.path()).read_text())
    assert report["deployment"] == "twovms"
    assert report["status"] == "succeeded"
    assert sorted(r["name"] for r in report["resources"] if r["kind"] == "server") == [
        "testvm3",
        "testvm4",
    ]


def test_a_bad_spec_shows_each_problem_located_beside_the_text(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.goto(f"{portal.url}/deployments")
    page.get_by_label("Deployment name").fill("broken")
    page.get_by_label("Deployment spec").fill(PIPE.replace("lun_spec=1:3:", "lun_spec=1:x:"))
    page.get_by_role("button", name="Plan").click()
    alert = page.locator("#plan").get_by_role("alert")
    expect(alert).to_contain_text("line 1, column")
    expect(alert.locator('li[data-key="lun_spec"]')).to_contain_text("whole number")
    expect(page.get_by_label("Deployment spec")).to_be_visible()  # the text stays, to fix
    shot(page, tmp_path, "deployment-spec-error")


def test_the_cluster_form_filled_with_the_keyboard_alone(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.goto(f"{portal.url}/clusters/new/form")
    page.get_by_label("Cluster name").focus()  # where a user's first Tab lands, in effect
    page.keyboard.press("Control+A")
    page.keyboard.type("kbha")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Number of nodes")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    for _ in range(TAB_LIMIT):  # on through every field to the Plan button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "plan":
            break
    expect(page.get_by_role("button", name="Plan")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#form-plan")).to_contain_text("Plan for kbha")
    expect(page.locator("#form-plan")).to_contain_text("kbha-node3")
    shot(page, tmp_path, "form-plan-by-keyboard")


def test_a_wrong_value_in_the_form_shows_its_error_beside_its_field(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.goto(f"{portal.url}/clusters/new/form")
    page.get_by_label("Repository disk size (GB)").fill("900")
    page.get_by_role("button", name="Plan").click()
    error = page.locator("#f-repository-size-gb-error")
    expect(error).to_contain_text("above the maximum 460")
    field = page.get_by_label("Repository disk size (GB)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("900")
    described = field.get_attribute("aria-describedby") or ""
    assert "f-repository-size-gb-error" in described.split()
    expect(page.locator("#form-problems")).to_contain_text("1 field to fix")
    shot(page, tmp_path, "form-field-error")


def test_the_cluster_page_shows_a_failover_done_elsewhere_without_a_reload(
    portal: PortalLab, browser_page: Any, tmp_path: Path
) -> None:
    page, expect = browser_page, sync_api.expect
    sign_in(page, portal, "otto")
    page.goto(f"{portal.url}/clusters/new/form")
    page.get_by_role("button", name="Deploy").click()  # the example's values, as shown
    page.wait_for_url("**/jobs/*")
    expect(page.locator("#job-status")).to_have_text("succeeded", timeout=WAIT_MS)
    page.goto(f"{portal.url}/clusters/appha")
    service = page.locator("svg.topology g.service-ip")
    expect(service).to_have_attribute("data-node", "appha-node1")
    expect(page.locator("#cluster-state")).to_have_text("Active")
    page.evaluate("window.stillThisPage = true")
    shot(page, tmp_path, "cluster-live-before")

    token = portal.keystone_token("otto")  # an API client, as the CLI's side holds one
    with httpx.Client(base_url=portal.url, trust_env=False, timeout=30) as api:
        answer = api.post(
            "/api/v1/clusters/appha/failover",
            json={"to": "appha-node2"},
            headers={"X-Auth-Token": token},
        )
        assert answer.status_code == 202, answer.text
    expect(service).to_have_attribute("data-node", "appha-node2", timeout=WAIT_MS)
    expect(page.locator("#cluster-state")).to_have_text("Active", timeout=WAIT_MS)
    assert page.evaluate("window.stillThisPage === true")  # the same page, refreshed in place
    shot(page, tmp_path, "cluster-live-after")
