"""The new-cluster page: Plan (an htmx fragment) shows the plan or the spec's errors beside
it; Deploy needs an operator and the CSRF token; forms carry the token."""

from __future__ import annotations

from importlib import resources

from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
HTMX = {"HX-Request": "true"}


def test_the_new_cluster_page_has_a_labelled_spec_and_both_buttons(portal: PortalLab) -> None:
    with portal.signed_in("otto") as browser:
        page = browser.get("/clusters/new").text
    assert '<label for="spec">Cluster spec</label>' in page
    assert "name: appha" in page  # the shipped example to start from
    assert ">Plan</button>" in page
    assert ">Deploy</button>" in page
    assert 'name="csrf_token" value="' in page


def test_plan_shows_the_plan_rows(portal: PortalLab) -> None:
    with portal.signed_in("otto") as browser:
        form = {"spec": EXAMPLE, "csrf_token": portal.csrf(browser)}
        answer = browser.post("/clusters/new/plan", data=form, headers=HTMX)
    assert answer.status_code == 200
    assert "Plan for appha" in answer.text
    assert "badge succeeded" in answer.text
    assert "<td>appha-node1</td>" in answer.text


def test_plan_shows_the_specs_errors_beside_it(portal: PortalLab) -> None:
    bad = EXAMPLE.replace("fallover: FNPN", "fallover: SIDEWAYS")
    with portal.signed_in("otto") as browser:
        form = {"spec": bad, "csrf_token": portal.csrf(browser)}
        answer = browser.post("/clusters/new/plan", data=form, headers=HTMX)
    assert answer.status_code == 200  # htmx swaps only a 2xx answer
    assert 'class="error" role="alert"' in answer.text
    assert "resource_group.fallover" in answer.text
    assert "SIDEWAYS" in answer.text
    assert "Traceback" not in answer.text


def test_a_form_without_its_csrf_token_plans_nothing(portal: PortalLab) -> None:
    with portal.signed_in("otto") as browser:
        answer = browser.post("/clusters/new/plan", data={"spec": EXAMPLE})
    assert answer.status_code == 403
    assert "CSRF token" in answer.text


def test_a_viewer_cannot_deploy_from_the_form(portal: PortalLab) -> None:
    with portal.signed_in("vera") as browser:
        form = {"spec": EXAMPLE, "csrf_token": portal.csrf(browser)}
        answer = browser.post("/clusters/new", data=form)
        assert answer.status_code == 403
        assert "viewers change nothing" in answer.text
        assert browser.get("/api/v1/jobs").json() == {"jobs": []}  # nothing was queued


def test_a_browser_gets_errors_as_a_page(portal: PortalLab) -> None:
    with portal.signed_in("otto") as browser:
        answer = browser.get("/jobs/999999", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert '<p class="error" role="alert">no job 999999</p>' in answer.text
