"""The interpreter: walks a parsed line over one session's state.

Nothing runs on the host: a simple command is a shell builtin, a function the script defined,
a command from `commands.COMMANDS`, or a script file on the node's file system, which the
same interpreter runs.
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import logging
import posixpath
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands import COMMANDS
from powerbridge.emulator.aix.commands.base import Invocation, Output
from powerbridge.emulator.aix.shell.ast import (
    AndOr,
    Case,
    Command,
    For,
    FunctionDef,
    Group,
    If,
    Pipeline,
    Redirect,
    Redirected,
    Sequence,
    Simple,
    While,
)
from powerbridge.emulator.aix.shell.builtins import BUILTINS, BuiltinCall
from powerbridge.emulator.aix.shell.expand import (
    BadSubstitution,
    Context,
    expand_string,
    expand_words,
)
from powerbridge.emulator.aix.shell.redirects import RedirectError, Routing, open_redirects
from powerbridge.emulator.aix.shell.streams import (
    Aborted,
    ExitShell,
    InputStream,
    LoopControl,
    ReturnFromFunction,
    Streams,
)

if TYPE_CHECKING:
    from powerbridge.emulator.aix.shell.session import Session

logger = logging.getLogger(__name__)

NOT_FOUND, NOT_EXECUTABLE = 127, 126
MAX_LOOP_ITERATIONS = 10_000  # a `while` that never ends must not hang the server
MAX_COMMANDS = 100_000  # simple commands one line may run, loops and functions included
MAX_OUTPUT = 32 * 1024 * 1024  # characters one line's commands may write, pipes included
MAX_DEPTH = 40  # nested scripts, functions and $(...)
# where the system's commands live: `/usr/bin/grep` is `grep` when no such file exists
SYSTEM_DIRECTORIES = frozenset(
    {
        "/bin",
        "/sbin",
        "/usr/bin",
        "/usr/sbin",
        "/etc",
        "/usr/ucb",
        "/usr/es/sbin/cluster/utilities",
        "/usr/es/sbin/cluster/sbin",
        "/usr/es/sbin/cluster",
        "/usr/es/sbin/cluster/clstat",
        "/usr/lib/cluster",
        "/usr/sbin/rsct/bin",
    }
)


class Interpreter:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.commands_run = 0
        self.output_written = 0

    # -- lists ---------------------------------------------------------------------------
    async def sequence(self, body: Sequence, streams: Streams, *, condition: bool = False) -> int:
        status = self.session.last_status
        for item in body.items:
            status, checked = await self.and_or(item, streams)
            self.session.last_status = status
            if status and checked and not condition and self.session.errexit:
                raise ExitShell(status)
        return status

    async def and_or(self, node: AndOr, streams: Streams) -> tuple[int, bool]:
        """The list's status, and whether `set -e` applies (its last pipeline ran)."""
        status = await self.pipeline(node.first, streams)
        checked = not node.rest and not node.first.negate
        for index, (op, pipeline) in enumerate(node.rest):
            self.session.last_status = status
            if (op == "&&") != (status == 0):
                checked = False
                continue
            status = await self.pipeline(pipeline, streams)
            checked = index == len(node.rest) - 1 and not pipeline.negate
        return status, checked

    async def pipeline(self, node: Pipeline, streams: Streams) -> int:
        stdin = streams.stdin
        status = 0
        for index, command in enumerate(node.commands):
            last = index == len(node.commands) - 1
            out = streams.out if last else Output()
            status = await self.command(command, Streams(stdin, out, streams.err))
            stdin = InputStream(out.text) if not last else stdin
        return int(not status) if node.negate else status

    # -- commands ------------------------------------------------------------------------
    async def command(self, node: Command, streams: Streams) -> int:
        if isinstance(node, Simple):
            return await self.simple(node, streams)
        if isinstance(node, If):
            return await self.if_clause(node, streams)
        if isinstance(node, For):
            return await self.for_clause(node, streams)
        if isinstance(node, While):
            return await self.while_clause(node, streams)
        if isinstance(node, Case):
            return await self.case_clause(node, streams)
        if isinstance(node, Group):
            if node.subshell:
                return await self.subshell(lambda: self.sequence(node.body, streams))
            return await self.sequence(node.body, streams)
        if isinstance(node, FunctionDef):
            self.session.functions[node.name] = node.body
            return 0
        return await self.redirected(node, streams)

    async def redirected(self, node: Redirected, streams: Streams) -> int:
        routed = await self.open(node.redirects, streams)
        if routed is None:
            return 1
        out = Output()
        inner = Streams(routed.stdin, out, out if routed.merged() else Output())
        try:
            return await self.command(node.command, inner)
        finally:
            routed.deliver(self.session.node.fs, 1, out.text)
            if inner.err is not out:
                routed.deliver(self.session.node.fs, 2, inner.err.text)

    async def if_clause(self, node: If, streams: Streams) -> int:
        for condition, body in node.clauses:
            if await self.sequence(condition, streams, condition=True) == 0:
                return await self.sequence(body, streams)
        if node.otherwise is not None:
            return await self.sequence(node.otherwise, streams)
        return 0

    async def loop_pass(self, body: Sequence, streams: Streams, status: int) -> tuple[int, bool]:
        """One pass of a loop's body: the loop's status after it (unchanged on a break or a
        continue) and whether the loop goes on; a break or continue for an outer loop goes up."""
        try:
            return await self.sequence(body, streams), True
        except LoopControl as control:
            if control.levels > 1:
                raise LoopControl(control.levels - 1, again=control.again) from None
            return status, control.again

    async def for_clause(self, node: For, streams: Streams) -> int:
        ctx = self.context(streams)
        values = (
            await expand_words(node.words, ctx)
            if node.words is not None
            else self.session.positional[1:]
        )
        status = 0
        for value in values:
            self.session.env[node.name] = value
            status, going = await self.loop_pass(node.body, streams, status)
            if not going:
                break
        return status

    async def while_clause(self, node: While, streams: Streams) -> int:
        status = 0
        for _ in range(MAX_LOOP_ITERATIONS):
            result = await self.sequence(node.condition, streams, condition=True)
            if (result == 0) == node.until:
                return status
            status, going = await self.loop_pass(node.body, streams, status)
            if not going:
                return status
        keyword = "until" if node.until else "while"
        raise Aborted(
            f"ksh: {keyword}: loop stopped after {MAX_LOOP_ITERATIONS} iterations (emulator limit)."
        )

    async def case_clause(self, node: Case, streams: Streams) -> int:
        ctx = self.context(streams)
        subject = await expand_string(node.subject, ctx)
        for patterns, body in node.arms:
            for pattern in patterns:
                if fnmatch.fnmatchcase(subject, await expand_string(pattern, ctx)):
                    return await self.sequence(body, streams)
        return 0

    # -- simple commands -----------------------------------------------------------------
    async def simple(self, node: Simple, streams: Streams) -> int:
        self.commands_run += 1
        if self.commands_run > MAX_COMMANDS:
            raise Aborted(f"ksh: stopped after {MAX_COMMANDS} commands (emulator limit).")
        self.session.world.ctx.engine.run_due()
        self.session.line = node.line
        ctx = self.context(streams)
        self.session.substitution_status = None
        try:
            argv = await expand_words(node.words, ctx)
            assignments = [(name, await expand_string(raw, ctx)) for name, raw in node.assignments]
        except BadSubstitution as error:
            streams.err.line(f"{self.session.prefix()}: {error}")
            return 1
        routing = await self.open(node.redirects, streams)
        if routing is None:
            return 1
        if not argv:
            self.session.env.update(assignments)
            return self.session.substitution_status or 0
        # `>file 2>&1`: one buffer for both keeps the command's lines in the order written
        out = Output()
        err = out if routing.merged() else Output()
        try:
            return await self.dispatch(argv, dict(assignments), Streams(routing.stdin, out, err))
        finally:
            self.count_output(out.text, err.text if err is not out else "")
            routing.deliver(self.session.node.fs, 1, out.text)
            if err is not out:
                routing.deliver(self.session.node.fs, 2, err.text)

    def count_output(self, *texts: str) -> None:
        self.output_written += sum(len(text) for text in texts)
        if self.output_written > MAX_OUTPUT:
            raise Aborted(f"ksh: stopped after {MAX_OUTPUT} characters of output (emulator limit).")

    async def open(self, redirects: list[Redirect], streams: Streams) -> Routing | None:
        try:
            return await open_redirects(
                redirects, streams, self.session.node.fs, self.context(streams)
            )
        except (RedirectError, BadSubstitution) as error:
            streams.err.line(f"{self.session.prefix()}: {error}")
            return None

    async def dispatch(self, argv: list[str], assignments: dict[str, str], streams: Streams) -> int:
        session, name = self.session, argv[0]
        behaviours = session.world.behaviours
        if behaviours is not None:  # a fail_command rule strikes instead of the command
            rule = behaviours.node_fault(session.node.name, "fail_command", " ".join(argv))
            if rule is not None:
                streams.err.line(rule.message or f"{name}: injected failure")
                return rule.exit_status if rule.exit_status is not None else 1
            slow = behaviours.node_fault(session.node.name, "slow_command", " ".join(argv))
            if slow is not None:
                await asyncio.sleep(slow.latency)  # wall time: a client's timeout is wall time
        if "/" not in name and name in session.functions:
            return await self.call_function(name, argv, streams)
        builtin = BUILTINS.get(name) if "/" not in name else None
        if builtin is not None:
            call = BuiltinCall(session, argv, streams, assignments)
            result = builtin(call)
            return await result if inspect.isawaitable(result) else result
        if "/" in name:
            return await self.run_path(argv, streams)
        if name in COMMANDS:
            return await self.run_command(name, argv, assignments, streams)
        streams.err.line(f"{session.prefix()}: {name}:  not found.")
        return NOT_FOUND

    async def run_path(self, argv: list[str], streams: Streams) -> int:
        session, name = self.session, argv[0]
        path = session.node.fs.normalize(name, session.cwd)
        entry = session.node.fs.stat(path)
        if entry is not None:
            if entry.is_dir or not entry.executable:
                streams.err.line(f"{session.prefix()}: {name}: 0403-006 Execute permission denied.")
                return NOT_EXECUTABLE
            return await self.run_script(path, argv, streams)
        base, directory = posixpath.basename(path), posixpath.dirname(path)
        if directory in SYSTEM_DIRECTORIES and base in BUILTINS:  # /usr/bin/ksh, /bin/sh
            result = BUILTINS[base](BuiltinCall(session, [base, *argv[1:]], streams, {}))
            return await result if inspect.isawaitable(result) else result
        if directory in SYSTEM_DIRECTORIES and base in COMMANDS:
            return await self.run_command(base, [base, *argv[1:]], {}, streams, shown=name)
        streams.err.line(f"{session.prefix()}: {name}:  not found.")
        return NOT_FOUND

    async def run_command(
        self,
        name: str,
        argv: list[str],
        assignments: dict[str, str],
        streams: Streams,
        shown: str | None = None,
    ) -> int:
        """Run a table command. One that returns 127 without a word is not installed on this
        node (halevel without PowerHA): the shell says so as for any unknown name."""
        session = self.session
        env = {**session.env, **assignments}
        inv = Invocation(argv, session.node, session.world, streams.stdin.rest(), env, session.cwd)
        inv.out, inv.err = streams.out, streams.err
        written = len(streams.out.parts) + len(streams.err.parts)
        try:
            result = COMMANDS[name](inv)
            status = int(await result if inspect.isawaitable(result) else result)
        except Exception:
            logger.exception("the simulated command %r failed on %s", name, session.node.name)
            streams.err.line(f"ksh: {name}: internal error")
            return 1
        if status == NOT_FOUND and len(streams.out.parts) + len(streams.err.parts) == written:
            streams.err.line(f"{session.prefix()}: {shown or name}:  not found.")
        return status

    # -- scopes --------------------------------------------------------------------------
    def context(self, streams: Streams) -> Context:
        session = self.session

        async def substitute(text: str) -> str:
            out = Output()
            inner = Streams(InputStream(), out, streams.err)
            status = await self.subshell(lambda: self.run_text(text, inner))
            session.substitution_status = status
            return out.text

        return Context(
            lookup=session.lookup,
            assign=session.env.__setitem__,
            positional=session.positional,
            substitute=substitute,
            fs=session.node.fs,
            cwd=session.cwd,
        )

    async def subshell(self, body: Callable[[], Awaitable[int]]) -> int:
        """Run `body` so that variables, cd, functions and exit stay inside."""
        saved = self.session.save_scope()
        self.enter()
        try:
            return await body()
        except ExitShell as exit_:
            return exit_.status
        finally:
            self.session.depth -= 1
            self.session.restore_scope(saved)

    def enter(self) -> None:
        self.session.depth += 1
        if self.session.depth > MAX_DEPTH:
            self.session.depth -= 1
            raise Aborted(f"{self.session.prefix()}: recursion too deep (emulator limit).")

    async def run_text(self, text: str, streams: Streams) -> int:
        from powerbridge.emulator.aix.shell.lexer import ShellSyntaxError
        from powerbridge.emulator.aix.shell.parser import parse

        try:
            body = parse(text)
        except ShellSyntaxError as error:
            streams.err.line(f"{self.session.prefix(error.line)}: {error}")
            return 2
        except RecursionError:
            streams.err.line(f"{self.session.prefix()}: 0403-057 Syntax error: nested too deeply.")
            return 2
        return await self.sequence(body, streams)

    async def call_function(self, name: str, argv: list[str], streams: Streams) -> int:
        session = self.session
        saved_positional = session.positional
        session.positional = [session.positional[0], *argv[1:]]
        self.enter()
        try:
            return await self.command(session.functions[name], streams)
        except ReturnFromFunction as returned:
            return returned.status
        finally:
            session.depth -= 1
            session.positional = saved_positional

    async def run_script(self, path: str, argv: list[str], streams: Streams) -> int:
        """A script file in a child shell: its own variables, `$0` and arguments."""
        session = self.session
        text = session.node.fs.read_text(path)

        async def body() -> int:
            session.positional = [argv[0], *argv[1:]]
            session.script = argv[0]
            return await self.run_text(text, streams)

        return await self.subshell(body)
