"""The node's shell: `run_line` runs one command line (placeholder until the parser lands:
words split on blanks, one command)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from powerbridge.emulator.aix.commands import COMMANDS
from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.world import AixWorld

NOT_FOUND = 127


@dataclass
class ShellResult:
    out: str
    err: str
    status: int


@dataclass
class Session:
    """What lasts between the lines of one login: variables, the directory, `$?`."""

    node: Node
    world: AixWorld
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    last_status: int = 0

    async def run(self, line: str, stdin: str = "") -> ShellResult:
        words = line.split()
        if not words:
            return ShellResult("", "", self.last_status)
        command = COMMANDS.get(words[0])
        if command is None:
            self.last_status = NOT_FOUND
            return ShellResult("", f"ksh: {words[0]}:  not found.\n", NOT_FOUND)
        inv = Invocation(words, self.node, self.world, stdin, dict(self.env), self.cwd)
        status = command(inv)
        self.last_status = await status if inspect.isawaitable(status) else status
        return ShellResult(inv.out.text, inv.err.text, self.last_status)


async def run_line(node: Node, world: AixWorld, line: str, *, stdin: str = "") -> ShellResult:
    """Run one command line in a fresh session (what `ssh node CMD` does)."""
    return await Session(node, world).run(line, stdin)
