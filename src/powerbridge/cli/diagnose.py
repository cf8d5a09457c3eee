"""`powerbridge diagnose`: from a failed VM (or a request id) to the log lines that explain it.

1. The server's state and fault, and its instance actions (each with its request id).
2. With `--logs DIR` (a copy of PowerVC's log directory, or the emulator's) or `--ssh
   USER@HOST` (PowerVC itself, host key verified), every nova, cinder, glance, neutron and
   keystone log (rotated and gzipped ones too) is searched for those request ids and for the
   ids logged beside them; the matching lines are printed with context.
3. The service that logged the first error, and the likely cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.cloud import CloudArgs, FormatOption, cloud_command, run
from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.output import OutputFormat

if TYPE_CHECKING:
    from powerbridge.cli.logsearch import Diagnosis, LogSource, Match, SearchResult
    from powerbridge.client import Cloud, InstanceAction, Server


@dataclass
class Report:
    server: Server | None = None
    actions: list[InstanceAction] = field(default_factory=list)
    search: SearchResult | None = None
    diagnosis: Diagnosis | None = None
    logs: str | None = None  # where the logs were read


@cloud_command
def diagnose(
    cloud: CloudArgs,
    server: Annotated[
        str | None, typer.Argument(help="The server (name or id) to diagnose.")
    ] = None,
    request_id: Annotated[
        list[str] | None,
        typer.Option("--request-id", metavar="REQ", help="A request id (req-...) to trace."),
    ] = None,
    logs: Annotated[
        Path | None,
        typer.Option("--logs", metavar="DIR", help="PowerVC's log directory (nova/, cinder/...)."),
    ] = None,
    ssh: Annotated[
        str | None,
        typer.Option("--ssh", metavar="USER@HOST", help="Read the logs on PowerVC over SSH."),
    ] = None,
    log_root: Annotated[
        str, typer.Option(metavar="PATH", help="With --ssh: where the logs are.")
    ] = "/var/log",
    known_hosts: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="With --ssh: trusted host keys (~/.ssh/known_hosts)."),
    ] = None,
    context: Annotated[
        int, typer.Option(min=0, max=50, help="Lines of context around each match.")
    ] = 2,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Find why a deploy or an action failed: fault, instance actions, log lines, cause."""
    ids = [r.strip() for r in request_id or [] if r.strip()]
    if server is None and not ids:
        raise UsageProblem("give a SERVER or --request-id req-...")
    if logs is not None and ssh is not None:
        raise UsageProblem("give --logs DIR or --ssh USER@HOST, not both")
    if server is None and logs is None and ssh is None:
        raise UsageProblem(
            "--request-id needs the logs to search",
            hint="add --logs DIR (PowerVC's log directory) or --ssh USER@HOST",
        )

    async def work(c: Cloud | None) -> Report:
        report = Report()
        if c is not None and server is not None:
            report.server = await c.compute.find_server(server)
            report.actions = await c.compute.instance_actions(report.server.id)
        wanted = [*ids, *(a.request_id for a in report.actions)]
        if logs is not None or ssh is not None:
            await _search(report, wanted, logs, ssh, log_root, known_hosts, context)
        return report

    report = run(cloud, work) if server is not None else _offline(work)
    if server is None and report.search is not None and not report.search.matches:
        raise _nothing_found(report.search, report.logs or "", ssh is not None)
    _show(report, output_format, searched=logs is not None or ssh is not None)


def _nothing_found(result: SearchResult, where: str, over_ssh: bool) -> CliError:
    ids = ", ".join(result.request_ids)
    files = f"{result.files_searched} file" + ("" if result.files_searched == 1 else "s")
    elsewhere = (
        "point --log-root at PowerVC's log folder (the one holding nova/, cinder/...)"
        if over_ssh
        else "point --logs at PowerVC's log folder (the one holding nova/, cinder/...) "
        "or read them on PowerVC with --ssh USER@HOST"
    )
    return CliError(
        f"no line in the {files} under {where} mentions {ids}",
        hint=f"check the request id (as PowerVC or the failed command printed it), or {elsewhere}",
    )


def _offline(work: Any) -> Report:
    import asyncio

    result: Report = asyncio.run(work(None))
    return result


async def _search(
    report: Report,
    ids: list[str],
    logs: Path | None,
    ssh: str | None,
    root: str,
    known_hosts: Path | None,
    context: int,
) -> None:
    from powerbridge.cli.logsearch import LocalLogs, diagnosis, search

    if not ids:
        return
    if logs is not None:
        if not logs.is_dir():
            raise CliError(f"--logs {logs}: not a directory")
        source: LogSource = LocalLogs(logs)
        report.search = await search(source, ids, context=context)
        report.logs = source.description
    else:
        from powerbridge.cli.remote import SshLogs, Target

        assert ssh is not None
        async with await SshLogs.open(
            Target.parse(ssh), root=root, known_hosts=known_hosts
        ) as remote:
            report.search = await search(remote, ids, context=context)
            report.logs = remote.description
    fault = report.server.fault.message if report.server and report.server.fault else None
    report.diagnosis = diagnosis(report.search, fault)


# -- output -----------------------------------------------------------------------------------
def _show(report: Report, fmt: OutputFormat, *, searched: bool) -> None:
    if fmt is not OutputFormat.table:
        from powerbridge.cli.output import render

        render(_data(report), fmt)
        return
    echo = typer.echo
    server = report.server
    if server is not None:
        echo(
            f"Server {server.name} ({server.id}): {server.state}"
            + (f" on {server.host}" if server.host else "")
        )
        if server.fault is not None:
            echo(f"Fault: {server.fault.code} {server.fault.message}")
        if report.actions:
            echo("Instance actions (newest first):")
            for action in report.actions:
                result = "Error" if action.failed else "ok"
                when = action.start_time.isoformat(timespec="seconds") if action.start_time else ""
                echo(f"  {action.action:16s} {action.request_id}  {when}  {result}")
    if report.search is not None:
        _show_matches(report.search, report.logs or "")
    elif server is not None and not searched:
        echo("To see the log lines: add --logs DIR (PowerVC's log directory) or --ssh USER@HOST.")
    if report.diagnosis is not None:
        found = report.diagnosis
        if found.service:
            echo(f"Failing service: {found.service} ({found.process})")
        echo(f"Likely cause: {found.cause}")


def _show_matches(result: SearchResult, where: str) -> None:
    echo = typer.echo
    ids = ", ".join(result.request_ids)
    related = f" and related {', '.join(result.related_ids)}" if result.related_ids else ""
    echo(
        f"Log lines with {ids}{related} ({len(result.matches)} in "
        f"{result.files_searched} files under {where}):"
    )
    if result.unreadable:
        echo(f"  (could not read: {', '.join(result.unreadable)})")
    for path, block in blocks(result.matches):
        echo(f"--- {path}")
        for number, text, matched in block:
            echo(f"{'>' if matched else ' '}{number:6d}  {text}")


def blocks(matches: list[Match]) -> list[tuple[str, list[tuple[int, str, bool]]]]:
    """Matches as grep -C shows them: per file, overlapping context merged into one block of
    (line number, text, matched); files in the order of their first match."""
    by_path: dict[str, list[Match]] = {}
    for match in matches:
        by_path.setdefault(match.path, []).append(match)
    result = []
    for path, found in by_path.items():
        lines: dict[int, str] = {}
        matched = {m.line.number for m in found}
        for m in found:
            for line in (*m.before, m.line, *m.after):
                lines[line.number] = line.text
        block: list[tuple[int, str, bool]] = []
        for number in sorted(lines):
            if block and number != block[-1][0] + 1:
                result.append((path, block))
                block = []
            block.append((number, lines[number], number in matched))
        if block:
            result.append((path, block))
    return result


def _data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if report.server is not None:
        data["server"] = report.server.to_dict()
        data["instance_actions"] = [a.to_dict() for a in report.actions]
    if report.search is not None:
        data["logs"] = report.logs
        data["request_ids"] = report.search.request_ids
        data["related_request_ids"] = report.search.related_ids
        data["files_searched"] = report.search.files_searched
        data["matches"] = [
            {
                "path": m.path,
                "line": m.line.number,
                "text": m.line.text,
                "service": m.service,
                "level": m.level,
                "before": [b.text for b in m.before],
                "after": [a.text for a in m.after],
            }
            for m in report.search.matches
        ]
    if report.diagnosis is not None:
        data["failing_service"] = report.diagnosis.service
        data["failing_process"] = report.diagnosis.process
        data["likely_cause"] = report.diagnosis.cause
    return data
