"""`powerbridge ha failover|stop|start|add-disk|delete NAME`: day-two operations (docs/ha.md,
"Day two"). Each runs as a job of the shared store with the create's live progress; a failing
step ends with one line (node, command, PowerHA's ERROR line) and `ha show` has the output.
`register(app)` adds them to the `ha` group.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.cloud import CloudArgs, command, run
from powerbridge.cli.ha_common import (
    NameArgument,
    SshKeyOption,
    StoreOption,
    YesOption,
    ha_errors,
    load_key,
    open_store,
)
from powerbridge.cli.ha_view import StepProgress

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.journal import StepEvent
    from powerbridge.ha.operations import OperationOptions
    from powerbridge.jobs import Job, JobStore

__all__ = ["register"]

Operation = Callable[
    ["Cloud", "JobStore", str, "Identity", "OperationOptions", Callable[["StepEvent"], None]],
    Awaitable["Job"],
]


class OperationProgress(StepProgress):
    """The create's progress, titled with the operation."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title

    def _table(self) -> Any:
        table = super()._table()
        table.title = self.title
        return table


def _operate(
    cloud: CloudArgs,
    name: str,
    ssh_key: Path | None,
    store_url: str | None,
    operation: Operation,
    options: "OperationOptions",
    *,
    title: str,
    confirm_with: Callable[["JobStore"], None] | None = None,
) -> "Job":
    """Run `operation` on cluster `name` with live progress; errors become one line."""
    from powerbridge.cli.signals import sigterm_as_ctrl_c
    from powerbridge.ha.errors import HAError
    from powerbridge.ha.operations import load_cluster_spec_of

    store = open_store(store_url)
    try:
        try:
            spec = load_cluster_spec_of(store, name)
        except HAError as problem:
            raise ha_errors(problem) from None
        if confirm_with is not None:
            confirm_with(store)
        identity = load_key(spec, ssh_key)

        async def work(c: "Cloud") -> "Job":
            try:
                with OperationProgress(title) as progress:
                    return await operation(c, store, name, identity, options, progress.event)
            except HAError as problem:
                raise ha_errors(problem) from None

        with sigterm_as_ctrl_c() as stop:
            try:
                return run(cloud, work)
            except KeyboardInterrupt:
                typer.echo(f"{stop.how}; what was done is recorded in the job store", err=True)
                raise typer.Exit(stop.exit_code) from None
    finally:
        store.close()


def _print_delete(job: "Job") -> None:
    summary = job.summary
    for line in summary.get("deleted", []):
        typer.echo(f"deleted  {line}")
    for line in summary.get("kept", []):
        typer.echo(f"kept     {line}")
    for line in summary.get("notes", []):
        typer.echo(f"note     {line}")
    snapshot = summary.get("snapshot")
    kept_in = f"; snapshot {snapshot} kept in job {job.id}" if snapshot else ""
    typer.echo(f"cluster {job.target}: deleted by job {job.id}{kept_in}")


def failover_command(
    cloud: CloudArgs,
    name: NameArgument,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="NODE", help="Node to move to (default: the next node up)."),
    ] = None,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
) -> None:
    """Move the resource group to another node (clmgr move resource_group) and check it."""
    from powerbridge.ha.failover import failover
    from powerbridge.ha.operations import OperationOptions

    options = OperationOptions(to_node=to)
    title = f"Failover of {name}"
    job = _operate(cloud, name, ssh_key, store_url, failover, options, title=title)
    moved = job.summary
    typer.echo(
        f"cluster {name}: {moved['group']} online on {moved['to']}"
        f" (was {moved['from'] or 'nowhere'}); job {job.id}"
    )


def stop_command(
    cloud: CloudArgs,
    name: NameArgument,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
) -> None:
    """Stop cluster services on every node (the resource group goes offline)."""
    from powerbridge.ha.operations import OperationOptions
    from powerbridge.ha.services import stop_cluster

    options = OperationOptions()
    job = _operate(cloud, name, ssh_key, store_url, stop_cluster, options, title=f"Stop {name}")
    typer.echo(f"cluster {name}: Offline; job {job.id}")


def start_command(
    cloud: CloudArgs,
    name: NameArgument,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
) -> None:
    """Start cluster services where they are stopped; the group comes online."""
    from powerbridge.ha.operations import OperationOptions
    from powerbridge.ha.services import start_cluster

    options = OperationOptions()
    job = _operate(cloud, name, ssh_key, store_url, start_cluster, options, title=f"Start {name}")
    typer.echo(f"cluster {name}: {job.summary['state']} / {job.summary['status']}; job {job.id}")


def add_disk_command(
    cloud: CloudArgs,
    name: NameArgument,
    size: Annotated[
        int, typer.Option("--size", metavar="GB", min=1, help="The new disk's size in GB.")
    ],
    storage_template: Annotated[
        str | None,
        typer.Option(
            "--storage-template",
            metavar="T",
            help="Storage template (default: the spec's shared_storage one).",
        ),
    ] = None,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
) -> None:
    """Add a new shared disk to the cluster's volume group on every node."""
    from powerbridge.ha.add_disk import add_disk
    from powerbridge.ha.operations import OperationOptions

    options = OperationOptions(size_gb=size, storage_template=storage_template)
    title = f"New disk for {name}"
    job = _operate(cloud, name, ssh_key, store_url, add_disk, options, title=title)
    added = job.summary
    typer.echo(
        f"cluster {name}: {added['volume']} is in {added['volume_group']} on every node;"
        f" job {job.id}"
    )


def delete_command(
    cloud: CloudArgs,
    name: NameArgument,
    delete_data: Annotated[
        bool, typer.Option("--delete-data", help="Delete the data volumes too.")
    ] = False,
    yes: YesOption = False,
    ssh_key: SshKeyOption = None,
    store_url: StoreOption = None,
) -> None:
    """Delete the cluster: snapshot, offline, clmgr delete cluster, then its VMs, rule,
    repository and port (data volumes kept unless --delete-data)."""
    from powerbridge.cli.prompts import confirm
    from powerbridge.ha.delete import delete_cluster
    from powerbridge.ha.operations import OperationOptions

    data = "its data volumes too" if delete_data else "its data volumes are kept"
    question = f"Delete PowerHA cluster {name}, its nodes and repository ({data})?"
    options = OperationOptions(delete_data=delete_data)
    job = _operate(
        cloud,
        name,
        ssh_key,
        store_url,
        delete_cluster,
        options,
        title=f"Deleting {name}",
        confirm_with=lambda _: confirm(question, assume_yes=yes),
    )
    _print_delete(job)


COMMANDS: dict[str, Callable[..., None]] = {
    "failover": failover_command,
    "stop": stop_command,
    "start": start_command,
    "add-disk": add_disk_command,
    "delete": delete_command,
}


def register(app: typer.Typer) -> None:
    """Add these commands to the `ha` group."""
    for name, function in COMMANDS.items():
        command(app, name)(function)
