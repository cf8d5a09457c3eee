"""A cluster's topology as an inline SVG picture, drawn on the server from its `ClusterView`.

```
 ─────────────── network ──────────────────────────────
 ┌ host A ───────────┐   ┌ host B ───────────┐
 │ ┌ node1 ────────┐ │   │ ┌ node2 ────────┐ │
 │ │ 10.0.0.11     │ │   │ │ 10.0.0.12     │ │
 │ │ group, svc IP │ │   │ │               │ │
 └───────────────────┘   └───────────────────┘
   [repository]  [data 1]  [data 2]      (lines to the nodes that see each disk)
```
Built with ElementTree (every text escaped, always well-formed), accessible: a `<title>`
and `<desc>` saying in words what the picture shows, a text label on every box, and each
node a link to its detail section of the cluster page. Classes and `data-` attributes name
what each group is, for the stylesheet and for tests.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from powerbridge.ha.cluster_view import ClusterView, DiskView, NodeView

__all__ = ["host_label", "topology_svg"]

NS = "http://www.w3.org/2000/svg"
NODE_W, NODE_H, GAP, PAD = 230, 92, 16, 12
HOST_TOP, NET_Y = 56, 24
DISK_W, DISK_H = 200, 44
NO_HOST = "host unknown"


def host_label(node: NodeView) -> str:
    """The host's name; for a user PowerVC names no host to, its hostId (which tells the
    hosts apart without naming them)."""
    if node.host:
        return node.host
    return f"host {node.host_id[:10]}" if node.host_id else NO_HOST


def _hosts(view: ClusterView) -> dict[str, list[NodeView]]:
    """Nodes by the host PowerVC placed them on, in the cluster's node order."""
    hosts: dict[str, list[NodeView]] = {}
    for node in view.nodes:
        hosts.setdefault(host_label(node), []).append(node)
    return hosts


def _text(parent: ET.Element, x: float, y: float, words: str, css: str = "") -> None:
    label = ET.SubElement(parent, "text", x=f"{x:g}", y=f"{y:g}")
    if css:
        label.set("class", css)
    label.text = words


def _box(parent: ET.Element, x: float, y: float, w: float, h: float, css: str) -> None:
    ET.SubElement(
        parent, "rect", x=f"{x:g}", y=f"{y:g}", width=f"{w:g}", height=f"{h:g}", rx="6"
    ).set("class", css)


def _node_state(node: NodeView) -> str:
    if not node.reachable:
        return node.reason or "not reachable"
    return f"{node.clstrmgr_state or '?'} · CAA {node.caa_state or '?'}"


def _service_ips(view: ClusterView, node: str) -> list[str]:
    return [f"{ip.label} {ip.address or ''}".strip() for ip in view.service_ips if ip.node == node]


def _node(parent: ET.Element, view: ClusterView, node: NodeView, x: float, y: float) -> None:
    link = ET.SubElement(parent, "a", href=f"#node-{node.name}")
    group = ET.SubElement(link, "g", {"class": "node", "data-node": node.name})
    group.set("data-state", node.clstrmgr_state or "unknown")
    ET.SubElement(group, "title").text = f"node {node.name}: {_node_state(node)}"
    holds = view.group_node == node.name
    _box(group, x, y, NODE_W, NODE_H, "lpar holder" if holds else "lpar")
    _text(group, x + 8, y + 18, node.name, "name")
    _text(group, x + 8, y + 36, ", ".join(node.addresses) or "no address")
    _text(group, x + 8, y + 54, _node_state(node), "state")
    if holds:
        held = ET.SubElement(group, "g", {"class": "service-ip", "data-node": node.name})
        groups = ", ".join(g.name for g in view.groups if node.name in g.online_on)
        ips = ", ".join(_service_ips(view, node.name)) or "service IP offline"
        _text(held, x + 8, y + 72, f"group {groups}" if groups else "group", "group")
        _text(held, x + 8, y + 86, ips, "service")


def _disk(parent: ET.Element, disk: DiskView, x: float, y: float) -> None:
    group = ET.SubElement(
        parent, "g", {"class": "disk", "data-role": disk.role, "data-volume": disk.volume_name}
    )
    seen = ", ".join(f"{n} {d.hdisk}" for n, d in disk.on_nodes.items()) or "seen by no node"
    ET.SubElement(group, "title").text = f"{disk.role} disk {disk.volume_name}: {seen}"
    _box(group, x, y, DISK_W, DISK_H, f"volume {disk.role}")
    _text(group, x + 8, y + 18, disk.role.replace("_", " "), "name")
    size = f" · {disk.size_gb} GB" if disk.size_gb else ""
    _text(group, x + 8, y + 34, f"{disk.volume_name}{size}")


def _line(parent: ET.Element, x1: float, y1: float, x2: float, y2: float, css: str) -> None:
    ET.SubElement(parent, "line", x1=f"{x1:g}", y1=f"{y1:g}", x2=f"{x2:g}", y2=f"{y2:g}").set(
        "class", css
    )


def _description(view: ClusterView, hosts: dict[str, list[NodeView]]) -> str:
    placed = "; ".join(
        f"{host}: {', '.join(n.name for n in nodes)}" for host, nodes in hosts.items()
    )
    holder = view.group_node or "no node"
    ips = ", ".join(ip.address or ip.label for ip in view.service_ips) or "no service IP"
    disks = ", ".join(f"{d.role} {d.volume_name}" for d in view.disks) or "no disks"
    return (
        f"Cluster {view.name} is {view.state} / {view.status}. Hosts and their nodes: {placed}."
        f" The resource group and {ips} are on {holder}. Disks: {disks}."
    )


def topology_svg(view: ClusterView, network: str | None = None) -> str:
    """The picture of `view`: an `<svg>` element as text, ready to inline in a page."""
    hosts = _hosts(view)
    widths = [len(nodes) * (NODE_W + GAP) - GAP + 2 * PAD for nodes in hosts.values()]
    host_h = NODE_H + 2 * PAD + 18
    disk_y = HOST_TOP + host_h + 40
    width = max(sum(widths) + GAP * (len(widths) + 1), len(view.disks) * (DISK_W + GAP) + GAP, 360)
    height = disk_y + (DISK_H + 16 if view.disks else 0)
    svg = ET.Element(
        "svg",
        {
            "xmlns": NS,
            "viewBox": f"0 0 {width} {height}",
            # a group, not an img: an img's content is presentational, and its node links
            # must stay reachable (axe nested-interactive)
            "role": "group",
            "aria-labelledby": f"topo-title-{view.name} topo-desc-{view.name}",
            "class": "topology",
        },
    )
    ET.SubElement(svg, "title", id=f"topo-title-{view.name}").text = f"Topology of {view.name}"
    ET.SubElement(svg, "desc", id=f"topo-desc-{view.name}").text = _description(view, hosts)
    net = ET.SubElement(svg, "g", {"class": "network", "data-network": network or ""})
    _line(net, GAP, NET_Y, width - GAP, NET_Y, "net")
    _text(net, GAP, NET_Y - 8, f"network {network}" if network else "network", "name")
    centres = _draw_hosts(svg, view, hosts, widths, host_h)
    for x in centres.values():
        _line(net, x, NET_Y, x, HOST_TOP + PAD + 18, "net")
    _draw_disks(svg, view.disks, centres, disk_y, HOST_TOP + PAD + 18 + NODE_H)
    return ET.tostring(svg, encoding="unicode")


def _draw_hosts(
    svg: ET.Element,
    view: ClusterView,
    hosts: dict[str, list[NodeView]],
    widths: Sequence[int],
    host_h: int,
) -> dict[str, float]:
    """Each host's box with its nodes; where each node's centre is (x)."""
    centres: dict[str, float] = {}
    x = GAP
    for (host, nodes), w in zip(hosts.items(), widths, strict=True):
        group = ET.SubElement(svg, "g", {"class": "host", "data-host": host})
        named = nodes[0].host is not None
        ET.SubElement(group, "title").text = (
            f"host {host}" if named else f"{host} (PowerVC names hosts to administrators only)"
        )
        _box(group, x, HOST_TOP, w, host_h, "server")
        _text(group, x + PAD, HOST_TOP + 16, host, "name")
        for i, node in enumerate(nodes):
            nx = x + PAD + i * (NODE_W + GAP)
            _node(group, view, node, nx, HOST_TOP + PAD + 18)
            centres[node.name] = nx + NODE_W / 2
        x += w + GAP
    return centres


def _draw_disks(
    svg: ET.Element,
    disks: Sequence[DiskView],
    centres: dict[str, float],
    y: float,
    node_bottom: float,
) -> None:
    """The cluster's volumes in a row, a line from each to every node that sees it."""
    for i, disk in enumerate(disks):
        x = GAP + i * (DISK_W + GAP)
        for node in disk.on_nodes:
            if node in centres:
                _line(svg, x + DISK_W / 2, y, centres[node], node_bottom, f"attach {disk.role}")
        _disk(svg, disk, x, y)
