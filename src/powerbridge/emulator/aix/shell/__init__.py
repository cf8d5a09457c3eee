"""The node's shell: a ksh-like parser and interpreter over the node's virtual files.

Hand-written on purpose: bashlex, the kept Python bash parser, is GPLv3+, which powerbridge's
Apache-2.0 distribution must not depend on. `lexer` makes tokens (here-documents included),
`parser` the tree (`ast`), `expand` the words, `redirects` the descriptors, `interpreter`
runs the tree, `builtins` are the commands that change the shell itself, `session` is one
login. Nothing here runs anything on the host.
"""

from __future__ import annotations

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.shell.lexer import ShellSyntaxError, tokenize
from powerbridge.emulator.aix.shell.parser import parse
from powerbridge.emulator.aix.shell.session import Session, ShellResult
from powerbridge.emulator.aix.world import AixWorld

__all__ = ["Session", "ShellResult", "is_complete", "run_line"]


async def run_line(node: Node, world: AixWorld, line: str, *, stdin: str = "") -> ShellResult:
    """Run one command line in a fresh session (what `ssh node CMD` does)."""
    return await Session(node, world).run(line, stdin)


def is_complete(text: str) -> bool:
    """Whether the lines typed so far make whole commands: False while an `if`, `for`, quote,
    `|` or here-document waits for more (an interactive login then prompts `> ` for the rest);
    True also for text with a real syntax error, which `Session.run` reports."""
    try:
        parse(text)
    except ShellSyntaxError as error:
        return not (error.problem == "is not matched" or error.token == "end of file")
    except RecursionError:
        return True
    return not _open_heredoc(text)


def _open_heredoc(text: str) -> bool:
    """A here-document whose delimiter line has not been typed yet."""
    lines = text.splitlines()
    for token in tokenize(text):
        heredoc = token.heredoc
        if heredoc is None:
            continue
        body = lines[token.line :]  # the lines after the one holding `<<`
        if heredoc.strip_tabs:
            body = [line.lstrip("\t") for line in body]
        if heredoc.delimiter not in body:
            return True
    return False
