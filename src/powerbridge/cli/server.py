"""`powerbridge server`: list, show, create (with volumes, placement, overrides), delete,
rename, start, stop. Servers are named by name or id everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.batch import Batch, deleted, for_each
from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.output import OutputFormat, render, tell
from powerbridge.cli.prompts import confirm

if TYPE_CHECKING:
    from powerbridge.client import Cloud, Outcome, Provisioned, Server, ServerOrder

app = typer.Typer(
    help="Virtual machines: list, show, create, delete, rename, start, stop.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LIST_COLUMNS = ["name", "id", "status", "task", "host", "addresses"]
DEFAULT_TIMEOUT = 1800.0
WAIT_INTERVAL = 1.0

WaitOption = Annotated[bool, typer.Option("--wait", help="Wait until the action completes.")]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", metavar="SECONDS", min=0, help="How long --wait waits.")
]


# -- list and show ----------------------------------------------------------------------------
@command(app, "list")
def list_servers(
    cloud: CloudArgs,
    name: Annotated[str | None, typer.Option(help="Only names matching this regex.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status (ACTIVE...).")] = None,
    all_projects: Annotated[bool, typer.Option(help="Every project's (admin).")] = False,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """List servers."""

    async def work(c: Cloud) -> list[Server]:
        return await c.compute.servers(name=name, status=status, all_projects=all_projects)

    servers = run(cloud, work)
    if output_format is not OutputFormat.table:
        render([s.to_dict() for s in servers], output_format)
        return
    render([server_row(s) for s in servers], output_format, columns=LIST_COLUMNS)


def server_row(server: Server) -> dict[str, Any]:
    return {
        "name": server.name,
        "id": server.id,
        "status": server.status,
        "task": server.task_state or "",
        "host": server.host or "",
        "addresses": _addresses(server),
    }


def _addresses(server: Server) -> str:
    return ", ".join(f"{a.network}={a.addr}" for a in server.addresses)


@command(app, "show")
def show_server(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Name or id.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show a server: state, placement, addresses, volumes, fault."""

    async def work(c: Cloud) -> Server:
        return await c.compute.find_server(server)

    found = run(cloud, work)
    render(found.to_dict() if output_format is not OutputFormat.table else server_record(found),
           output_format, title=f"server {found.name}")  # fmt: skip


def server_record(server: Server) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": server.name,
        "id": server.id,
        "status": server.state,
        "host": server.host or "",
        "lpar": server.instance_name or "",
        "availability zone": server.availability_zone or "",
        "addresses": _addresses(server),
        "image": server.image_id or "(volume-backed)",
        "template": server.flavor.name or server.flavor.id or "",
        "volumes": list(server.volume_ids),
        "created": server.created.isoformat() if server.created else "",
    }
    if server.fault is not None:
        record["fault"] = f"{server.fault.code}: {server.fault.message}"
    return record


# -- create -----------------------------------------------------------------------------------
@command(app, "create")
def create_server(
    cloud: CloudArgs,
    name: Annotated[str, typer.Argument(help="The new server's name.")],
    image: Annotated[str, typer.Option("--image", help="Image name or id.")],
    template: Annotated[str, typer.Option("--template", help="Compute template name or id.")],
    network: Annotated[
        list[str] | None,
        typer.Option(
            "--network", metavar="NETWORK[=FIXED_IP]", help="Network name or id (repeatable)."
        ),
    ] = None,
    volume: Annotated[
        list[str] | None,
        typer.Option(
            "--volume",
            metavar="SIZE:STORAGE_TEMPLATE[:shared]",
            help="A new data volume of SIZE GB, created first (repeatable).",
        ),
    ] = None,
    attach_volume: Annotated[
        list[str] | None,
        typer.Option("--attach-volume", metavar="VOLUME", help="An existing volume (repeatable)."),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Deploy on this host.")] = None,
    host_group: Annotated[str | None, typer.Option(help="Deploy in this host group.")] = None,
    scg: Annotated[
        str | None, typer.Option("--scg", help="Storage connectivity group name or id.")
    ] = None,
    collocation_rule: Annotated[
        str | None, typer.Option(help="Collocation rule (affinity/anti-affinity).")
    ] = None,
    set_specs: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Override a template value: powervm:KEY=VALUE, ram=MB, vcpus=N, disk=GB.",
        ),
    ] = None,
    user_data: Annotated[
        Path | None, typer.Option(metavar="FILE", help="User data (cloud-init) file.")
    ] = None,
    key_name: Annotated[str | None, typer.Option(help="SSH key pair name.")] = None,
    no_validate: Annotated[
        bool,
        typer.Option("--no-validate", help="Send without checking PowerVM rules first."),
    ] = False,
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Create a server: new volumes first, then the deploy (all or nothing)."""
    order = _order(
        name=name,
        image=image,
        template=template,
        networks=network or [],
        volumes=volume or [],
        attach=attach_volume or [],
        host=host,
        host_group=host_group,
        scg=scg,
        rule=collocation_rule,
        sets=set_specs or [],
        user_data=_read(user_data) if user_data else None,
        key_name=key_name,
        validate=not no_validate,
    )

    async def work(c: Cloud) -> tuple[Provisioned, Outcome | None]:
        from powerbridge.client import InvalidTemplate, provision, resolve

        await _refuse_duplicate(c, name)
        try:
            resolved = await resolve(c, order)
        except InvalidTemplate as broken:
            broken.hint = "fix the values, or pass --no-validate to let PowerVC judge"
            raise
        provisioned = await provision(c, resolved)
        accepted.append(provisioned)
        outcome = await _wait(c, provisioned.server.id, timeout) if wait else None
        return provisioned, outcome

    from powerbridge.cli.signals import sigterm_as_ctrl_c

    accepted: list[Provisioned] = []
    try:
        with sigterm_as_ctrl_c() as stop:  # a SIGTERM says what was made, as Ctrl-C does
            provisioned, outcome = run(cloud, work)
    except KeyboardInterrupt:
        if accepted:
            server = accepted[0].server
            message = (
                f"Interrupted: server {name} ({server.id}) was accepted and keeps deploying;"
                f" follow it with: powerbridge server show {server.id}"
            )
        else:
            message = (
                f"Interrupted before server {name} was created; new volumes made for it are"
                " deleted again (a warning names any that could not be)"
            )
        typer.echo(message.replace("Interrupted", stop.how, 1), err=True)
        raise typer.Exit(stop.exit_code) from None
    _report_create(provisioned, outcome, output_format)


async def _refuse_duplicate(c: Cloud, name: str) -> None:
    """Nova takes a second server of the same name; every command here then needs its id.
    One list call."""
    from powerbridge.client.compute import exactly

    same = await c.compute.servers(name=exactly(name))
    if same:
        ids = ", ".join(server.id for server in same)
        raise CliError(
            f"a server named {name!r} exists already ({ids}); nothing was created: choose"
            " another name, or delete or rename that one first"
        )


def _order(
    *,
    name: str,
    image: str,
    template: str,
    networks: list[str],
    volumes: list[str],
    attach: list[str],
    host: str | None,
    host_group: str | None,
    scg: str | None,
    rule: str | None,
    sets: list[str],
    user_data: bytes | None,
    key_name: str | None,
    validate: bool,
) -> ServerOrder:
    from powerbridge.client import ClientError, ServerOrder

    if host and host_group:
        raise UsageProblem("give --host or --host-group, not both")
    try:
        return ServerOrder(
            name=name,
            image=image,
            template=template,
            networks=tuple(parse_network(n) for n in networks),
            new_volumes=tuple(parse_volume(v) for v in volumes),
            attach_volumes=tuple(attach),
            host=host,
            host_group=host_group,
            storage_connectivity_group=scg,
            collocation_rule=rule,
            overrides=dict(parse_setting(s) for s in sets),
            user_data=user_data,
            key_name=key_name,
            validate=validate,
        )
    except ClientError as problem:
        raise UsageProblem(str(problem), hint=problem.hint) from None


def parse_network(text: str) -> tuple[str, str | None]:
    network, sep, fixed_ip = text.partition("=")
    if not network or (sep and not fixed_ip):
        raise UsageProblem(f"--network {text!r}: give NETWORK or NETWORK=FIXED_IP")
    return network, fixed_ip or None


def parse_volume(text: str) -> Any:
    from powerbridge.client import NewVolume

    parts = text.split(":")
    shared = len(parts) > 2 and parts[-1].lower() == "shared"
    if shared:
        parts = parts[:-1]
    size, template = parts[0], ":".join(parts[1:])
    if not size.isdigit() or int(size) < 1 or not template:
        raise UsageProblem(
            f"--volume {text!r}: give SIZE:STORAGE_TEMPLATE[:shared], SIZE in GB (e.g. 10:xiv90)"
        )
    return NewVolume(int(size), template, shared=shared)


def parse_setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageProblem(f"--set {text!r}: give KEY=VALUE, e.g. powervm:max_mem=8192")
    value = value.strip()
    if key not in _settable_keys():
        raise UsageProblem(f"--set {text!r}: unknown key {key!r}{_closest(key)}; {_allowed()}")
    if key in SIZE_KEYS and not value.isdigit():
        raise UsageProblem(f"--set {text!r}: {key} takes a whole number")
    return key, value


SIZE_KEYS = ("ram", "vcpus", "disk")


def _settable_keys() -> frozenset[str]:
    from powerbridge.powervm import KNOWN_KEYS

    return frozenset(SIZE_KEYS) | KNOWN_KEYS


def _closest(key: str) -> str:
    from powerbridge.names import closest

    keys = sorted(_settable_keys())
    match = closest(key.lower(), keys)
    if match is None and ":" not in key:  # a bare powervm key: max_mem
        match = closest("powervm:" + key.lower(), keys, cutoff=0.8)
    return f" (did you mean {match!r}?)" if match else ""


def _allowed() -> str:
    from powerbridge.powervm import KNOWN_KEYS, PREFIX

    powervm = ", ".join(sorted(k.removeprefix(PREFIX) for k in KNOWN_KEYS))
    return f"allowed: {', '.join(SIZE_KEYS)}, or {PREFIX}KEY with KEY one of {powervm}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as problem:
        raise UsageProblem(f"cannot read {path}: {problem.strerror or problem}") from None


async def _wait(c: Cloud, server_id: str, timeout: float) -> Outcome:
    from powerbridge.cli.progress import Progress
    from powerbridge.client import wait_for_servers

    progress = Progress("server")
    try:
        outcomes = await wait_for_servers(
            c.compute,
            [server_id],
            timeout=timeout,
            interval=WAIT_INTERVAL,
            on_change=progress.change,
            on_tick=progress.tick,
        )
    finally:
        progress.finish()
    return outcomes[server_id]


def _report_create(provisioned: Provisioned, outcome: Outcome | None, fmt: OutputFormat) -> None:
    created = provisioned.server
    record: dict[str, Any] = {
        "name": provisioned.request.name,
        "id": created.id,
        "request_id": created.request_id,
        "volumes": [v.id for v in provisioned.volumes],
        "status": "BUILD",
    }
    if outcome is not None:
        record.update(outcome_fields(outcome))
    render(record, fmt, title=f"server {record['name']}")
    if outcome is not None:
        check_outcome(outcome, created.request_id)


def outcome_fields(outcome: Outcome) -> dict[str, Any]:
    fields: dict[str, Any] = {"status": outcome.status or outcome.result}
    server = outcome.record
    if server is not None:
        fields["host"] = server.host or ""
        fields["addresses"] = _addresses(server)
    if outcome.fault is not None:
        fields["fault"] = outcome.fault.message
    fields["seconds"] = round(outcome.elapsed, 1)
    return fields


def check_outcome(outcome: Outcome, request_id: str | None) -> None:
    """A failed or unfinished wait is an error (exit 1): the fault and the request id."""
    if outcome.ok:
        return
    request = f" (request {request_id})" if request_id else ""
    name = outcome.name or outcome.id
    if outcome.result == "failed":
        fault = outcome.fault.message if outcome.fault else "no fault recorded"
        raise CliError(
            f"server {name} went to {outcome.status}: {fault}; it stays, with any volumes"
            f" made for it{request}",
            hint=f"powerbridge diagnose {outcome.id} --logs DIR finds the log lines;"
            f" powerbridge server delete {outcome.id} removes it (its volumes: volume delete)",
        )
    if outcome.result == "timeout":
        raise CliError(
            f"server {name} is still {outcome.status or 'unknown'}"
            f"{f' ({outcome.task_state})' if outcome.task_state else ''} after "
            f"{outcome.elapsed:.0f} s{request}",
            hint="wait longer with --timeout, or look with: powerbridge server show",
        )
    raise CliError(f"server {name} was {outcome.result}{request}")


# -- delete, rename, start, stop --------------------------------------------------------------
@command(app, "delete")
def delete_server(
    cloud: CloudArgs,
    servers: Annotated[list[str], typer.Argument(help="Names or ids.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Delete servers (their attached volumes stay, unless set to go with them)."""
    confirm(f"Delete {', '.join(servers)}?", assume_yes=yes)

    async def work(c: Cloud) -> Batch[Server]:
        from powerbridge.client import wait_for_server_deletion

        async def delete(name: str) -> Server:
            server = await c.compute.find_server(name)
            await c.compute.delete_server(server.id)
            return server

        batch = await for_each(servers, delete)
        if wait and batch.done:
            outcomes = await wait_for_server_deletion(
                c.compute, [s.id for s in batch.done], timeout=timeout, interval=WAIT_INTERVAL
            )
            late = [o.name or o.id for o in outcomes.values() if not o.ok]
            if late:
                raise CliError(f"not deleted after {timeout:g} s: {', '.join(late)}")
        return batch

    deleted(run(cloud, work), "server", output_format)


@command(app, "rename")
def rename_server(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Name or id.")],
    new_name: Annotated[str, typer.Argument(help="The new name.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Rename a server."""

    async def work(c: Cloud) -> Server:
        found = await c.compute.find_server(server)
        return await c.compute.rename_server(found.id, new_name)

    renamed = run(cloud, work)
    line = f"Renamed server {server} to {renamed.name} ({renamed.id})."
    tell(output_format, line, {"name": renamed.name, "id": renamed.id, "was": server})


def _power(
    cloud: CloudArgs, server: str, action: str, wait: bool, timeout: float, fmt: OutputFormat
) -> None:
    done = "ACTIVE" if action == "start" else "SHUTOFF"

    async def work(c: Cloud) -> tuple[Server, str | None, Outcome | None]:
        from powerbridge.client import ServerSource, wait_for

        found = await c.compute.find_server(server)
        act = c.compute.start_server if action == "start" else c.compute.stop_server
        request_id = await act(found.id)
        if not wait:
            return found, request_id, None
        source = ServerSource(c.compute, done=(done,))
        outcomes = await wait_for(source, [found.id], timeout=timeout, interval=WAIT_INTERVAL)
        return found, request_id, outcomes[found.id]

    found, request_id, outcome = run(cloud, work)
    data = {"name": found.name, "id": found.id, "action": action, "request_id": request_id}
    if outcome is not None:
        check_outcome(outcome, request_id)
        tell(fmt, f"Server {found.name} is {outcome.status}.", {**data, "status": outcome.status})
    else:
        line = f"Requested {action} of server {found.name} (request {request_id})."
        tell(fmt, line, data)


@command(app, "start")
def start_server(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Name or id.")],
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Power a server on."""
    _power(cloud, server, "start", wait, timeout, output_format)


@command(app, "stop")
def stop_server(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Name or id.")],
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Power a server off."""
    _power(cloud, server, "stop", wait, timeout, output_format)
