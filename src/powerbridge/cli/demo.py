"""`powerbridge demo`: the main job, end to end, against the embedded emulator."""

from __future__ import annotations

import typer


def demo() -> None:
    """Run the demo against the embedded PowerVC emulator."""
    typer.echo("powerbridge demo: the embedded emulator is being built; nothing to deploy yet.")
