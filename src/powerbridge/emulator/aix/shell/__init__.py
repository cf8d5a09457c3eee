"""The node's shell: a ksh-like parser and interpreter over the node's virtual files.

Hand-written on purpose: bashlex, the kept Python bash parser, is GPLv3+, which powerbridge's
Apache-2.0 distribution must not depend on. `lexer` makes tokens (here-documents included),
`parser` the tree (`ast`), `expand` the words, `redirects` the descriptors, `interpreter`
runs the tree, `builtins` are the commands that change the shell itself, `session` is one
login. Nothing here runs anything on the host.
"""

from __future__ import annotations

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.shell.session import Session, ShellResult
from powerbridge.emulator.aix.world import AixWorld

__all__ = ["Session", "ShellResult", "run_line"]


async def run_line(node: Node, world: AixWorld, line: str, *, stdin: str = "") -> ShellResult:
    """Run one command line in a fresh session (what `ssh node CMD` does)."""
    return await Session(node, world).run(line, stdin)
