"""test and [ (POSIX test over the node's files; root may read and write everything)."""

from __future__ import annotations

from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.vfs import Entry, VirtualFS

FILE_TESTS: dict[str, Callable[[Entry], bool]] = {
    "-e": lambda _entry: True,
    "-f": lambda entry: not entry.is_dir,
    "-d": lambda entry: entry.is_dir,
    "-s": lambda entry: entry.is_dir or bool(entry.data),
    "-x": lambda entry: entry.executable,
    "-r": lambda _entry: True,
    "-w": lambda _entry: True,
}
ALWAYS_FALSE = frozenset({"-L", "-h", "-b", "-c", "-p", "-S", "-u", "-g", "-k"})
STRING_TESTS: dict[str, Callable[[str], bool]] = {"-n": bool, "-z": lambda text: not text}
STRING_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
INTEGER_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "-eq": lambda a, b: a == b,
    "-ne": lambda a, b: a != b,
    "-gt": lambda a, b: a > b,
    "-ge": lambda a, b: a >= b,
    "-lt": lambda a, b: a < b,
    "-le": lambda a, b: a <= b,
}
UNARY = frozenset(FILE_TESTS) | ALWAYS_FALSE | frozenset(STRING_TESTS)
BINARY = frozenset(STRING_COMPARE) | frozenset(INTEGER_COMPARE)


class TestError(Exception):
    pass


class _Evaluator:
    def __init__(self, inv: Invocation, words: list[str]) -> None:
        self.inv = inv
        self.words = words
        self.pos = 0

    def peek(self, offset: int = 0) -> str | None:
        index = self.pos + offset
        return self.words[index] if index < len(self.words) else None

    def take(self) -> str:
        word = self.peek()
        if word is None:
            raise TestError("0403-004 Specify a parameter with this command.")
        self.pos += 1
        return word

    def either(self) -> bool:
        result = self.both()
        while self.peek() == "-o":
            self.pos += 1
            result = self.both() or result
        return result

    def both(self) -> bool:
        result = self.negation()
        while self.peek() == "-a":
            self.pos += 1
            result = self.negation() and result
        return result

    def negation(self) -> bool:
        if self.peek() == "!" and self.peek(1) is not None:
            self.pos += 1
            return not self.negation()
        return self.primary()

    def primary(self) -> bool:
        word = self.take()
        if word == "(" and self.peek(1) is not None:
            result = self.either()
            if self.take() != ")":
                raise TestError(") expected")
            return result
        following = self.peek()
        if following in BINARY and self.peek(1) is not None:
            self.pos += 1
            return self.binary(word, following, self.take())
        if word in UNARY and following is not None:
            return self.unary(word, self.take())
        return bool(word)

    def unary(self, op: str, operand: str) -> bool:
        if op in STRING_TESTS:
            return STRING_TESTS[op](operand)
        entry = self.inv.node.fs.stat(VirtualFS.normalize(operand, self.inv.cwd))
        if op in ALWAYS_FALSE or entry is None:
            return operand == "/dev/null" and op in ("-e", "-r", "-w", "-c")
        return FILE_TESTS[op](entry)

    def binary(self, left: str, op: str, right: str) -> bool:
        if op in STRING_COMPARE:
            return STRING_COMPARE[op](left, right)
        return INTEGER_COMPARE[op](self.integer(left), self.integer(right))

    def integer(self, text: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise TestError(
                f"{text}: 0403-009 The specified number is not valid for this command."
            ) from None


def test(inv: Invocation) -> int:
    words = list(inv.args)
    if inv.name == "[":
        if not words or words[-1] != "]":
            inv.err.line(f"{inv.name}: 0403-021 A ] character is missing.")
            return 2
        words.pop()
    if not words:
        return 1
    evaluator = _Evaluator(inv, words)
    try:
        result = evaluator.either()
        if evaluator.peek() is not None:
            raise TestError(f"{evaluator.peek()}: 0403-012 A test command parameter is not valid.")
    except TestError as error:
        inv.err.line(f"ksh: {error}")
        return 2
    return 0 if result else 1


COMMANDS: dict[str, Command] = {"test": test, "[": test}
