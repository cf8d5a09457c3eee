"""clmgr's output: `ATTR="VALUE"` lines, `-c`/`-d` delimited rows with a `#` header, `-a`
to pick attributes, object names one per line for a query without a name (all objects'
attributes with `-v`), and the shared `ERROR:` helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands.base import Invocation

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Request
    from powerbridge.emulator.aix.powerha.model import Cluster

Attributes = dict[str, str]


def fail(inv: Invocation, errors: list[str], status: int = 1) -> int:
    for line in errors:
        inv.err.line(line if line.startswith("ERROR") else f"ERROR: {line}")
    return status


def no_cluster(inv: Invocation) -> int:
    return fail(inv, [f'ERROR: no cluster is defined on node "{inv.node.name}".'])


def cluster_of(inv: Invocation) -> Cluster | None:
    return inv.world.clusters.of_node(inv.node)


def save_changed(inv: Invocation, cluster: Cluster) -> int:
    """Save a change to the cluster's configuration, which now wants a sync; clmgr's status."""
    cluster.synced = False
    inv.world.clusters.save(cluster)
    return 0


def selected(request: Request, attrs: Attributes) -> Attributes:
    if not request.select:
        return attrs
    return {key: attrs[key] for key in request.select if key in attrs}


def print_objects(inv: Invocation, request: Request, objects: list[Attributes]) -> None:
    rows = [selected(request, attrs) for attrs in objects]
    if request.delimiter:
        if rows:
            inv.out.line("#" + request.delimiter.join(rows[0]))
        for row in rows:
            inv.out.line(request.delimiter.join(row.values()))
        return
    for index, row in enumerate(rows):
        if index:
            inv.out.line()
        for key, value in row.items():
            inv.out.line(f'{key}="{value}"')


def print_query(
    inv: Invocation, request: Request, kind: str, objects: dict[str, Attributes]
) -> int:
    """A class query: the named object's attributes, or every name (attributes with -v)."""
    if request.name:
        attrs = objects.get(request.name)
        if attrs is None:
            return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
        print_objects(inv, request, [attrs])
        return 0
    if request.verbose or request.select or request.delimiter:
        print_objects(inv, request, list(objects.values()))
    else:
        for name in objects:
            inv.out.line(name)
    return 0


def split_list(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


def unknown_attributes(request: Request, known: set[str]) -> list[str]:
    return [
        f'ERROR: "{attr}" is not a valid attribute for {request.action} {request.cls}.'
        for attr in request.attrs
        if attr not in known
    ]
