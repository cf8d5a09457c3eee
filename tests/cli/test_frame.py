"""The CLI frame: version, help, usage errors, one-line errors, confirmation without a TTY."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import typer

from powerbridge import __version__
from powerbridge.cli import main as cli_main
from powerbridge.cli.errors import CliError, PartialFailure
from powerbridge.cli.output import OutputFormat, fit, fold, render
from powerbridge.cli.prompts import confirm
from tests.support.cli_process import run_cli


def test_version_prints_package_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"powerbridge {__version__}"


def test_help_lists_command_groups() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout
    assert "Exit codes" in result.stdout


def test_unknown_option_is_a_usage_error_with_exit_2() -> None:
    result = run_cli("--no-such-option")
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_arguments_shows_help_and_exits_2() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "Usage:" in result.stdout + result.stderr


@pytest.fixture
def failing_command() -> Iterator[typer.Typer]:
    """Register throwaway commands that fail in the ways the handler must map."""
    app = cli_main.app
    before = list(app.registered_commands)

    def boom() -> None:
        raise CliError("the thing failed", hint="do the other thing")

    def partial() -> None:
        raise PartialFailure("2 of 5 servers failed")

    def crash() -> None:
        raise RuntimeError("kaput")

    app.command("zz-boom")(boom)
    app.command("zz-partial")(partial)
    app.command("zz-crash")(crash)
    yield app
    app.registered_commands[:] = before


def test_expected_error_is_one_line_and_exit_1(
    failing_command: typer.Typer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.invoke(["zz-boom"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: the thing failed", "hint: do the other thing"]


def test_partial_failure_exits_3(failing_command: typer.Typer) -> None:
    assert cli_main.invoke(["zz-partial"]) == 3


def test_unexpected_error_has_no_traceback_without_debug(
    failing_command: typer.Typer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main.invoke(["zz-crash"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: kaput" in err
    assert "Traceback" not in err
    assert "--debug" in err


def test_debug_reraises_unexpected_errors(failing_command: typer.Typer) -> None:
    with pytest.raises(RuntimeError, match="kaput"):
        cli_main.invoke(["--debug", "zz-crash"])


def test_confirmation_without_terminal_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CliError, match="no terminal") as caught:
        confirm("Delete 3 servers?", assume_yes=False)
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None
    assert "--yes" in caught.value.hint


def test_confirmation_with_yes_does_not_ask() -> None:
    confirm("Delete 3 servers?", assume_yes=True)


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_render_every_format(fmt: OutputFormat, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"name": "vm1", "status": "ACTIVE", "ips": ["10.0.0.5"]}]
    render(rows, fmt, columns=["name", "status", "ips"])
    out = capsys.readouterr().out
    assert "vm1" in out
    assert "10.0.0.5" in out
    if fmt is OutputFormat.json:
        assert out.lstrip().startswith("[")
    if fmt is OutputFormat.yaml:
        assert out.startswith("- name: vm1")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_is_plain_ascii_and_unfolded_into_a_pipe() -> None:
    out = io.StringIO()
    long = "x" * 150
    render([{"name": "vm1", "fault": long}], OutputFormat.table, stream=out, title="servers")
    lines = out.getvalue().splitlines()
    assert lines[0] == "servers"
    assert lines[1].startswith("+------+-")
    assert lines[2].split("|")[1:3] == [" name ", " fault" + " " * 146]
    assert f"| vm1  | {long} |" in out.getvalue()
    assert out.getvalue().isascii()


def test_table_is_folded_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = Terminal()
    message = "The 'Desired Memory' value 4096 MB is above the 'Maximum Memory' value 2048 MB."
    render({"name": "vm1", "fault": message}, OutputFormat.table, stream=out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 40
    assert " ".join(line.split("|")[2].strip() for line in lines if "|" in line[1:]).endswith(
        "'Maximum Memory' value 2048 MB."
    )


def test_fold_and_fit() -> None:
    assert fold("aa bb, cc dd", 6) == ["aa bb,", "cc dd"]
    assert fold("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert fold("", 4) == [""]
    assert fit([10, 50, 30], 60) == [10, 20, 20]
    assert fit([10, 10], 5) == [6, 6]  # never below the minimum width
