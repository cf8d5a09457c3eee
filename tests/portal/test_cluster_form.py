"""The field-by-field cluster form: a label for every field, choices from the live inventory
(read with the user's token), a wrong value's error beside its field (the server's located
spec errors mapped to the fields), Plan showing the CLI's plan, no Deploy for a viewer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from powerbridge.portal.cluster_form import FIELDS, example_values, form_spec
from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module", name="otto")
def otto_fixture(portal: PortalLab) -> Iterator[httpx.Client]:
    with portal.signed_in("otto") as browser:
        browser.headers["X-CSRF-Token"] = portal.csrf(browser)
        yield browser


def field_error(page: str, field_id: str) -> str:
    found = re.search(rf'<p id="{field_id}-error" class="error field-error">([^<]*)</p>', page)
    assert found is not None, f"no error beside {field_id}"
    return found[1]


def test_every_field_has_a_label_and_the_choices_are_powervcs(otto: httpx.Client) -> None:
    page = otto.get("/clusters/new/form").text
    for field in FIELDS:
        assert f'<label for="{field.id}">' in page, field.path
        assert f'id="{field.id}" name="{field.path}"' in page, field.path
    images = re.search(r'<select id="f-image" name="image"[^>]*>(.*?)</select>', page, re.S)
    assert images is not None
    assert '<option value="PowerHA72" selected>PowerHA72</option>' in images[1]
    assert "(not in PowerVC)" not in page  # the example's names are the emulator's
    assert 'value="deploy">Deploy</button>' in page


def test_plan_shows_the_clis_plan_of_what_the_fields_make(otto: httpx.Client) -> None:
    answer = otto.post("/clusters/new/form", data={**example_values(), "do": "plan"}, headers=HX)
    assert answer.status_code == 200
    assert "Plan for appha" in answer.text
    assert 'badge succeeded">ready' in answer.text
    assert 'role="alert"' not in answer.text


def test_wrong_values_show_their_errors_beside_their_fields(otto: httpx.Client) -> None:
    values = {**example_values(), "nodes.count": "two", "repository.size_gb": "900"}
    answer = otto.post("/clusters/new/form", data={**values, "do": "deploy"})
    assert answer.status_code == 422
    page = answer.text
    assert "whole number" in field_error(page, "f-nodes-count")
    assert "above the maximum 460" in field_error(page, "f-repository-size-gb")
    assert 'aria-describedby="f-nodes-count-help f-nodes-count-error"' in page
    assert 'value="two"' in page  # what was typed stays, to fix
    assert "2 fields to fix" in page
    # the spec's own rules (checked once the types are right) land beside their field too
    values = {**example_values(), "application.start.path": "start.sh"}
    page = otto.post("/clusters/new/form", data={**values, "do": "plan"}, headers=HX).text
    assert "is not an absolute path" in field_error(page, "f-application-start-path")
    jobs = otto.get("/api/v1/jobs").json()["jobs"]
    assert all(job["kind"] != "cluster" for job in jobs)  # nothing was submitted


def test_a_blocked_plan_is_shown_above_the_form(otto: httpx.Client) -> None:
    values = {**example_values(), "service_ip.address": "10.99.0.7"}  # outside cmbnet1
    answer = otto.post("/clusters/new/form", data={**values, "do": "deploy"}, headers=HX)
    assert answer.status_code == 200  # htmx swaps 2xx answers only
    assert 'id="form-problems"' in answer.text
    assert "blocked" in answer.text


def test_the_spec_the_fields_make(otto: httpx.Client) -> None:
    spec = form_spec({**example_values(), "service_ip.address": ""})
    assert spec["nodes"] == {"count": 2, "name": "{cluster}-node{index}"}
    assert spec["service_ip"] == {"label": "appha-svc", "allocate": True}
    assert spec["shared_storage"]["size_gb"] == 10


def test_a_viewer_gets_no_deploy_button(portal: PortalLab) -> None:
    with portal.signed_in("vera") as vera:
        page = vera.get("/clusters/new/form").text
        assert 'value="plan">Plan</button>' in page
        assert "Deploy</button>" not in page
