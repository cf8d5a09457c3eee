"""`powerbridge emulator backup|restore [--noprompt] [--targetdir DIR]`: PowerVC's
`powervc-backup` and `powervc-restore` for the emulator of a data dir.

Both have PowerVC's two options: `--noprompt` (no question asked) and `--targetdir` (where
archives go, default `<data>/backups`; for restore, an archive's directory or a directory of
timestamped backups, the newest taken). Without `--noprompt` they name what they will do and
ask; with no terminal to ask on they refuse in one line.

The backup is made by the running emulator itself, through its control socket, so it is one
consistent moment while the emulator serves. A restore checks the whole archive first (into a
staging directory in the data dir), so a corrupt, truncated, foreign or newer archive is
refused with the current state untouched; then it stops the services and the emulator,
swaps the data in, and starts the emulator again as it was started.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from powerbridge.cli.errors import CliError, UsageProblem

DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="DIR",
        envvar="POWERBRIDGE_EMULATOR_DATA",
        help="The emulator's data directory (default: ~/.local/share/powerbridge/emulator).",
    ),
]
NoPrompt = Annotated[
    bool,
    typer.Option("--noprompt", help="No user intervention: do not ask before going on."),
]
BACKUP_TIMEOUT = 300.0


def backup(
    noprompt: NoPrompt = False,
    targetdir: Annotated[
        str | None,
        typer.Option(
            "--targetdir",
            metavar="LOCATION",
            help="Where to save the backup archive (default: <data>/backups).",
        ),
    ] = None,
    data: DataOption = None,
) -> None:
    """Save the running emulator's data to a .tgz archive, as powervc-backup does."""
    from powerbridge.cli.emulator import _existing_data_dir, _read_info
    from powerbridge.cli.emulator_services import _socket_path
    from powerbridge.emulator.control import ControlError, exchange

    data_dir = _existing_data_dir(data)
    target = _target(data_dir, targetdir)
    _ask(f"Back up the emulator of {data_dir} to {target}?", noprompt=noprompt)
    socket = _socket_path(data_dir, _read_info(data_dir) or {})
    message = {"operation": "backup", "targetdir": str(target)}
    try:
        answer = exchange(socket, message, timeout=BACKUP_TIMEOUT)
    except ControlError as problem:
        raise CliError(
            f"no emulator answers for {data_dir}: {problem}",
            hint=f"start it with: powerbridge emulator start --detach --data {data_dir}",
        ) from None
    if not isinstance(answer, dict) or "archive" not in answer:
        error = answer.get("error") if isinstance(answer, dict) else answer
        raise CliError(f"the backup failed: {error}")
    typer.echo(f"Backup archive: {answer['archive']}")


def restore(
    noprompt: NoPrompt = False,
    targetdir: Annotated[
        str | None,
        typer.Option(
            "--targetdir",
            metavar="LOCATION",
            help="Where the backup archive is (default: the newest in <data>/backups).",
        ),
    ] = None,
    data: DataOption = None,
) -> None:
    """Restore the emulator's data from a .tgz archive, as powervc-restore does."""
    from powerbridge.cli.emulator import _existing_data_dir, _prepare_data_dir
    from powerbridge.emulator.backup import BackupError, extract_backup, newest_archive

    data_dir = _existing_data_dir(data)
    target = _target(data_dir, targetdir)
    archive = newest_archive(target)
    if archive is None:
        raise CliError(
            f"no backup archive (powervc_backup.tgz) in {target} or its subdirectories",
            hint="make one with: powerbridge emulator backup, or name its --targetdir",
        )
    _prepare_data_dir(data_dir)
    staging = data_dir / f".restore-{os.getpid()}"
    try:
        try:
            manifest = extract_backup(archive, staging)
        except BackupError as problem:
            raise CliError(f"{problem}; nothing was restored") from None
        _ask(
            f"Restore {archive} (made {manifest.get('created')} by powerbridge "
            f"{manifest.get('powerbridge_version')}, PowerVC {manifest.get('powervc_version')}) "
            f"over the emulator's data in {data_dir}? Its services are stopped and started again.",
            noprompt=noprompt,
        )
        info = _stop_running(data_dir)
        _swap(data_dir, staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    typer.echo(f"Restored {archive} into {data_dir}.")
    _start_again(data_dir, info)


def _target(data_dir: Path, targetdir: str | None) -> Path:
    from powerbridge.emulator.backup import BACKUPS

    return Path(targetdir).expanduser().resolve() if targetdir else data_dir / BACKUPS


def _ask(question: str, *, noprompt: bool) -> None:
    if noprompt:
        return
    if not sys.stdin.isatty():
        raise UsageProblem(
            f"{question.split('?')[0]}? needs an answer and there is no terminal to ask on",
            hint="pass --noprompt to go on without asking",
        )
    if not typer.confirm(question, default=False):
        raise CliError("cancelled; nothing was changed")


def _stop_running(data_dir: Path) -> dict[str, Any] | None:
    """Stop the emulator of `data_dir` if it runs (its services first, as powervc-restore
    stops PowerVC's); what emulator.json said of it, or None if none ran."""
    from powerbridge.cli.emulator import (
        _is_emulator,
        _read_info,
        _recorded_pid,
        _remove_runtime_files,
        _terminate,
    )
    from powerbridge.cli.emulator_services import _socket_path
    from powerbridge.emulator.control import ControlError, request

    pid = _recorded_pid(data_dir)
    info = _read_info(data_dir) or {}
    if pid is None or not _is_emulator(pid):
        _refuse_if_serving_without_pid(_socket_path(data_dir, info))
        return None
    with contextlib.suppress(ControlError):
        request(_socket_path(data_dir, info), "stop", [])
    typer.echo(f"Stopped PowerVC's services and the emulator (pid {pid}).")
    _terminate(pid)
    _remove_runtime_files(data_dir)
    return info


def _refuse_if_serving_without_pid(socket: Path) -> None:
    """An emulator a program runs (`running_emulator`) has no pid file: its data must not be
    swapped under it."""
    from powerbridge.emulator.control import ControlError, request

    try:
        request(socket, "status", ["httpd"], timeout=2.0)
    except ControlError:
        return
    raise CliError(
        f"an emulator answers on {socket} but has no pid file to stop it by; nothing was restored",
        hint="stop the program that runs it, then restore again",
    )


def _swap(data_dir: Path, staging: Path, target: Path) -> None:
    """The staged data in place of the current one (backups/, a --targetdir inside the data
    dir and the staging dir stay); the old data is put back if a move fails."""
    from powerbridge.emulator.backup import ARCHIVE, BACKUPS

    keep = {BACKUPS, staging.name}
    with contextlib.suppress(ValueError):  # a target outside the data dir
        inside = target.resolve().relative_to(data_dir.resolve()).parts
        keep.add(inside[0] if inside else ARCHIVE)
    aside = data_dir / f".restore-old-{os.getpid()}"
    aside.mkdir()
    moved: list[Path] = []
    try:
        for entry in sorted(data_dir.iterdir()):
            if entry.name not in keep and entry != aside:
                entry.rename(aside / entry.name)
                moved.append(aside / entry.name)
        for entry in sorted(staging.iterdir()):
            entry.rename(data_dir / entry.name)
    except OSError as problem:
        for entry in sorted(staging.iterdir()) if staging.exists() else []:
            shutil.rmtree(data_dir / entry.name, ignore_errors=True)
        for entry in moved:
            entry.rename(data_dir / entry.name)
        raise CliError(f"cannot restore into {data_dir}: {problem}; the old data is back") from None
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def _start_again(data_dir: Path, info: dict[str, Any] | None) -> None:
    """Start the emulator as it was started, if it ran; else say how to start it."""
    from powerbridge.cli.emulator import PASSWORD_ENV

    arguments = info.get("start_arguments") if info else None
    if not isinstance(arguments, list):
        typer.echo(
            f"The emulator of {data_dir} is not running; start it with: "
            f"powerbridge emulator start --detach --data {data_dir}"
        )
        return
    env = {**os.environ, PASSWORD_ENV: str((info or {}).get("password", ""))}
    command = [sys.executable, "-m", "powerbridge", "emulator", "start", "--detach", *arguments]
    finished = subprocess.run(command, env=env, check=False)
    if finished.returncode != 0:
        raise CliError(
            f"the data is restored, but the emulator did not start again (exit "
            f"{finished.returncode})",
            hint=f"see {data_dir / 'emulator.out'}",
        )
