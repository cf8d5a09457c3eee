"""`powerbridge volume`: list, show, create from a storage template, delete, attach, detach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.batch import Batch, deleted, for_each
from powerbridge.cli.cloud import CloudArgs, FormatOption, command, run
from powerbridge.cli.errors import CliError
from powerbridge.cli.output import OutputFormat, render, tell
from powerbridge.cli.prompts import confirm

if TYPE_CHECKING:
    from powerbridge.client import Cloud, Outcome, Volume

app = typer.Typer(
    help="Volumes: list, show, create, delete, attach, detach.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LIST_COLUMNS = ["name", "id", "status", "size_gb", "storage_template", "shared", "attached_to"]
WAIT_INTERVAL = 1.0
DEFAULT_TIMEOUT = 600.0

WaitOption = Annotated[bool, typer.Option("--wait", help="Wait until the volume settles.")]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", metavar="SECONDS", min=0, help="How long --wait waits.")
]


def volume_row(volume: Volume, server_names: dict[str, str]) -> dict[str, Any]:
    return {
        "name": volume.name,
        "id": volume.id,
        "status": volume.status,
        "size_gb": volume.size,
        "storage_template": volume.storage_template or "",
        "shared": "yes" if volume.multiattach else "",
        "attached_to": [server_names.get(s, s) for s in volume.server_ids],
    }


@command(app, "list")
def list_volumes(
    cloud: CloudArgs,
    all_projects: Annotated[bool, typer.Option(help="Every project's (admin).")] = False,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """List volumes, with the servers they are attached to."""

    async def work(c: Cloud) -> tuple[list[Volume], dict[str, str]]:
        import asyncio

        volumes, servers = await asyncio.gather(
            c.volume.volumes(all_projects=all_projects),
            c.compute.servers(all_projects=all_projects),
        )
        return volumes, {s.id: s.name for s in servers}

    volumes, names = run(cloud, work)
    if output_format is not OutputFormat.table:
        render([v.to_dict() for v in volumes], output_format)
        return
    render([volume_row(v, names) for v in volumes], output_format, columns=LIST_COLUMNS)


@command(app, "show")
def show_volume(
    cloud: CloudArgs,
    volume: Annotated[str, typer.Argument(help="Name or id.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Show a volume."""

    async def work(c: Cloud) -> Volume:
        return await c.volume.find_volume(volume)

    found = run(cloud, work)
    if output_format is not OutputFormat.table:
        render(found.to_dict(), output_format)
        return
    record = volume_row(found, {})
    record["attached_to"] = [f"{a.server_id} at {a.device}" for a in found.attachments]
    record["bootable"] = "yes" if found.bootable else "no"
    record["created"] = found.created_at.isoformat() if found.created_at else ""
    render(record, output_format, title=f"volume {found.name}")


@command(app, "create")
def create_volume(
    cloud: CloudArgs,
    name: Annotated[str, typer.Argument(help="The new volume's name.")],
    size: Annotated[int, typer.Option("--size", min=1, help="Size in GB.")],
    storage_template: Annotated[
        str | None,
        typer.Option("--storage-template", help="Storage template name or id (default: cinder's)."),
    ] = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="Multiattach: attachable to several servers.")
    ] = False,
    description: Annotated[str | None, typer.Option(help="A description.")] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Create a volume from a storage template."""

    async def work(c: Cloud) -> tuple[Volume, str | None, Outcome | None, str | None]:
        from powerbridge.client import VolumeCreate, wait_for_volumes

        request = VolumeCreate(
            size=size,
            name=name,
            storage_template=storage_template,
            multiattach=shared,
            description=description,
        )
        created, request_id = await c.volume.create_volume(request)
        if not wait:
            return created, request_id, None, None
        outcomes = await wait_for_volumes(
            c.volume, [created.id], timeout=timeout, interval=WAIT_INTERVAL
        )
        outcome = outcomes[created.id]
        if outcome.status == "error":  # why, from cinder's user messages (None without)
            reason = await c.volume.failure_reason(created.id)
            return created, request_id, outcome, reason
        return created, request_id, outcome, None

    created, request_id, outcome, reason = run(cloud, work)
    record = {**volume_row(created, {}), "request_id": request_id}
    if outcome is not None:
        record["status"] = outcome.status
    if reason:
        record["reason"] = reason
    render(record, output_format, title=f"volume {created.name}")
    if outcome is not None and not outcome.ok:
        because = f": {reason}" if reason else ""
        raise CliError(
            f"volume {created.name} is {outcome.status}{because} (request {request_id})",
            hint=f"a volume in error stays so: delete it (powerbridge volume delete "
            f"{created.name}) and create it again once the cause is fixed"
            if outcome.status == "error"
            else None,
        )


@command(app, "delete")
def delete_volume(
    cloud: CloudArgs,
    volumes: Annotated[list[str], typer.Argument(help="Names or ids.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Delete volumes."""
    confirm(f"Delete {', '.join(volumes)}?", assume_yes=yes)

    async def work(c: Cloud) -> Batch[Volume]:
        from powerbridge.client.errors import BadRequest

        async def delete(name: str) -> Volume:
            volume = await c.volume.find_volume(name)
            try:
                await c.volume.delete_volume(volume.id)
            except BadRequest as refused:  # cinder refuses an attached volume: say to whom
                if volume.server_ids:
                    holder = (await c.compute.server(volume.server_ids[0])).name
                    refused.amend(f"volume {volume.name} is attached to server {holder}")
                    refused.hint = f"detach it first: powerbridge volume detach {holder} {name}"
                raise
            return volume

        return await for_each(volumes, delete)

    deleted(run(cloud, work), "volume", output_format)


@command(app, "attach")
def attach_volume(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Server name or id.")],
    volume: Annotated[str, typer.Argument(help="Volume name or id.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Attach a volume to a server (a shared volume to several, one after another)."""

    async def work(c: Cloud) -> dict[str, Any]:
        from powerbridge.client.errors import BadRequest

        found_server = await c.compute.find_server(server)
        found_volume = await c.volume.find_volume(volume)
        try:
            attachment = await c.compute.attach_volume(found_server.id, found_volume.id)
        except BadRequest as refused:  # an in-use volume that is not shared: say by whom
            if found_volume.multiattach or not found_volume.server_ids:
                raise
            raise await _in_use(c, found_volume) from refused
        return {
            "server": found_server.name,
            "volume": found_volume.name,
            "volume_id": attachment.volume_id,
            "device": attachment.device,
        }

    render(run(cloud, work), output_format, title="attached")


@command(app, "detach")
def detach_volume(
    cloud: CloudArgs,
    server: Annotated[str, typer.Argument(help="Server name or id.")],
    volume: Annotated[str, typer.Argument(help="Volume name or id.")],
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Detach a volume from a server."""

    async def work(c: Cloud) -> tuple[str, str]:
        from powerbridge.client.errors import NotFound

        found_server = await c.compute.find_server(server)
        found_volume = await c.volume.find_volume(volume)
        try:
            await c.compute.detach_volume(found_server.id, found_volume.id)
        except NotFound as missing:  # nova's 404: say where the volume is attached instead
            if found_server.id in found_volume.server_ids:
                raise
            raise await _not_attached_here(c, found_volume, found_server.name) from missing
        return found_server.name, found_volume.name

    server_name, volume_name = run(cloud, work)
    line = f"Detaching volume {volume_name} from server {server_name}."
    tell(output_format, line, {"server": server_name, "volume": volume_name, "status": "detaching"})


async def _not_attached_here(c: Cloud, found: Volume, server_name: str) -> CliError:
    """The volume is not attached to `server_name`: name the servers it is attached to."""
    holders = [(await c.compute.server(sid)).name for sid in found.server_ids]
    if not holders:
        return CliError(f"volume {found.name} is not attached to any server")
    where = ", ".join(holders)
    return CliError(
        f"volume {found.name} is not attached to server {server_name}; it is attached to {where}",
        hint=f"powerbridge volume detach {holders[0]} {found.name}",
    )


async def _in_use(c: Cloud, found: Volume) -> CliError:
    """A volume that is not shared (multiattach) is in use: name the server that holds it."""
    holder = (await c.compute.server(found.server_ids[0])).name
    return CliError(
        f"volume {found.name} is in use by server {holder} and is not shared (multiattach)",
        hint=f"detach it first (powerbridge volume detach {holder} {found.name}), "
        "or create a shared one (powerbridge volume create --shared)",
    )
