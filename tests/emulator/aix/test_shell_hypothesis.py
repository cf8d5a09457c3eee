"""Random command lines and random paths (with `..`) never crash the shell, and never create
or open a host file outside the emulator's data dir."""

from __future__ import annotations

import asyncio
import builtins
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powerbridge.emulator.aix.commands import COMMANDS
from powerbridge.emulator.aix.shell import Session, ShellResult
from powerbridge.emulator.aix.shell.builtins import BUILTINS
from tests.emulator.aix.shellkit import add_node, emulator

WORDS = (
    sorted(COMMANDS)
    + sorted(BUILTINS)
    + [
        *["if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until"],
        *["case", "esac", "{", "}", "!", "function"],
        *[
            "|",
            "||",
            "&&",
            ";",
            "&",
            "(",
            ")",
            ">",
            ">>",
            "<",
            "2>&1",
            "2>/dev/null",
            "<<EOF",
            "<<'X'",
        ],
        *[
            "$x",
            "${x}",
            "$?",
            "$(",
            "`",
            "'",
            '"',
            "\\",
            "*",
            "-l",
            "-r",
            "-f",
            "-n",
            "1",
            "-1",
            "%s",
        ],
        *["/etc/hosts", "/etc/cluster/rhosts", "/.ssh", "/tmp", "EOF", "\n", "x=1", "$((1/0))"],
        *["'s/a/\\1/'", "'{print $1}'", "-F:", "-k2", "-d:", "-f1", "[:upper:]", "a-z", "-c"],
        *["'$2==\"none\"{print $1}'", "'/re/'", "-e", "'s|x|y|g'", "-n", "'1,$p'", "+x", "0755"],
    ]
)
SEGMENTS = st.sampled_from(["..", ".", "etc", "tmp", "x", "", "...", "hosts", "..\\", "~"])
PATHS = st.lists(SEGMENTS, min_size=1, max_size=6).map("/".join) | st.lists(
    SEGMENTS, max_size=6
).map(lambda parts: "/" + "/".join(parts))
TOKENS = st.sampled_from(WORDS) | PATHS | st.text(max_size=6)
# AIX_SHELL_EXAMPLES=4000 for a longer hunt by hand
EXAMPLES = int(os.environ.get("AIX_SHELL_EXAMPLES", "300"))
FRAGMENTS = st.sampled_from(
    ["${x:-", "${x#", "${#x}", "}", "$((", "))", "<<-EOF", "\nEOF\n", "'", '"', "`", "$(", ")"]
)
LINES = (
    st.lists(TOKENS, max_size=12).map(" ".join)
    | st.lists(TOKENS | FRAGMENTS, max_size=12).map("".join)
    | st.text(max_size=40)
)


@contextmanager
def host_opens() -> Iterator[list[str]]:
    """Every host path opened through Python while the block runs."""
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(os.fspath(file) if not isinstance(file, int) else f"fd:{file}")
        return real_open(file, *args, **kwargs)

    def spy_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    builtins.open, os.open = spy_open, spy_os_open  # type: ignore[assignment]
    try:
        yield opened
    finally:
        builtins.open, os.open = real_open, real_os_open  # type: ignore[assignment]


def outside(root: Path, data: Path) -> set[str]:
    return {str(path) for path in root.rglob("*") if data not in path.parents and path != data}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_random_lines_never_crash_or_touch_the_host(tmp_path: Path) -> None:
    with emulator(tmp_path, data=True) as instance:
        node = add_node(instance)
        data = (tmp_path / "data").resolve()
        before = outside(tmp_path, data)

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        )
        @given(line=LINES, stdin=st.text(max_size=20))
        def check(line: str, stdin: str) -> None:
            session = Session(node, instance.aix)
            with host_opens() as opened:
                result = asyncio.run(session.run(line, stdin))
            assert isinstance(result, ShellResult)
            assert isinstance(result.out, str)
            assert isinstance(result.err, str)
            assert 0 <= result.status <= 255
            assert "internal error" not in result.err, (line, result.err)
            for path in opened:
                assert path.startswith("fd:") or data in Path(path).resolve().parents, path

        check()
        assert outside(tmp_path, data) == before


@given(path=PATHS)
@settings(max_examples=200, deadline=None)
def test_random_paths_stay_on_the_node(path: str) -> None:
    from powerbridge.emulator.aix.vfs import VirtualFS

    normal = VirtualFS.normalize(path, "/tmp")
    assert normal.startswith("/")
    assert ".." not in normal.split("/")
    assert "//" not in normal


ARGUMENTS = (
    st.sampled_from(
        [
            *["-a", "-c", "-d", "-e", "-f", "-g", "-i", "-k", "-l", "-n", "-p", "-q", "-r", "-s"],
            *["-t", "-u", "-v", "-w", "-x", "-E", "-F", "-L", "-M", "-R", "-1", "-5", "+2", "--"],
            *["1", "0", "-1", "2,3", "1-", "x", "a-z", "[:digit:]", ":", "%s%d%b%c", "%99999s"],
            *["s/a/b/g", "s/\\(a\\)/\\2/", "/x/d", "$p", "1,2!d", "y/ab/cd/", "q", "="],
            *["{print $1}", '$1=="a"', "NR==1", "BEGIN{x=1}", '{printf "%s", $0}', "/a/,/b/"],
            *["clcomd", "caa", "cluster", "sshd", "ssh", "cluster.es.server.rte", "bos.*"],
            *["u+x", "go-w", "755", "root:system", "/etc/hosts", "/tmp", "/nope", "..", "/"],
            *["(", ")", "!", "=", "!=", "-eq", "-o", "]", "\\", "'", "en0", "lo0"],
        ]
    )
    | PATHS
    | st.text(max_size=6)
)


def test_random_arguments_never_break_a_command(tmp_path: Path) -> None:
    from powerbridge.emulator.aix.commands.base import Invocation

    with emulator(tmp_path) as instance:
        node = add_node(instance)

        @given(name=st.sampled_from(sorted(COMMANDS)), args=st.lists(ARGUMENTS, max_size=5))
        @settings(max_examples=EXAMPLES, deadline=None)
        def check(name: str, args: list[str]) -> None:
            inv = Invocation([name, *args], node, instance.aix, "a b\nc:d\n", {"HOME": "/"}, "/")
            status = COMMANDS[name](inv)
            if asyncio.iscoroutine(status):
                status = asyncio.run(status)
            assert isinstance(status, int)
            assert 0 <= status <= 255

        check()
