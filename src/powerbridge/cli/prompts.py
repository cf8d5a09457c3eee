"""Confirmation that fails fast, with a clear message, when nobody can answer."""

from __future__ import annotations

import sys

from powerbridge.cli.errors import CliError, UsageProblem


def confirm(question: str, *, assume_yes: bool) -> None:
    """Return if the user agrees (or `--yes` was given); raise otherwise."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise UsageProblem(
            f"{question} needs confirmation, but there is no terminal to ask on",
            hint="pass --yes (-y) to confirm non-interactively",
        )
    import typer

    if not typer.confirm(question, default=False):
        raise CliError("cancelled; nothing was changed")
