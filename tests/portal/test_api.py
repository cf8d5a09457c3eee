"""The REST API: who may call what (401 without a session, 403 for a viewer's writes),
X-Auth-Token clients, plans of good and bad specs, the read-only inventory, JSON errors."""

from __future__ import annotations

from importlib import resources

import pytest

from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
YAML = {"Content-Type": "application/yaml"}


def test_no_session_and_no_token_is_401(portal: PortalLab) -> None:
    with portal.client() as anyone:
        for path in ("/api/v1/jobs", "/api/v1/clusters", "/api/v1/inventory/images"):
            answer = anyone.get(path)
            assert answer.status_code == 401
            assert answer.json()["error"]["message"] == "not signed in (or the session ended)"
        bad = anyone.get("/api/v1/jobs", headers={"X-Auth-Token": "not-a-token"})
        assert bad.status_code == 401


def test_a_viewer_reads_but_may_not_create(portal: PortalLab) -> None:
    with portal.signed_in("vera") as browser:
        assert browser.get("/api/v1/clusters").status_code == 200
        headers = {**YAML, "X-CSRF-Token": portal.csrf(browser)}
        answer = browser.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 403
        error = answer.json()["error"]
        assert error["message"] == (
            "vera is a viewer in project ibm-default: viewers change nothing"
        )
        assert "deployer" in error["hint"]
        page = browser.get("/clusters/new").text
        assert "Plan</button>" in page
        assert "Deploy</button>" not in page  # (the nav links to Deployments)


def test_a_viewer_with_a_keystone_token_gets_403_too(portal: PortalLab) -> None:
    headers = {**YAML, "X-Auth-Token": portal.keystone_token("vera")}
    with portal.client() as client:
        assert client.get("/api/v1/jobs", headers=headers).status_code == 200
        answer = client.post("/api/v1/clusters", content=EXAMPLE, headers=headers)
        assert answer.status_code == 403


def test_the_plan_of_the_example_lists_what_a_create_makes(portal: PortalLab) -> None:
    headers = {"X-Auth-Token": portal.keystone_token("otto"), **YAML}
    with portal.client() as client:
        answer = client.post("/api/v1/clusters/plan", content=EXAMPLE, headers=headers)
    assert answer.status_code == 200, answer.text
    plan = answer.json()["plan"]
    assert plan["ok"] is True
    made = {(row["kind"], row["name"]) for row in plan["rows"] if row["action"] == "create"}
    assert {("server", "appha-node1"), ("server", "appha-node2")} <= made
    assert ("resource group", "appha_rg") in made


def test_a_bad_spec_is_422_with_the_located_message(portal: PortalLab) -> None:
    bad = EXAMPLE.replace("size_gb: 1 ", "size_gb: lots ")
    headers = {"X-Auth-Token": portal.keystone_token("root"), **YAML}
    with portal.client() as client:
        answer = client.post("/api/v1/clusters/plan", content=bad, headers=headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"].startswith("1 problem in the cluster spec; nothing was created: ")
    [problem] = error["problems"]
    assert problem.startswith("<spec>:30:12: repository.size_gb: expected a whole number")
    assert error["hint"] == "docs/ha.md describes every key"


def test_a_spec_naming_another_private_key_is_refused(portal: PortalLab) -> None:
    spec = EXAMPLE.replace("  # private_key: ~/.ssh/id_ed25519", "  private_key: /etc/ssh/key")
    headers = {"X-Auth-Token": portal.keystone_token("root"), **YAML}
    with portal.client() as client:
        answer = client.post("/api/v1/clusters/plan", content=spec, headers=headers)
    assert answer.status_code == 422
    assert "the portal logs in to the nodes with its own key" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("what", "name"),
    [
        ("images", "PowerHA72"),
        ("templates", "powervm.small"),
        ("networks", "cmbnet1"),
        ("hosts", "8286-42A_215A0BV"),
    ],
)
def test_the_inventory_is_read_with_the_users_token(
    portal: PortalLab, what: str, name: str
) -> None:
    with portal.signed_in("root") as browser:
        answer = browser.get(f"/api/v1/inventory/{what}")
    assert answer.status_code == 200, answer.text
    assert name in {row.get("name") for row in answer.json()[what]}


def test_powervc_decides_what_a_user_reads(portal: PortalLab) -> None:
    with portal.signed_in("vera") as browser:  # nova lets readers see no hypervisors
        answer = browser.get("/api/v1/inventory/hosts")
    assert answer.status_code == 403
    assert "Policy doesn't allow os_compute_api:os-hypervisors" in answer.json()["error"]["message"]


def test_errors_are_json_and_the_api_is_documented(portal: PortalLab) -> None:
    with portal.signed_in("root") as browser:
        missing = browser.get("/api/v1/jobs/999999")
        assert missing.status_code == 404
        assert missing.json() == {
            "error": {"message": "no job 999999", "hint": "GET /api/v1/jobs lists your project's"}
        }
        assert browser.get("/api/v1/nothing").json()["error"]["message"] == "Not Found"
        invalid = browser.get("/api/v1/jobs/abc")
        assert invalid.status_code == 422
        assert invalid.json()["error"]["message"].startswith("invalid request: path.job_id")
    with portal.client() as anyone:
        paths = anyone.get("/api/openapi.json").json()["paths"]
        assert {"/api/v1/clusters", "/api/v1/jobs/{job_id}/events"} <= set(paths)
        assert anyone.get("/api/docs").status_code == 200


def test_a_create_whose_plan_blocks_queues_nothing(portal: PortalLab) -> None:
    spec = EXAMPLE.replace("image: PowerHA72 ", "image: NoSuchImage ")
    headers = {"X-Auth-Token": portal.keystone_token("otto"), **YAML}  # no CSRF token needed
    with portal.client() as client:
        answer = client.post("/api/v1/clusters", content=spec, headers=headers)
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["message"].startswith("the plan for cluster appha is blocked: ")
        assert "NoSuchImage" in error["message"]
        assert error["message"].endswith("nothing was created")
        assert client.get("/api/v1/jobs", headers=headers).json() == {"jobs": []}


def _tokens_issued(portal: PortalLab) -> int:
    log = portal.aix.running.log_dir / "keystone" / "keystone.log"
    return sum('"POST /powervc/openstack/identity/v3/auth/tokens"' in line for line in log.open())


def test_calls_for_a_signed_in_user_ask_keystone_for_no_new_token(portal: PortalLab) -> None:
    with portal.signed_in("root") as browser:
        before = _tokens_issued(portal)
        for what in ("images", "templates", "networks", "hosts"):
            assert browser.get(f"/api/v1/inventory/{what}").status_code == 200
        headers = {"X-CSRF-Token": portal.csrf(browser)}
        planned = browser.post("/api/v1/clusters/plan", content=EXAMPLE, headers=headers)
        assert planned.status_code == 200
        assert _tokens_issued(portal) == before  # the session's own token, with its catalog
