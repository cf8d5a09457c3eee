"""The `powerbridge` typer application: global options and command groups.

`powerbridge.cli.main` runs it (and handles every error, in one place); it is imported only
when a command is run, not for the help and version texts `main` prints from
`powerbridge.cli.help_text` (generated from this app by `python -m powerbridge.cli.help_gen`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from powerbridge import __version__
from powerbridge.cli import demo, lazy
from powerbridge.cli.tracing import enable_tracing

HELP = """Bring IBM Power (PowerVC) resources into your cloud platform.

Targets a PowerVC (or any OpenStack cloud) named with --os-cloud or OS_* variables, or the
embedded PowerVC emulator. Exit codes: 0 success, 1 error, 2 usage error, 3 partial failure.
"""

app = typer.Typer(
    name="powerbridge",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=lazy.FastGroup,  # plain options parsed without pydantic: fast start-up
)
app.command("demo")(demo.demo)
# the emulator's commands (and their imports: json, subprocess, signal) only when it runs
app.add_typer(
    lazy.lazy_group("powerbridge.cli.emulator:commands", lazy.EMULATOR_HELP), name="emulator"
)
for _name, _group in lazy.groups():  # image, template, ..., server, volume: built when used
    app.add_typer(_group, name=_name)
lazy.lazy_command(app, "diagnose", "powerbridge.cli.diagnose:diagnose", lazy.DIAGNOSE_HELP)
lazy.lazy_command(app, "portal", "powerbridge.portal.command:portal", lazy.PORTAL_HELP)


@dataclass
class GlobalOptions:
    debug: bool = False
    verbose: int = 0


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"powerbridge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show tracebacks for errors.", envvar="POWERBRIDGE_DEBUG"),
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Trace each HTTP call (-vv: more).")
    ] = 0,
) -> None:
    ctx.obj = GlobalOptions(debug=debug, verbose=verbose)
    enable_tracing(verbose)
