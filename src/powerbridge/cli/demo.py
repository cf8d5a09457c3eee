"""`powerbridge demo`: the main job, end to end, against the embedded PowerVC emulator.

The command only starts the emulator; the flow lives in `demo_flow` so that importing the CLI
(for `--help`) stays cheap.
"""

from __future__ import annotations

from typing import Annotated

import typer

SPEED = 4.0  # emulated seconds per real second: a deploy takes about 3 s


def demo(
    speed: Annotated[
        float, typer.Option(help="Emulated seconds per real second (deploy pacing).")
    ] = SPEED,
) -> None:
    """Run the demo against the embedded PowerVC emulator."""
    import asyncio
    import tempfile
    from pathlib import Path

    from powerbridge.cli.demo_flow import run_flow, say
    from powerbridge.emulator.config import EmulatorConfig
    from powerbridge.emulator.server import running_emulator

    say("Starting the embedded PowerVC emulator (in memory) ...")
    # any free SSH ports for the AIX nodes: the demo reaches them through its own ssh/config
    config = EmulatorConfig(port=0, data_dir=None, clock="real", speed=speed, ssh_ports=(0, 0))
    with (
        running_emulator(config) as cloud,
        tempfile.TemporaryDirectory(prefix="powerbridge-demo-") as scratch,
    ):
        say(f"  auth URL {cloud.auth_url}  (user root, project ibm-default)")
        say(f"  logs in  {cloud.log_dir}")
        assert cloud.ssh_config is not None  # the emulator always serves its AIX nodes
        folder = Path(scratch)
        flow = run_flow(
            cloud.env(), cloud.log_dir, folder / "jobs.sqlite", cloud.ssh_config, folder
        )
        status = asyncio.run(flow)
    say(
        "Done. Try it yourself: powerbridge emulator start, then source `powerbridge emulator env`"
        " and run `powerbridge deploy apply examples/two-vms.pipe` or"
        " `powerbridge ha create examples/ha-2node.yaml`."
    )
    if status:
        raise typer.Exit(status)
