"""Errors the CLI expects, each owning its exit code and its one-line message.

The top-level handler in `powerbridge.cli.main` prints `error: <message>` (and the hint on
its own line) and exits with `exit_code`; the traceback is shown only with `--debug`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


class CliError(Exception):
    """An expected failure: what failed, why, and what to do about it."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageProblem(CliError):
    """The command line itself is wrong (exit 2), detected after parsing."""

    exit_code = EXIT_USAGE


class PartialFailure(CliError):
    """Some items of a batch failed; the others succeeded (exit 3)."""

    exit_code = EXIT_PARTIAL
