"""The client's log on stderr: its warnings always, its HTTP trace with `-v` / `--verbose`.

-v shows one line per HTTP call (method, URL, status, request id, time), -vv the headers and
bodies too, tokens, passwords and secrets redacted (`powerbridge.client.trace`). Warnings
(such as `--insecure`'s, every time) are printed as `warning: ...` with or without -v.
`logging` is imported only when a command talks to a cloud (or -v is given), to keep start-up
fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

CLIENT_LOGGER = "powerbridge.client"
MARK = "powerbridge_cli"  # set on our handlers, so a new configuration replaces them


def enable_tracing(verbosity: int) -> None:
    """-v: the trace at INFO, -vv: at DEBUG; 0 removes what an earlier command set up (tests
    run many commands in one process)."""
    if verbosity > 0:
        _configure(verbosity)
    elif "logging" in sys.modules:
        _reset()


def show_client_warnings() -> Callable[[], None]:
    """Make sure the client's warnings reach stderr while a command runs (unless a trace is
    set up already); returns what undoes it."""
    import logging

    logger = logging.getLogger(CLIENT_LOGGER)
    if any(getattr(h, MARK, False) for h in logger.handlers):
        return lambda: None
    _configure(0)
    return _reset


def _configure(verbosity: int) -> None:
    import logging

    class Lines(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            text = record.getMessage()
            return f"warning: {text}" if record.levelno >= logging.WARNING else text

    _reset()
    logger = logging.getLogger(CLIENT_LOGGER)
    handler: Any = logging.StreamHandler(sys.stderr)
    setattr(handler, MARK, True)
    handler.setFormatter(Lines())
    logger.addHandler(handler)
    levels = {0: logging.WARNING, 1: logging.INFO}
    logger.setLevel(levels.get(verbosity, logging.DEBUG))
    logger.propagate = False


def _reset() -> None:
    import logging

    logger = logging.getLogger(CLIENT_LOGGER)
    ours = [h for h in logger.handlers if getattr(h, MARK, False)]
    for handler in ours:
        logger.removeHandler(handler)
    if ours:
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
