"""`powerbridge emulator check [--data DIR]`: the integrity check of a stopped emulator's state.

It loads the data dir as a start would (`emulator.integrity`) and prints each invariant
breach on a line of its own; exit 0 when there is none, 1 when there is. A running emulator
is refused: its state is in its memory, and two processes must not write one store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from powerbridge.cli.errors import CliError


def check(
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="DIR",
            envvar="POWERBRIDGE_EMULATOR_DATA",
            help="The stopped emulator's data directory "
            "(default: ~/.local/share/powerbridge/emulator).",
        ),
    ] = None,
    estate: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="The estate the emulator ran with (default: the one its last start named).",
        ),
    ] = None,
) -> None:
    """Check a stopped emulator's state: attachments, host allocations, ports, half-made
    records."""
    from powerbridge.cli.emulator import _existing_data_dir, _read_info, _refuse_if_running
    from powerbridge.emulator.config import EmulatorConfig
    from powerbridge.emulator.integrity import check as check_state
    from powerbridge.emulator.state import Emulator

    data_dir = _existing_data_dir(data)
    if not (data_dir / "emulator.sqlite").exists():
        raise CliError(
            f"{data_dir} holds no emulator state (emulator.sqlite)",
            hint="pass the --data DIR the emulator was started with",
        )
    _refuse_if_running(data_dir)
    named = estate or (_read_info(data_dir) or {}).get("estate_path")
    config = EmulatorConfig(data_dir=data_dir, estate_path=Path(named) if named else None)
    emulator = Emulator(config)
    try:
        problems = check_state(emulator)
    finally:
        emulator.close()
    for problem in problems:
        typer.echo(problem)
    typer.echo(f"{len(problems)} problem(s)" if problems else "the state is sound")
    if problems:
        raise typer.Exit(1)
