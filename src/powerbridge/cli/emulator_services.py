"""`powerbridge emulator services [SUBSET ...] start|stop|restart|status [--json]`.

PowerVC's `powervc-services` for the emulator: the command talks to the emulator of a data
dir through its control socket (`emulator.control`), never through the HTTP ports, so it
works while httpd is stopped. `status` prints an `Active:` line per service as
`powervc-services status` does (scripts `grep "^Active"` it), and for a service that failed to
start (a malformed configuration file) the reason, naming the file and line; `--json` prints
the records. A start or restart that leaves a service failed exits 1.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from powerbridge.cli.errors import CliError, UsageProblem

OPERATIONS = ("start", "stop", "restart", "status")


def services(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[SUBSET]... start|stop|restart|status",
            help="PowerVC service subsets (db, httpd, nova, cinder, ...; none: all), then "
            "the operation.",
            show_default=False,
        ),
    ],
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="DIR",
            envvar="POWERBRIDGE_EMULATOR_DATA",
            help="The running emulator's data directory "
            "(default: ~/.local/share/powerbridge/emulator).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON records.")] = False,
) -> None:
    """Start, stop, restart or show PowerVC's services, as powervc-services does."""
    from powerbridge.cli.emulator import _existing_data_dir, _read_info

    *subsets, operation = arguments
    if operation not in OPERATIONS:
        raise UsageProblem(
            f"the last argument must be the operation ({'|'.join(OPERATIONS)}), not {operation!r}",
            hint="e.g. powerbridge emulator services nova restart",
        )
    data_dir = _existing_data_dir(data)
    info = _read_info(data_dir) or {}
    answer = _ask(_socket_path(data_dir, info), operation, subsets, data_dir)
    if as_json:
        typer.echo(json.dumps({"services": answer}, indent=2))
    else:
        typer.echo(status_text(answer), nl=False)
    failed = [record for record in answer if record.get("error")]
    if failed and operation in ("start", "restart"):
        first = failed[0]
        raise CliError(
            f"{first['name']} did not start: {first['error']}",
            hint=f"fix the file, then: powerbridge emulator services {first['name']} start",
        )


def _socket_path(data_dir: Path, info: dict[str, Any]) -> Path:
    from powerbridge.emulator.control import SOCKET_NAME

    recorded = info.get("control_socket")
    return Path(recorded) if isinstance(recorded, str) else data_dir / SOCKET_NAME


def _ask(path: Path, operation: str, subsets: list[str], data_dir: Path) -> list[dict[str, Any]]:
    from powerbridge.emulator.control import ControlError, request

    try:
        answer = request(path, operation, subsets)
    except ControlError as problem:
        raise CliError(
            f"no emulator answers for {data_dir}: {problem}",
            hint=f"start it with: powerbridge emulator start --detach --data {data_dir}",
        ) from None
    if not isinstance(answer, dict) or "error" in answer:
        error = answer.get("error") if isinstance(answer, dict) else answer
        raise UsageProblem(str(error))
    records: list[dict[str, Any]] = answer["services"]
    return records


def status_text(records: list[dict[str, Any]]) -> str:
    """`Service:` and `Active:` lines per service, as powervc-services status prints them."""
    lines = []
    for record in records:
        since = datetime.datetime.fromtimestamp(record["since"], datetime.UTC)
        lines.append(f"Service: {record['name']}")
        lines.append(f"Active: {record['state']} since {since:%a %Y-%m-%d %H:%M:%S} UTC")
        if record.get("error"):
            lines.append(f"Error: {record['error']}")
    return "\n".join(lines) + "\n"
