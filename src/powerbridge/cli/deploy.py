"""`powerbridge deploy`: plan, apply, list, show and destroy batch deployments.

A spec file (the pipe-separated `deploycli` format or YAML, docs/deploy-spec.md) names the
deployment's servers and volumes; `plan` shows what `apply` will do and creates nothing;
`apply` records every step in the job store, so `--resume` continues an interrupted run
without creating anything twice. Exit codes: 0 all done, 1 error or blocked plan, 3 some
servers failed (the others are up).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.errors import EXIT_PARTIAL, CliError, UsageProblem
from powerbridge.cli.job_store import open_store
from powerbridge.cli.output import OutputFormat, render
from powerbridge.cli.prompts import confirm

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.deploy import DeploymentSpec
    from powerbridge.deploy.apply import ProgressEvent
    from powerbridge.deploy.plan_model import Plan
    from powerbridge.deploy.report import Report
    from powerbridge.deploy.service import DestroyPlan, Prepared
    from powerbridge.jobs import JobStore

app = typer.Typer(
    help="Batch deployments from a spec file: plan, apply, list, show, destroy.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

SpecArgument = Annotated[
    Path, typer.Argument(metavar="FILE", help="Spec file: pipe format, or .yaml/.yml.")
]
NameOption = Annotated[
    str | None,
    typer.Option(
        "--name", metavar="NAME", help="Deployment name (default: the spec's, or the file's stem)."
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        metavar="URL",
        envvar="POWERBRIDGE_STORE",
        help="Job store: a SQLite file, or a sqlite:/// or postgresql:// URL"
        " (default: the per-user data dir).",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _load_spec(path: Path, name: str | None) -> DeploymentSpec:
    from powerbridge.deploy import SpecErrors, check_deployment_name, load_spec

    if name is not None:
        try:
            check_deployment_name(name)
        except ValueError as problem:
            raise UsageProblem(f"--name: {problem}") from None
    try:
        spec = load_spec(path, name=name)
        _check_user_data(path, spec)
        return spec
    except UnicodeDecodeError as problem:
        raise CliError(
            f"cannot read the spec {path}: byte {problem.start} is not UTF-8 text;"
            " nothing was created",
            hint="save the file as UTF-8 (a pipe or YAML spec is plain text)",
        ) from None
    except SpecErrors as problem:
        count = len(problem.errors)
        lines = "\n".join(f"  {error}" for error in problem.errors)
        raise CliError(
            f"{path}: {count} problem{'s' if count != 1 else ''} in the spec; nothing was created\n"
            + lines,
            hint="docs/deploy-spec.md describes both formats",
        ) from None
    except OSError as problem:
        raise CliError(f"cannot read the spec {path}: {problem.strerror or problem}") from None


USER_DATA_LIMIT = 65535  # nova: user data, base64 encoded


def _check_user_data(path: Path, spec: DeploymentSpec) -> None:
    """Every user-data file readable and within nova's limit, before anything is created."""
    problems = []
    for server in spec.servers:
        if server.user_data is None:
            continue
        file = Path(server.user_data).expanduser()
        try:
            size = len(file.read_bytes())
        except OSError as problem:
            why = problem.strerror or str(problem)
            problems.append(f"server {server.name}: cannot read user data {file}: {why}")
            continue
        if (size + 2) // 3 * 4 > USER_DATA_LIMIT:
            problems.append(
                f"server {server.name}: user data {file} is {size} bytes; nova takes at most"
                f" {USER_DATA_LIMIT} bytes once base64-encoded (about 48 KiB of file)"
            )
    if problems:
        lines = "\n".join(f"  {line}" for line in problems)
        raise CliError(f"{path}: user data problems; nothing was created\n{lines}")


def _check_writable(report_file: Path | None) -> None:
    """Refuse a --report path that cannot be written before anything is created."""
    if report_file is None:
        return
    folder = report_file.parent
    if report_file.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        why = "is a folder" if report_file.is_dir() else f"cannot be written in {folder}"
        raise UsageProblem(f"--report {report_file} {why}; nothing was created")
    if report_file.exists() and not os.access(report_file, os.W_OK):
        raise UsageProblem(f"--report {report_file} is read-only; nothing was created")


def _blocked(plan: Plan) -> CliError:
    count = len(plan.blocks)
    first = plan.blocks[0].message
    more = f" (and {count - 1} more, listed above)" if count > 1 else ""
    return CliError(
        f"the plan for {plan.deployment} is blocked: {first}{more}; nothing was created",
        hint="fix the spec or the cloud, then run `powerbridge deploy plan` again",
    )


def _deploy_errors(work: Any) -> Any:
    """Run `work()`, turning the deploy package's errors into one CLI line."""
    from powerbridge.deploy import DeployError

    try:
        return work()
    except DeployError as problem:
        raise CliError(str(problem)) from None


@command(app, "plan")
def plan_command(
    cloud: CloudArgs,
    spec_file: SpecArgument,
    name: NameOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show what apply would create, what is unchanged and what blocks; create nothing."""
    from powerbridge.cli.deploy_view import show_plan
    from powerbridge.deploy.service import prepare

    spec = _load_spec(spec_file, name)

    async def work(c: Cloud) -> Plan:
        return (await prepare(c, spec)).plan

    plan = run(cloud, work)
    show_plan(plan, output_format)
    if not plan.ok:
        raise _blocked(plan)


@command(app, "apply")
def apply_command(
    cloud: CloudArgs,
    spec_file: SpecArgument,
    name: NameOption = None,
    yes: YesOption = False,
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel", metavar="N", min=1, help="Deploys in flight (default: the hosts usable)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted apply of this deployment.")
    ] = False,
    rollback_on_failure: Annotated[
        bool,
        typer.Option(
            "--rollback-on-failure", help="If anything fails, delete what this run created."
        ),
    ] = False,
    replace_changed: Annotated[
        bool,
        typer.Option(
            "--replace-changed",
            help="Delete and recreate servers that differ from the spec beyond a resize"
            " (their data volumes are kept and attached again).",
        ),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", min=1, help="Longest wait for one server."),
    ] = 3600.0,
    poll_interval: Annotated[
        float | None,
        typer.Option(
            "--poll-interval",
            metavar="SECONDS",
            min=0.01,
            help="Seconds between list calls (default: a tenth of the deploy time seen).",
        ),
    ] = None,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE.json", help="Write the summary as JSON."),
    ] = None,
    store_url: StoreOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Create what the plan lists: volumes, then servers; wait; print the summary."""
    from powerbridge.cli.deploy_view import LiveProgress, show_plan
    from powerbridge.cli.signals import sigterm_as_ctrl_c
    from powerbridge.deploy.apply import ApplyOptions, apply_plan
    from powerbridge.deploy.service import ApplyRun, prepare, refuse_cluster_name

    spec = _load_spec(spec_file, name)
    _check_writable(report_file)
    store = open_store(store_url)
    options = ApplyOptions(
        parallel=parallel,
        timeout=timeout,
        rollback_on_failure=rollback_on_failure,
        poll_interval=poll_interval,
        replace_changed=replace_changed,
    )
    apply_run = ApplyRun(
        store,
        str(spec_file),
        name=name,
        store_url=store_url,
        resume=resume,
        replace_changed=replace_changed,
    )

    async def work(c: Cloud) -> Report | None:
        prepared = await prepare(c, spec)
        _deploy_errors(lambda: refuse_cluster_name(prepared.view, spec.name, store))
        plan = prepared.plan
        # with --format json/yaml stdout carries the report alone; the plan goes to stderr
        plan_stream = sys.stdout if output_format is OutputFormat.table else sys.stderr
        show_plan(plan, OutputFormat.table, stream=plan_stream)
        if not plan.ok:
            raise _blocked(plan)
        if _nothing_to_do(store, prepared, replace_changed):
            return None
        confirm(_apply_question(plan, replace_changed), assume_yes=yes)
        job = _deploy_errors(lambda: apply_run.start(plan))
        with LiveProgress() as progress:
            return await apply_plan(c, plan, prepared.view, store, job, options, progress.event)

    again = shlex.join(apply_run.resume_command())
    try:
        with sigterm_as_ctrl_c() as stop:
            report = run(cloud, work)
    except CliError as problem:
        if apply_run.job is None:
            raise
        # the cloud failed mid-run (unreachable, say): part of the deployment exists
        raise CliError(
            f"{problem.message}; apply job {apply_run.job.id} stopped midway:"
            " what it made is recorded",
            hint=f"once the cloud answers again, resume with: {again}",
        ) from None
    except KeyboardInterrupt:
        typer.echo(f"{stop.how}; what was done is recorded. Resume with: {again}", err=True)
        raise typer.Exit(stop.exit_code) from None
    finally:
        store.close()
    if report is not None:
        _show_applied(report, output_format, report_file)


def _nothing_to_do(store: JobStore, prepared: Prepared, replace_changed: bool) -> bool:
    """Say so and return True when apply has nothing to do (servers it would have to
    rebuild without `--replace-changed` named)."""
    from powerbridge.deploy.changes import not_replaced_note
    from powerbridge.deploy.plan_model import ChangeMode
    from powerbridge.deploy.service import nothing_to_do

    plan = prepared.plan
    if not nothing_to_do(store, prepared, replace_changed=replace_changed):
        return False
    unreplaced = () if replace_changed else plan.changes_of(ChangeMode.REPLACE)
    if unreplaced:
        typer.echo(f"Nothing done: {not_replaced_note(unreplaced)}.", err=True)
    else:
        typer.echo(f"Nothing to do: deployment {plan.deployment} is up to date.", err=True)
    return True


def _apply_question(plan: Plan, replace_changed: bool) -> str:
    """The confirmation, naming the servers that are resized or replaced."""
    from powerbridge.deploy.plan_model import ChangeMode, name_list

    question = f"Apply the plan for {plan.deployment}"
    resized = [c.name for c in plan.changes_of(ChangeMode.RESIZE)]
    replaced = [c.name for c in plan.changes_of(ChangeMode.REPLACE)] if replace_changed else []
    if resized:
        question += f", resizing {name_list(resized)} in place"
    if replaced:
        question += f", deleting and recreating {name_list(replaced)} (data volumes kept)"
    return question + "?"


def _show_applied(report: Report, output_format: OutputFormat, report_file: Path | None) -> None:
    """The summary (and the --report file); exit 3 when some of the deployment failed."""
    from powerbridge.cli.deploy_view import show_report

    show_report(report, output_format)
    if report_file is not None:
        report_file.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    if report.exit_code:
        failed = ", ".join(item.name for item in report.failed) or report.status.value
        typer.echo(f"error: some of deployment {report.deployment} failed: {failed}", err=True)
        raise typer.Exit(EXIT_PARTIAL)


@app.command("list")
def list_command(
    store_url: StoreOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Deployments the job store knows, with their last job."""
    from powerbridge.deploy.service import deployments

    store = open_store(store_url)
    try:
        rows = deployments(store)
    finally:
        store.close()
    columns = ["deployment", "last_job", "kind", "status", "servers", "failed", "updated"]
    render(rows, output_format, columns=columns)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The deployment.")],
    store_url: StoreOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """A deployment's job history and the state of each of its resources."""
    from powerbridge.deploy.service import deployment_detail

    store = open_store(store_url)
    try:
        detail = _deploy_errors(lambda: deployment_detail(store, name))
    finally:
        store.close()
    if output_format is not OutputFormat.table:
        render(detail, output_format)
        return
    render(detail["jobs"], output_format, title=f"Jobs of {name}")
    columns = ["kind", "name", "state", "id", "host", "addresses", "fault"]
    render(detail["items"], output_format, columns=columns, title="Resources (latest apply)")


@command(app, "destroy")
def destroy_command(
    cloud: CloudArgs,
    target: Annotated[
        str, typer.Argument(metavar="FILE|NAME", help="A spec file, or a deployment's name.")
    ],
    name: NameOption = None,
    yes: YesOption = False,
    store_url: StoreOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Delete the deployment's servers and volumes (shared ones still in use elsewhere stay)."""
    from powerbridge.cli.deploy_view import LiveProgress, show_report
    from powerbridge.cli.signals import sigterm_as_ctrl_c
    from powerbridge.deploy.service import destroy, ensure_not_applying, plan_destroy

    deployment = name or _deployment_name(target)
    store = open_store(store_url)
    try:
        _deploy_errors(lambda: ensure_not_applying(store, deployment))
    except CliError:
        store.close()
        raise

    watch = _DestroyWatch(deployment)

    async def work(c: Cloud) -> Report | None:
        from powerbridge.deploy import DeployError

        try:
            plan = await plan_destroy(c, deployment, store)
        except DeployError as problem:
            raise CliError(str(problem)) from None
        rows = [{"action": a, "kind": k, "name": n} for a, k, n in plan.rows()]
        if plan.empty:
            render(rows, OutputFormat.table, title=f"Destroy {deployment}")
            _nothing_to_destroy(store, deployment)
            return None
        render(rows, OutputFormat.table, title=f"Destroy {deployment}")
        confirm(f"Delete these resources of {deployment}?", assume_yes=yes)
        watch.plan = plan
        with LiveProgress() as progress:
            return await destroy(c, plan, store, watch.seen(progress.event))

    try:
        with sigterm_as_ctrl_c() as stop:
            report = run(cloud, work)
    except KeyboardInterrupt:
        typer.echo(f"{stop.how}: {watch.summary()}", err=True)
        raise typer.Exit(stop.exit_code) from None
    finally:
        store.close()
    if report is None:
        return
    show_report(report, output_format)
    if report.exit_code:
        raise typer.Exit(EXIT_PARTIAL)


@dataclass
class _DestroyWatch:
    """What a destroy deleted so far, to say what is left when it is stopped midway."""

    deployment: str
    plan: DestroyPlan | None = None
    deleted: list[str] = field(default_factory=list)

    def seen(self, progress: Callable[[ProgressEvent], None]) -> Callable[[ProgressEvent], None]:
        def event(change: ProgressEvent) -> None:
            if change.state == "deleted":
                self.deleted.append(f"{change.kind.replace('_', ' ')} {change.name}")
            progress(change)

        return event

    def summary(self) -> str:
        if self.plan is None:
            return "nothing was deleted"
        kinds = (
            ("server", self.plan.servers),
            ("volume", self.plan.volumes),
            ("collocation rule", self.plan.rules),
        )
        planned = [f"{kind} {name}" for kind, names in kinds for name in names.values()]
        left = [item for item in planned if item not in self.deleted]
        done = ", ".join(self.deleted) or "nothing"
        if not left:
            return f"deleted {done}; nothing is left"
        return (
            f"deleted {done}; left: {', '.join(left)} (a delete may be under way);"
            f" delete the rest with: powerbridge deploy destroy {self.deployment} --yes"
        )


def _nothing_to_destroy(store: JobStore, deployment: str) -> None:
    """Say so; an interrupted apply (killed before it made anything) ends here too, so the
    next apply starts afresh."""
    from powerbridge.deploy.service import close_interrupted_apply

    typer.echo(f"Nothing to destroy: no resource carries deployment {deployment}.", err=True)
    closed = _deploy_errors(
        lambda: close_interrupted_apply(store, deployment, "deploy destroy (nothing to delete)")
    )
    if closed is not None:
        typer.echo(f"Ended the interrupted apply job {closed.id}: not to be resumed.", err=True)


def _deployment_name(target: str) -> str:
    path = Path(target)
    if not path.is_file():
        if "/" in target or target.endswith((".pipe", ".yaml", ".yml", ".txt")):
            raise UsageProblem(
                f"no spec file {target}", hint="give a spec file or a deployment name"
            )
        return target
    return _load_spec(path, None).name
