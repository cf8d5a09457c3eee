"""The cluster page and API on a cluster the portal built: its state read fresh from the
nodes and PowerVC, the topology picture (parsed as XML), the actions as jobs that outlive
their request (failover, stop, start, add disk, delete), each with its RBAC and CSRF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import resources
from typing import Any

import httpx
import pytest

from powerbridge.ha.spec import parse_cluster_spec
from tests.portal.portal_lab import PortalLab, portal_fixture  # noqa: F401
from tests.portal.test_build import sse

EXAMPLE = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
SVG = "{http://www.w3.org/2000/svg}"
NODES = ["appha-node1", "appha-node2"]


@pytest.fixture(scope="module", name="otto")
def otto_fixture(portal: PortalLab) -> Iterator[httpx.Client]:
    """otto (an operator) signed in, with the example built through the API."""
    with portal.signed_in("otto") as browser:
        browser.headers["X-CSRF-Token"] = portal.csrf(browser)
        answer = browser.post(
            "/api/v1/clusters", content=EXAMPLE, headers={"Content-Type": "application/yaml"}
        )
        assert answer.status_code == 202, answer.text
        assert follow(browser, answer.json()["job"]["id"]) == "succeeded"
        yield browser


def follow(browser: httpx.Client, job_id: int) -> str:
    """The job's events to their end (SSE); its final status."""
    with browser.stream("GET", f"/api/v1/jobs/{job_id}/events", timeout=120) as stream:
        *_, end = list(sse(stream))
    assert end[0] == "end"
    status: str = end[2]["status"]
    return status


def cluster(browser: httpx.Client) -> dict[str, Any]:
    answer = browser.get("/api/v1/clusters/appha")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["cluster"]
    return found


def picture(browser: httpx.Client) -> ET.Element:
    """The topology SVG inlined in the cluster page, parsed."""
    page = browser.get("/clusters/appha").text
    found = re.search(r"<svg .*?</svg>", page, re.S)
    assert found is not None, page
    return ET.fromstring(found[0])


def groups(svg: ET.Element, css: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == css]


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def act(browser: httpx.Client, path: str, **body: Any) -> dict[str, Any]:
    """An action through the API, followed to its end: the job as it finished."""
    method = "DELETE" if path == "" else "POST"
    answer = browser.request(method, f"/api/v1/clusters/appha{path}", json=body or None)
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()["job"]
    assert answer.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["owner"], job["source"]) == ("otto", "portal")
    follow(browser, job["id"])
    finished: dict[str, Any] = browser.get(f"/api/v1/jobs/{job['id']}").json()["job"]
    return finished


def test_the_cluster_is_read_active_normal_from_the_nodes(otto: httpx.Client) -> None:
    view = cluster(otto)
    assert (view["state"], view["status"]) == ("Active", "Normal"), view["reasons"]
    assert [n["name"] for n in view["nodes"]] == NODES
    assert all(n["reachable"] and n["clstrmgr_state"] == "ST_STABLE" for n in view["nodes"])
    assert all(n["host_id"] and n["addresses"] for n in view["nodes"]), view["nodes"]
    assert len({n["host_id"] for n in view["nodes"]}) == 2  # anti-affinity: two hosts
    assert {n["host"] for n in view["nodes"]} == {None}  # nova names hosts to admins only
    assert view["group_node"] == "appha-node1"
    assert [ip["node"] for ip in view["service_ips"]] == ["appha-node1"]
    roles = sorted(d["role"] for d in view["disks"])
    assert "repository" in roles
    assert "data" in roles
    assert all(set(d["on_nodes"]) == set(NODES) for d in view["disks"])


def test_the_page_shows_state_nodes_disks_and_actions(otto: httpx.Client) -> None:
    page = otto.get("/clusters/appha").text
    assert '<span class="badge state-active" id="cluster-state">Active</span>' in page
    assert '<span class="badge status-normal" id="cluster-status">Normal</span>' in page
    for node in NODES:
        assert f'<td><a href="#node-{node}">{node}</a></td>' in page
        assert f'<section id="node-{node}" class="node-detail"' in page
    assert ">Fail over</button>" in page
    assert ">Delete cluster</button>" in page
    assert '<label for="delete-confirm">' in page


def test_the_live_block_is_polled_and_read_as_the_api_reads(otto: httpx.Client) -> None:
    page = otto.get("/clusters/appha").text
    assert 'hx-get="/clusters/appha/live" hx-trigger="every 3s" hx-swap="outerHTML"' in page
    live = otto.get("/clusters/appha/live").text  # what each poll swaps in
    assert live.lstrip().startswith('<div id="cluster-live"')
    assert 'id="cluster-state">Active</span>' in live
    assert "<svg " in live
    assert "Fail over</button>" not in live  # the action forms stay outside: typing is kept


def test_the_picture_shows_hosts_nodes_disks_and_the_service_ip(otto: httpx.Client) -> None:
    view = cluster(otto)
    svg = picture(otto)
    assert svg.get("role") == "group"
    assert (svg.findtext(f"{SVG}title") or "") == "Topology of appha"
    desc = svg.findtext(f"{SVG}desc") or ""
    assert "Active / Normal" in desc
    hosts = {g.get("data-host"): g for g in groups(svg, "host")}
    labels = {n["name"]: f"host {n['host_id'][:10]}" for n in view["nodes"]}
    assert set(hosts) == set(labels.values())
    for node in view["nodes"]:  # each node drawn on its host, with its address
        on_host = groups(hosts[labels[node["name"]]], "node")
        drawn = [g for g in on_host if g.get("data-node") == node["name"]]
        assert len(drawn) == 1
        assert node["addresses"][0] in texts(drawn[0])
    [service] = groups(svg, "service-ip")
    assert service.get("data-node") == "appha-node1"
    assert any(view["service_ips"][0]["address"] in t for t in texts(service))
    volumes = {g.get("data-volume") for g in groups(svg, "disk")}
    assert volumes == {d["volume_name"] for d in view["disks"]}
    network = parse_cluster_spec(EXAMPLE, source=None).network
    assert groups(svg, "network")[0].get("data-network") == network
    assert f"network {network}" in texts(groups(svg, "network")[0])
    links = {a.get("href") for a in svg.iter(f"{SVG}a")}
    assert links == {f"#node-{n}" for n in NODES}


def test_an_administrator_sees_the_host_names(portal: PortalLab, otto: httpx.Client) -> None:
    with portal.signed_in("root") as admin:
        nodes = cluster(admin)["nodes"]
        hosts = {g.get("data-host") for g in groups(picture(admin), "host")}
    assert all(n["host"] for n in nodes)
    assert hosts == {n["host"] for n in nodes}


def test_an_api_client_with_a_keystone_token_reads_it(
    portal: PortalLab, otto: httpx.Client
) -> None:
    headers = {"X-Auth-Token": portal.keystone_token("vera")}
    with portal.client(headers=headers) as client:
        assert cluster(client)["name"] == "appha"
        svg = client.get("/api/v1/clusters/appha/topology.svg")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert ET.fromstring(svg.text).get("role") == "group"
        paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/v1/clusters/{name}", "/api/v1/clusters/{name}/failover"} <= set(paths)
    assert {"get", "delete"} <= set(paths["/api/v1/clusters/{name}"])


def test_a_viewer_sees_the_cluster_but_no_actions(portal: PortalLab, otto: httpx.Client) -> None:
    with portal.signed_in("vera") as viewer:
        assert cluster(viewer)["state"] == "Active"
        page = viewer.get("/clusters/appha").text
        assert "<svg " in page
        assert "<button" not in page.split("</header>")[1]  # no action button at all
        headers = {"X-CSRF-Token": portal.csrf(viewer)}
        for path in ("/failover", "/stop", "/start"):
            answer = viewer.post(f"/api/v1/clusters/appha{path}", headers=headers)
            assert answer.status_code == 403
            assert "viewers change nothing" in answer.json()["error"]["message"]
        answer = viewer.request("DELETE", "/api/v1/clusters/appha", headers=headers)
        assert answer.status_code == 403


def test_an_action_without_the_csrf_token_is_refused(portal: PortalLab, otto: httpx.Client) -> None:
    answer = otto.post("/api/v1/clusters/appha/stop", headers={"X-CSRF-Token": ""})
    assert answer.status_code == 403
    assert "CSRF token" in answer.json()["error"]["message"]
    assert otto.get("/api/v1/jobs", params={"target": "appha"}).json()["jobs"][0]["action"] == (
        "create"
    )  # no job was made


def test_another_project_does_not_see_the_cluster(portal: PortalLab, otto: httpx.Client) -> None:
    with portal.signed_in("pat", "lab2") as other:
        assert other.get("/api/v1/clusters/appha").status_code == 404
        headers = {"X-CSRF-Token": portal.csrf(other)}
        assert other.post("/api/v1/clusters/appha/stop", headers=headers).status_code == 404
    assert otto.get("/api/v1/clusters/nosuch").status_code == 404


def test_a_failover_to_a_node_not_of_the_cluster_makes_no_job(
    portal: PortalLab, otto: httpx.Client
) -> None:
    answer = otto.post("/api/v1/clusters/appha/failover", json={"to": "elsewhere"})
    assert answer.status_code == 422, answer.text
    assert "elsewhere" in answer.json()["error"]["message"]
    jobs = otto.get("/api/v1/jobs", params={"target": "appha"}).json()["jobs"]
    assert [j["action"] for j in jobs] == ["create"]
    # the credential made for the refused action went at once (the create's at its end)
    identity, http = portal.aix.running.auth_url, portal.aix.http
    user = http.get(f"{identity}/users", params={"name": "otto"}).json()["users"][0]["id"]
    made = http.get(f"{identity}/users/{user}/application_credentials").json()
    assert made["application_credentials"] == []


def test_a_failover_moves_the_group_and_the_picture_follows(otto: httpx.Client) -> None:
    job = act(otto, "/failover", to="appha-node2")
    assert job["status"] == "succeeded"
    assert [s["name"] for s in job["steps"]] == ["connect", "state", "move", "verify"]
    assert any(
        "clmgr move resource_group" in c["command"] for s in job["steps"] for c in s["commands"]
    )
    view = cluster(otto)  # read again: the action dropped the cached view
    assert (view["state"], view["group_node"]) == ("Active", "appha-node2")
    assert view["status"] == "Warning"  # away from its home node, as PowerHA's view says
    assert any("not its home node" in reason for reason in view["reasons"])
    [service] = groups(picture(otto), "service-ip")
    assert service.get("data-node") == "appha-node2"


def test_the_page_form_fails_over_back_and_opens_the_job(otto: httpx.Client) -> None:
    csrf = otto.headers.pop("X-CSRF-Token")  # a plain form: the token in its field only
    try:
        answer = otto.post("/clusters/appha/actions/failover", data={"to": "", "csrf_token": csrf})
    finally:
        otto.headers["X-CSRF-Token"] = csrf
    assert answer.status_code == 303, answer.text
    job_id = int(answer.headers["location"].removeprefix("/jobs/"))
    assert follow(otto, job_id) == "succeeded"
    assert cluster(otto)["group_node"] == "appha-node1"  # the next node up: back home


def test_stop_then_start_cluster_services(otto: httpx.Client) -> None:
    assert act(otto, "/stop")["status"] == "succeeded"
    stopped = cluster(otto)
    assert stopped["state"] == "Offline"
    assert groups(picture(otto), "service-ip") == []  # no node holds the group
    assert act(otto, "/start")["status"] == "succeeded"
    assert (cluster(otto)["state"], cluster(otto)["status"]) == ("Active", "Normal")


def test_add_disk_adds_a_shared_disk_on_every_node(otto: httpx.Client) -> None:
    before = [d for d in cluster(otto)["disks"] if d["role"] == "data"]
    bad = otto.post("/api/v1/clusters/appha/disks", json={"size_gb": 0})
    assert bad.status_code == 422
    assert "size_gb" in bad.json()["error"]["message"]
    job = act(otto, "/disks", size_gb=5)
    assert job["status"] == "succeeded", job["summary"]
    after = [d for d in cluster(otto)["disks"] if d["role"] == "data"]
    assert len(after) == len(before) + 1
    new = [d for d in after if d["volume_name"] not in {b["volume_name"] for b in before}]
    assert new[0]["size_gb"] == 5
    assert set(new[0]["on_nodes"]) == set(NODES)


def test_delete_from_the_page_needs_the_name_typed(otto: httpx.Client) -> None:
    csrf = otto.headers["X-CSRF-Token"]
    answer = otto.post(
        "/clusters/appha/actions/delete",
        data={"confirm": "wrong", "csrf_token": csrf},
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 422
    assert "name (appha) to confirm; nothing was deleted" in answer.text
    assert cluster(otto)["state"] == "Active"


def test_delete_removes_the_cluster(portal: PortalLab, otto: httpx.Client) -> None:
    job = act(otto, "", delete_data=True)
    assert job["status"] == "succeeded", job["summary"]
    servers = portal.aix.http.get(f"{portal.aix.compute}/servers/detail").json()["servers"]
    assert servers == []
    assert otto.get("/api/v1/clusters/appha").status_code == 404
