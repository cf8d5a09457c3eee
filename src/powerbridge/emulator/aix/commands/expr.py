"""expr, as old ksh scripts use it: integer arithmetic, comparisons, `|`, `&` and `STRING :
REGEX` (a basic expression anchored at the start: the matched length, or the `\\(...\\)`
group). Exit status 0 for a non-null, non-zero result, 1 otherwise, 2 for a bad expression."""

from __future__ import annotations

import re
from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.regex import RegexError, compile_posix

INTEGER = re.compile(r"^-?\d+$")
COMPARISONS: dict[str, Callable[[object, object], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


class ExprError(Exception):
    pass


class _Expr:
    """Precedence, lowest first: `|`, `&`, comparisons, `+ -`, `* / %`, `:`."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.pos = 0

    def peek(self) -> str | None:
        return self.words[self.pos] if self.pos < len(self.words) else None

    def take(self) -> str:
        word = self.peek()
        if word is None:
            raise ExprError("0509-033 Syntax error.")
        self.pos += 1
        return word

    def either(self) -> str:
        left = self.both()
        while self.peek() == "|":
            self.pos += 1
            right = self.both()
            left = left if _true(left) else right if _true(right) else "0"
        return left

    def both(self) -> str:
        left = self.compare()
        while self.peek() == "&":
            self.pos += 1
            right = self.compare()
            left = left if _true(left) and _true(right) else "0"
        return left

    def compare(self) -> str:
        left = self.additive()
        while self.peek() in COMPARISONS:
            op = self.take()
            right = self.additive()
            both_numbers = INTEGER.match(left) and INTEGER.match(right)
            pair = (int(left), int(right)) if both_numbers else (left, right)
            left = "1" if COMPARISONS[op](*pair) else "0"
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.multiplicative()
            a, b = _integer(left), _integer(right)
            left = str(a + b if op == "+" else a - b)
        return left

    def multiplicative(self) -> str:
        left = self.match()
        while self.peek() in ("*", "/", "%"):
            op = self.take()
            right = self.match()
            a, b = _integer(left), _integer(right)
            if op != "*" and b == 0:
                raise ExprError("0509-034 Division by zero.")
            quotient = int(a / b) if op != "*" else 0
            left = str(a * b if op == "*" else quotient if op == "/" else a - b * quotient)
        return left

    def match(self) -> str:
        left = self.primary()
        while self.peek() == ":":
            self.pos += 1
            try:
                pattern = compile_posix(self.primary(), extended=False)
            except RegexError:
                raise ExprError("0509-033 Syntax error.") from None
            found = pattern.match(left)
            if pattern.groups:
                left = found.group(1) or "" if found else ""
            else:
                left = str(found.end() if found else 0)
        return left

    def primary(self) -> str:
        word = self.take()
        if word == "(":
            inner = self.either()
            if self.take() != ")":
                raise ExprError("0509-033 Syntax error.")
            return inner
        return word


def _integer(text: str) -> int:
    if not INTEGER.match(text):
        raise ExprError("0509-032 A non-numeric argument is not valid.")
    return int(text)


def _true(text: str) -> bool:
    return text not in ("", "0")


def expr(inv: Invocation) -> int:
    if not inv.args:
        inv.err.line("Usage: expr Expression")
        return 2
    parser = _Expr(list(inv.args))
    try:
        result = parser.either()
        if parser.peek() is not None:
            raise ExprError("0509-033 Syntax error.")
    except ExprError as error:
        inv.err.line(f"expr: {error}")
        return 2
    inv.out.line(result)
    return 0 if _true(result) else 1


COMMANDS: dict[str, Command] = {"expr": expr}
