"""One login's shell: what lasts between the lines (variables, the directory, `$?`, functions,
`set -e`) and `run`, which parses and interprets one line or script."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.shell.ast import Command
from powerbridge.emulator.aix.shell.interpreter import Interpreter
from powerbridge.emulator.aix.shell.streams import (
    Aborted,
    ExitShell,
    InputStream,
    LoopControl,
    ReturnFromFunction,
    Streams,
)
from powerbridge.emulator.aix.world import AixWorld

logger = logging.getLogger(__name__)

# what root's login environment holds on a freshly installed AIX 7.2 (/etc/environment)
DEFAULT_ENV = {
    "HOME": "/",
    "LOGNAME": "root",
    "USER": "root",
    "SHELL": "/usr/bin/ksh",
    "PATH": "/usr/bin:/etc:/usr/sbin:/usr/ucb:/usr/bin/X11:/sbin:/usr/java8_64/jre/bin"
    ":/usr/java8_64/bin:/usr/es/sbin/cluster/utilities:/usr/es/sbin/cluster/sbin",
    "LANG": "C",
    "TZ": "UTC",
    "IFS": " \t\n",
}


@dataclass
class ShellResult:
    out: str
    err: str
    status: int


@dataclass
class Scope:
    env: dict[str, str]
    cwd: str
    positional: list[str]
    functions: dict[str, Command]
    errexit: bool
    script: str | None


@dataclass
class Session:
    """What lasts between the lines of one login: variables, the directory, `$?`."""

    node: Node
    world: AixWorld
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    last_status: int = 0
    exited: bool = False  # `exit` ran: the login is over
    exit_status: int | None = None
    positional: list[str] = field(default_factory=lambda: ["ksh"])
    functions: dict[str, Command] = field(default_factory=dict)
    errexit: bool = False  # set -e
    script: str | None = None  # the script running now ($0 in messages), None at the prompt
    line: int = 1
    depth: int = 0
    substitution_status: int | None = None

    def __post_init__(self) -> None:
        for name, value in DEFAULT_ENV.items():
            self.env.setdefault(name, value)
        self.env.setdefault("PWD", self.cwd)

    async def run(self, line: str, stdin: str = "") -> ShellResult:
        """Run one command line (or a whole script's text); never raises for what it runs."""
        streams = Streams(InputStream(stdin))
        try:
            status = await Interpreter(self).run_text(line, streams)
        except ExitShell as exit_:
            status = exit_.status
            self.exited, self.exit_status = True, status
        except Aborted as aborted:
            streams.err.line(aborted.message)
            status = 1
        except ReturnFromFunction as returned:
            status = returned.status
        except LoopControl:
            status = 0
        except RecursionError:
            streams.err.line("ksh: commands nested too deeply (emulator limit).")
            status = 1
        except Exception:  # a bug in the interpreter must not end the login
            logger.exception("the shell failed on %r on %s", line[:200], self.node.name)
            streams.err.line("ksh: internal error")
            status = 1
        self.depth = 0
        self.last_status = status
        return ShellResult(streams.out.text, streams.err.text, status)

    def lookup(self, name: str) -> str | None:
        """A variable, or `$?`, `$$` (a stable fake process id) and `$-`."""
        if name == "?":
            return str(self.last_status)
        if name == "$":
            return str(4000000 + sum(map(ord, self.node.name)) * 97 % 900000)
        if name == "-":
            return "e" if self.errexit else ""
        return self.env.get(name)

    def prefix(self, line: int | None = None) -> str:
        """What ksh puts before its messages: `ksh`, or `script[line]` inside a script."""
        if self.script is None:
            return "ksh"
        return f"{self.script}[{line if line is not None else self.line}]"

    def save_scope(self) -> Scope:
        return Scope(
            dict(self.env),
            self.cwd,
            list(self.positional),
            dict(self.functions),
            self.errexit,
            self.script,
        )

    def restore_scope(self, scope: Scope) -> None:
        self.env, self.cwd, self.positional = scope.env, scope.cwd, scope.positional
        self.functions, self.errexit, self.script = scope.functions, scope.errexit, scope.script
