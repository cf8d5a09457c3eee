"""The topology picture's edge cases, drawn from views `read_cluster` can return: a node
PowerVC placed nowhere known, a node not read (and why), the group offline, odd names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from powerbridge.ha.cluster_view import ClusterView, DiskOnNode, DiskView, NodeView, ServiceIpView
from powerbridge.portal.topology_svg import topology_svg

SVG = "{http://www.w3.org/2000/svg}"


def drawn(view: ClusterView, network: str | None = None) -> ET.Element:
    return ET.fromstring(topology_svg(view, network))


def classed(svg: ET.Element, css: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == css]


def test_a_node_not_read_says_why_and_the_offline_group_is_drawn_nowhere() -> None:
    view = ClusterView(
        name="db<1>",
        state="Offline",
        status="Error",
        reasons=("cluster services are stopped",),
        home_node="a",
        group_node=None,
        nodes=(
            NodeView("a", host="h1", addresses=("10.0.0.1",), reachable=True),
            NodeView("b", reason="server SHUTOFF: not tried"),
        ),
        disks=(
            DiskView(
                "repository", "db-repo", "600", on_nodes={"a": DiskOnNode("hdisk1", None, None)}
            ),
        ),
        service_ips=(ServiceIpView("db-svc", "10.0.0.9", None),),
    )
    svg = drawn(view)
    assert {g.get("data-host") for g in classed(svg, "host")} == {"h1", "host unknown"}
    [b] = [g for g in classed(svg, "node") if g.get("data-node") == "b"]
    assert "server SHUTOFF: not tried" in (b.findtext(f"{SVG}title") or "")
    assert classed(svg, "service-ip") == []
    assert "10.0.0.9 are on no node" in (svg.findtext(f"{SVG}desc") or "")
    assert svg.findtext(f"{SVG}title") == "Topology of db<1>"  # escaped, parsed back whole
    attach = [line for line in svg.iter(f"{SVG}line") if "attach" in (line.get("class") or "")]
    assert len(attach) == 1  # the repository is seen by node a only
