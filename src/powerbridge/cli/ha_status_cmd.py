"""`powerbridge ha list | show | status | inventory | trust-host-key`: a cluster read now.

Each command reads PowerVC and (except `inventory`) every node at once over SSH, as
`powerbridge.ha.status` does; the job store supplies the spec, the host key pins and whether
a create runs. The SSH key is `--ssh-key`, else the spec's `ssh.private_key`, else the agent,
else `~/.ssh/id_*` (as for `ha create`). Registered on `cli/ha.py`'s app by `register(app)`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.errors import CliError
from powerbridge.cli.ha_common import (
    NameArgument,
    SshKeyOption,
    StoreOption,
    ha_errors,
    open_store,
)
from powerbridge.cli.output import OutputFormat

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.cluster_view import ClusterView
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.status import ReadOptions
    from powerbridge.jobs import JobStore

__all__ = ["register"]

TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--connect-timeout",
        metavar="SECONDS",
        min=0.1,
        help="Seconds to reach the nodes, for all of them together (default: the spec's"
        " ssh.connect_timeout, at most 10).",
    ),
]


def list_command(
    cloud: CloudArgs,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
    connect_timeout: TimeoutOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """List the clusters (job store and PowerVC's tags) with their state and status."""
    from powerbridge.cli.ha_status_view import show_clusters
    from powerbridge.ha.status import list_clusters

    store = open_store(store_url)
    identity = _identity(None, ssh_key) if ssh_key is not None else _any_identity()
    options = _options(connect_timeout)
    try:
        rows = run(cloud, lambda c: list_clusters(c, store, identity=identity, options=options))
    finally:
        store.close()
    show_clusters(rows, output_format)


def show_command(
    cloud: CloudArgs,
    name: NameArgument,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
    connect_timeout: TimeoutOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show a cluster now: nodes, resource groups, disks, service IP, state, events."""
    from powerbridge.cli.ha_status_view import show_cluster

    view = _read(cloud, name, ssh_key, store_url, connect_timeout)
    show_cluster(view, output_format)
    _refuse_host_keys(view)


def status_command(
    cloud: CloudArgs,
    name: NameArgument,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Read again until Ctrl-C, show changes.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", metavar="SECONDS", min=0.1, help="Between reads.")
    ] = 5.0,
    count: Annotated[
        int | None,
        typer.Option("--count", metavar="N", min=1, help="With --watch: stop after N reads."),
    ] = None,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
    connect_timeout: TimeoutOption = None,
) -> None:
    """The cluster's state and status in a line (and why); --watch follows it."""
    if watch:
        _watch(cloud, name, ssh_key, store_url, connect_timeout, interval, count)
        return
    from powerbridge.cli.ha_status_view import status_text

    view = _read(cloud, name, ssh_key, store_url, connect_timeout)
    typer.echo(status_text(view))
    _refuse_host_keys(view)


def inventory_command(cloud: CloudArgs, name: NameArgument, store_url: StoreOption = None) -> None:
    """Print an Ansible inventory (YAML) of the nodes, for `ansible -m raw`."""
    from powerbridge.ha.access import cluster_inventory

    store = open_store(store_url)
    try:
        text = run(cloud, lambda c: _ha(cluster_inventory(c, store, name)))
    finally:
        store.close()
    typer.echo(text, nl=False)


def trust_command(
    name: NameArgument,
    node: Annotated[str, typer.Argument(metavar="NODE", help="The rebuilt node.")],
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
    connect_timeout: TimeoutOption = None,
) -> None:
    """Pin the host key a node presents now (after a known rebuild of the node)."""
    _trust(name, node, ssh_key, store_url, connect_timeout)


CLOUD_COMMANDS: dict[str, Callable[..., None]] = {
    "list": list_command,
    "show": show_command,
    "status": status_command,
    "inventory": inventory_command,
}


def register(app: typer.Typer) -> None:
    """Add these commands to the `ha` group."""
    for name, function in CLOUD_COMMANDS.items():
        command(app, name)(function)
    app.command("trust-host-key")(trust_command)


def _identity(spec_key: str | None, ssh_key: Path | None) -> Identity:
    from powerbridge.ha.identity import IdentityError, load_identity

    try:
        cli_key = str(ssh_key) if ssh_key is not None else None
        return load_identity(spec_key, cli_key, interactive=sys.stdin.isatty())
    except IdentityError as problem:
        raise CliError(str(problem)) from None


def _any_identity() -> Identity | None:
    """The agent's or a default key; None when there is none (`ha list` then reads no node
    and says so per cluster, rather than failing)."""
    from powerbridge.ha.identity import IdentityError, load_identity

    try:
        return load_identity(None, None, interactive=sys.stdin.isatty())
    except IdentityError:
        return None


def _spec_key(store: JobStore, name: str) -> tuple[str | None, str]:
    """The spec's private key and SSH user, as the cluster's create job kept them."""
    from powerbridge.ha.journal import CLUSTER, CREATE
    from powerbridge.ha.status import job_spec

    spec = job_spec(store.latest(name, kind=CLUSTER, action=CREATE))
    return (spec.ssh.private_key, spec.ssh.user) if spec else (None, "root")


def _options(connect_timeout: float | None) -> ReadOptions:
    from powerbridge.ha.status import ReadOptions

    return ReadOptions(connect_timeout=connect_timeout)


async def _ha(work: Any) -> Any:
    """Await `work`; the ha package's errors become one line."""
    from powerbridge.ha.errors import HAError

    try:
        return await work
    except HAError as problem:
        raise ha_errors(problem) from None


def _read(
    cloud: CloudArgs,
    name: str,
    ssh_key: Path | None,
    store_url: str | None,
    connect_timeout: float | None,
) -> ClusterView:
    from powerbridge.ha.status import read_cluster

    store = open_store(store_url)
    try:
        identity = _identity(_spec_key(store, name)[0], ssh_key)
        options = _options(connect_timeout)
        view: ClusterView = run(
            cloud, lambda c: _ha(read_cluster(c, store, name, identity, options))
        )
        return view
    finally:
        store.close()


def _refuse_host_keys(view: ClusterView) -> None:
    """A changed host key is a man-in-the-middle warning: shown, and the exit status 1."""
    if view.host_key_errors:
        raise CliError(
            view.host_key_errors[0],
            hint="if the node was rebuilt on purpose: powerbridge ha trust-host-key"
            f" {view.name} NODE",
        )


def _watch(
    cloud: CloudArgs,
    name: str,
    ssh_key: Path | None,
    store_url: str | None,
    connect_timeout: float | None,
    interval: float,
    count: int | None,
) -> None:
    from powerbridge.cli.ha_watch import watch_cluster
    from powerbridge.ha.status import read_cluster

    store = open_store(store_url)
    identity = _identity(_spec_key(store, name)[0], ssh_key)
    options = _options(connect_timeout)

    async def watch(c: Cloud) -> ClusterView:
        async def read() -> ClusterView:
            view: ClusterView = await _ha(read_cluster(c, store, name, identity, options))
            return view

        return await watch_cluster(read, sys.stdout, interval=interval, count=count)

    try:
        run(cloud, watch)
    except KeyboardInterrupt:
        typer.echo("stopped watching", err=True)
    finally:
        store.close()


def _trust(
    name: str,
    node: str,
    ssh_key: Path | None,
    store_url: str | None,
    connect_timeout: float | None,
) -> None:
    import asyncio

    from powerbridge.ha.access import trust_host_key
    from powerbridge.ha.errors import HAError
    from powerbridge.ha.node_errors import NodeAccessError

    store = open_store(store_url)
    try:
        spec_key, user = _spec_key(store, name)
        identity = _identity(spec_key, ssh_key)
        work = trust_host_key(
            store, name, node, identity, user=user, connect_timeout=connect_timeout or 10.0
        )
        trusted = asyncio.run(work)
    except (HAError, NodeAccessError) as problem:
        raise ha_errors(problem) from None
    finally:
        store.close()
    was = f" (was {trusted.previous})" if trusted.previous else ""
    change = "pinned the new" if trusted.changed else "kept the same"
    typer.echo(f"{name}: {change} host key of {node} at {trusted.address}: {trusted.current}{was}")
