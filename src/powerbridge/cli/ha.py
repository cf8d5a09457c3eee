"""`powerbridge ha`: PowerHA SystemMirror clusters from one spec file (docs/ha.md).

`plan` shows what `create` will make and creates nothing; `create` runs the build as a job
of the shared store (steps, nodes and every remote command recorded), so `--resume`
continues a stopped or failed build without creating anything twice. Exit codes: 0 done,
1 error (blocked plan, failed step), 2 usage, 130/143 interrupted.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli import ha_ops_cmd, ha_status_cmd
from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.errors import CliError
from powerbridge.cli.ha_common import (
    SpecArgument,
    SshKeyOption,
    StoreOption,
    YesOption,
    ha_errors,
    load_key,
    load_spec,
    open_store,
)
from powerbridge.cli.output import OutputFormat
from powerbridge.cli.prompts import confirm

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.plan import ClusterPlan
    from powerbridge.jobs import Job, JobStore

app = typer.Typer(
    help="PowerHA SystemMirror clusters: plan, create, show, fail over, delete.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _blocked(plan: ClusterPlan) -> CliError:
    count = len(plan.blocks)
    more = f" (and {count - 1} more, listed above)" if count > 1 else ""
    return CliError(
        f"the plan for cluster {plan.spec.name} is blocked: {plan.blocks[0]}{more};"
        " nothing was created",
        hint="fix the spec or the cloud, then run `powerbridge ha plan` again",
    )


@command(app, "plan")
def plan_command(
    cloud: CloudArgs,
    spec_file: SpecArgument,
    ssh_key: SshKeyOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Check the spec against PowerVC and PowerHA's rules; show what create makes."""
    from powerbridge.cli.ha_plan_view import show_plan
    from powerbridge.ha.plan import plan_cluster

    spec = load_spec(spec_file)
    identity = load_key(spec, ssh_key)

    async def work(c: Cloud) -> ClusterPlan:
        return await plan_cluster(c, spec, public_key_fingerprint=identity.fingerprint)

    plan = run(cloud, work)
    show_plan(plan, output_format)
    if not plan.ok:
        raise _blocked(plan)


@command(app, "create")
def create_command(
    cloud: CloudArgs,
    spec_file: SpecArgument,
    yes: YesOption = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a stopped or failed create.")
    ] = False,
    ssh_key: SshKeyOption = None,
    accept_new_host_keys: Annotated[
        bool,
        typer.Option(
            "--accept-new-host-keys",
            help="Trust each node's host key at first contact (then pin it) instead of"
            " checking it against known_hosts.",
        ),
    ] = False,
    store_url: StoreOption = None,
) -> None:
    """Build the cluster: PowerVC resources, node preparation, clmgr, sync, online, verify."""
    from powerbridge.cli.signals import sigterm_as_ctrl_c
    from powerbridge.ha.create import CreateOptions

    spec = load_spec(spec_file)
    identity = load_key(spec, ssh_key)
    store = open_store(store_url)
    options = CreateOptions(
        resume=resume,
        accept_new_host_keys=accept_new_host_keys,
        source=str(spec_file),
        spec_text=spec_file.read_text(),
    )
    again = _resume_command(spec_file, ssh_key, store_url, accept_new_host_keys)
    try:
        with sigterm_as_ctrl_c() as stop:
            job = run(cloud, lambda c: _create(c, spec, store, identity, options, yes))
    except KeyboardInterrupt:
        typer.echo(f"{stop.how}; what was done is recorded. Resume with: {again}", err=True)
        raise typer.Exit(stop.exit_code) from None
    finally:
        store.close()
    typer.echo(
        f"cluster {spec.name}: created by job {job.id}; see `powerbridge ha show {spec.name}`"
    )


async def _create(
    c: Cloud, spec: ClusterSpec, store: JobStore, identity: Identity, options: Any, yes: bool
) -> Job:
    from powerbridge.cli.ha_plan_view import show_plan
    from powerbridge.cli.ha_view import StepProgress
    from powerbridge.ha.create import create_cluster
    from powerbridge.ha.errors import HAError
    from powerbridge.ha.plan import plan_cluster

    plan = await plan_cluster(c, spec, public_key_fingerprint=identity.fingerprint)
    show_plan(plan, OutputFormat.table, stream=sys.stderr)
    if not plan.ok:
        raise _blocked(plan)
    confirm(f"Create PowerHA cluster {spec.name} on {len(spec.nodes)} nodes?", assume_yes=yes)
    try:
        with StepProgress() as progress:
            return await create_cluster(c, spec, store, identity, options, progress.event)
    except HAError as problem:
        raise ha_errors(problem) from None


def _resume_command(
    spec_file: Path, ssh_key: Path | None, store_url: str | None, accept_new: bool
) -> str:
    import os

    again = ["powerbridge", "ha", "create", str(spec_file), "--resume", "--yes"]
    if ssh_key is not None:
        again += ["--ssh-key", str(ssh_key)]
    if accept_new:
        again.append("--accept-new-host-keys")
    if store_url is not None and store_url != os.environ.get("POWERBRIDGE_STORE"):
        again += ["--store", store_url]
    return shlex.join(again)


@command(app, "script")
def script_command(
    cloud: CloudArgs,
    spec_file: SpecArgument,
    from_powervc: Annotated[
        bool,
        typer.Option(
            "--from-powervc",
            help="Fill in the nodes' addresses and the disks' WWNs from PowerVC (the cluster's"
            " servers and volumes must exist); default: placeholders to fill in.",
        ),
    ] = False,
) -> None:
    """Print the node-side configuration as one ksh93 script, for review or a manual run."""
    from powerbridge.ha.script import render_script
    from powerbridge.ha.topology_reader import read_topology

    spec = load_spec(spec_file)
    topology = None
    if from_powervc:
        from powerbridge.ha.errors import HAError

        try:
            topology = run(cloud, lambda c: read_topology(c, spec))
        except HAError as problem:
            raise ha_errors(problem) from None
    typer.echo(render_script(spec, topology), nl=False)


ha_ops_cmd.register(app)  # failover, stop, start, add-disk, delete
ha_status_cmd.register(app)  # list, show, status, inventory, trust-host-key
