"""The `powerbridge` application: global options, command groups, one error handler.

Every expected failure is a `CliError` (or a click usage error) and is turned into one line
on stderr and an exit code here, in one place; `--debug` adds the traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from powerbridge import __version__
from powerbridge.cli import demo, emulator, lazy
from powerbridge.cli.errors import EXIT_ERROR, CliError
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
app.add_typer(emulator.app, name="emulator")
for _name, _group in lazy.groups():  # image, template, ..., server, volume: built when used
    app.add_typer(_group, name=_name)
lazy.lazy_command(app, "diagnose", "powerbridge.cli.diagnose:diagnose", lazy.DIAGNOSE_HELP)


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


def _debug_requested(argv: list[str]) -> bool:
    import os

    flag = os.environ.get("POWERBRIDGE_DEBUG", "").lower() in {"1", "true", "yes", "on"}
    return flag or "--debug" in argv


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and map every failure to one line and a code."""
    args = sys.argv[1:] if argv is None else argv
    sys.exit(invoke(args))


def invoke(args: list[str]) -> int:
    """Run the app; typer/click handle usage errors (exit 2), we handle everything else."""
    debug = _debug_requested(args)
    try:
        app(args=args, prog_name="powerbridge", standalone_mode=True)
    except SystemExit as done:
        return _exit_status(done.code)
    except CliError as failure:
        if debug:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {failure.message}", err=True)
        if failure.hint:
            typer.echo(f"hint: {failure.hint}", err=True)
        return failure.exit_code
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        return 130
    except Exception as unexpected:
        if debug:
            raise
        typer.echo(f"error: unexpected {type(unexpected).__name__}: {unexpected}", err=True)
        typer.echo("hint: run again with --debug for the traceback, and report it", err=True)
        return EXIT_ERROR
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    typer.echo(str(code), err=True)
    return EXIT_ERROR
