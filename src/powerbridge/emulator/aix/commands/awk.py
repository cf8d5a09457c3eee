"""awk, a small subset: `-F`, `-v`, BEGIN/END, patterns (`/re/`, `$2=="none"`, `NR==1`,
`&&`, `||`, `!`, `~`), actions with print, printf, assignments, if/else and next; fields,
NR, NF, FS, OFS, and length/substr/index/tolower/toupper. Programs outside it are refused
with a syntax error (exit 2), never guessed at."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.fsutil import path_of
from powerbridge.emulator.aix.commands.printing import escapes, format_once
from powerbridge.emulator.aix.commands.regex import RegexError, compile_posix
from powerbridge.emulator.aix.vfs import FsError

Value = str | float
TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?)|(?P<string>\"(?:\\.|[^\"\\])*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||!~|\+=|-=|[-+*/%<>!~=(){};,$\n]))"
)
OPERAND_END = {"number", "string", "name", ")", "$field"}
MAX_STEPS = 1_000_000


class AwkError(Exception):
    pass


class NextRecord(Exception):
    pass


class ExitProgram(Exception):
    pass


@dataclass
class State:
    variables: dict[str, Value] = field(default_factory=dict)
    fields: list[str] = field(default_factory=lambda: [""])
    out: list[str] = field(default_factory=list)
    steps: int = 0

    def split(self, line: str) -> None:
        separator = str(self.variables.get("FS", " "))
        if separator == " ":
            parts = line.split()
        elif len(separator) == 1 and separator != "\\":
            parts = line.split(separator) if line else []
        else:
            parts = re.split(separator, line) if line else []
        self.fields = [line, *parts]
        self.variables["NF"] = float(len(parts))


Expr = Callable[[State], Value]
Statement = Callable[[State], None]


def number(value: Value) -> float:
    if isinstance(value, float):
        return value
    match = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value)
    return float(match.group(0)) if match else 0.0


def text(value: Value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return value


def _numeric_string(value: Value) -> bool:
    return (
        isinstance(value, float) or re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*", value) is not None
    )


def tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        if source[pos] in " \t":
            pos += 1
            continue
        if source[pos] == "/" and (not tokens or tokens[-1][0] not in OPERAND_END):
            end = pos + 1
            while end < len(source) and source[end] != "/":
                end += 2 if source[end] == "\\" else 1
            if end >= len(source):
                raise AwkError("unterminated regular expression")
            tokens.append(("regex", source[pos + 1 : end]))
            pos = end + 1
            continue
        match = TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise AwkError(f"syntax error near {source[pos : pos + 10]!r}")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "op":
            kind = value
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else "eof"

    def take(self, expected: str | None = None) -> str:
        kind = self.peek()
        if expected is not None and kind != expected:
            raise AwkError(f"syntax error: expected {expected!r}, found {kind!r}")
        if kind == "eof":
            raise AwkError("syntax error: unexpected end of program")
        value = self.tokens[self.pos][1]
        self.pos += 1
        return value

    def skip_terminators(self) -> None:
        while self.peek() in ("\n", ";"):
            self.pos += 1

    # -- program -------------------------------------------------------------------------
    def program(
        self,
    ) -> tuple[list[Statement], list[tuple[Expr | None, Statement]], list[Statement]]:
        begin: list[Statement] = []
        end: list[Statement] = []
        rules: list[tuple[Expr | None, Statement]] = []
        self.skip_terminators()
        while self.peek() != "eof":
            if self.peek() == "name" and self.tokens[self.pos][1] in ("BEGIN", "END"):
                which = begin if self.take() == "BEGIN" else end
                which.append(self.block())
            else:
                pattern = None if self.peek() == "{" else self.expression()
                action = self.block() if self.peek() == "{" else _print_record
                rules.append((pattern, action))
            self.skip_terminators()
        return begin, rules, end

    def block(self) -> Statement:
        self.take("{")
        statements: list[Statement] = []
        self.skip_terminators()
        while self.peek() != "}":
            statements.append(self.statement())
            self.skip_terminators()
        self.take("}")

        def run(state: State) -> None:
            for statement in statements:
                statement(state)

        return run

    def statement(self) -> Statement:
        kind = self.peek()
        word = self.tokens[self.pos][1] if kind == "name" else ""
        if kind == "{":
            return self.block()
        if word in ("print", "printf"):
            self.take()
            return self.print_statement(formatted=word == "printf")
        if word == "next":
            self.take()
            return _raise(NextRecord)
        if word == "exit":
            self.take()
            return _raise(ExitProgram)
        if word == "if":
            return self.if_statement()
        if (
            kind == "name"
            and self.tokens[self.pos + 1 : self.pos + 2]
            and self.tokens[self.pos + 1][0] in ("=", "+=", "-=")
        ):
            return self.assignment()
        expr = self.expression()

        def evaluate(state: State) -> None:
            expr(state)

        return evaluate

    def assignment(self) -> Statement:
        name, op = self.take(), self.take()
        expr = self.expression()

        def assign(state: State) -> None:
            value = expr(state)
            if op != "=":
                sign = 1 if op == "+=" else -1
                value = number(state.variables.get(name, 0.0)) + sign * number(value)
            state.variables[name] = value

        return assign

    def if_statement(self) -> Statement:
        self.take()
        self.take("(")
        condition = self.expression()
        self.take(")")
        self.skip_terminators()
        then = self.statement()
        otherwise: Statement | None = None
        saved = self.pos
        self.skip_terminators()
        if self.peek() == "name" and self.tokens[self.pos][1] == "else":
            self.take()
            self.skip_terminators()
            otherwise = self.statement()
        else:
            self.pos = saved

        def run(state: State) -> None:
            if _truth(condition(state)):
                then(state)
            elif otherwise is not None:
                otherwise(state)

        return run

    def print_statement(self, *, formatted: bool) -> Statement:
        items: list[Expr] = []
        if self.peek() not in (";", "\n", "}", "eof"):
            items.append(self.expression())
            while self.peek() == ",":
                self.take()
                items.append(self.expression())
        if formatted:
            if not items:
                raise AwkError("printf: no format")
            return lambda state: state.out.append(_format(state, items))

        def run(state: State) -> None:
            separator = text(state.variables.get("OFS", " "))
            values = [text(item(state)) for item in items] if items else [state.fields[0]]
            state.out.append(separator.join(values) + "\n")

        return run

    # -- expressions ---------------------------------------------------------------------
    def expression(self) -> Expr:
        return self.binary_level(0)

    LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("~", "!~"),
        ("==", "!=", "<", "<=", ">", ">="),
    )

    def binary_level(self, level: int) -> Expr:
        if level == len(self.LEVELS):
            return self.concatenation()
        left = self.binary_level(level + 1)
        while self.peek() in self.LEVELS[level]:
            op = self.take()
            if op in ("~", "!~") and self.peek() == "regex":
                right = _literal(self.take())  # `$1 ~ /re/`: the expression, not a match
            else:
                right = self.binary_level(level + 1)
            left = _binary(op, left, right)
        return left

    def concatenation(self) -> Expr:
        parts = [self.additive()]
        while self.peek() in ("number", "string", "name", "$", "(", "!", "regex") and not (
            self.peek() == "name" and self.tokens[self.pos][1] in ("else",)
        ):
            parts.append(self.additive())
        if len(parts) == 1:
            return parts[0]
        return lambda state: "".join(text(part(state)) for part in parts)

    def additive(self) -> Expr:
        left = self.multiplicative()
        while self.peek() in ("+", "-"):
            op = self.take()
            right = self.multiplicative()
            left = _arithmetic(op, left, right)
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while self.peek() in ("*", "/", "%"):
            op = self.take()
            right = self.unary()
            left = _arithmetic(op, left, right)
        return left

    def unary(self) -> Expr:
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            return lambda state: 0.0 if _truth(inner(state)) else 1.0
        if self.peek() == "-":
            self.take()
            inner = self.unary()
            return lambda state: -number(inner(state))
        return self.primary()

    def primary(self) -> Expr:
        kind = self.peek()
        value = self.take()
        if kind == "number":
            constant = float(value)
            return lambda _state: constant
        if kind == "string":
            literal = escapes(value[1:-1].replace('\\"', '"'))[0]
            return lambda _state: literal
        if kind == "regex":
            pattern = _compile(value)
            return lambda state: 1.0 if pattern.search(state.fields[0]) else 0.0
        if kind == "$":
            index = self.primary()
            return lambda state: _field(state, index(state))
        if kind == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "name":
            if self.peek() == "(" and value in FUNCTIONS:
                return self.call(value)
            return lambda state: state.variables.get(value, "")
        raise AwkError(f"syntax error near {value!r}")

    def call(self, name: str) -> Expr:
        self.take("(")
        args: list[Expr] = []
        while self.peek() != ")":
            args.append(self.expression())
            if self.peek() == ",":
                self.take()
        self.take(")")
        function = FUNCTIONS[name]
        return lambda state: function(state, [arg(state) for arg in args])


def _literal(value: Value) -> Expr:
    return lambda _state: value


def _compile(source: str) -> re.Pattern[str]:
    try:
        return compile_posix(source, extended=True)
    except RegexError:
        raise AwkError(f"regular expression {source} is not valid") from None


def _raise(kind: type[Exception]) -> Statement:
    def run(_state: State) -> None:
        raise kind()

    return run


def _print_record(state: State) -> None:
    state.out.append(state.fields[0] + "\n")


def _truth(value: Value) -> bool:
    return (
        bool(value)
        if isinstance(value, float)
        else value != "" and not (_numeric_string(value) and number(value) == 0)
    )


def _field(state: State, index: Value) -> str:
    position = int(number(index))
    if position < 0:
        raise AwkError(f"trying to access out of range field {position}")
    return state.fields[position] if position < len(state.fields) else ""


def _binary(op: str, left: Expr, right: Expr) -> Expr:
    if op == "&&":
        return lambda state: 1.0 if _truth(left(state)) and _truth(right(state)) else 0.0
    if op == "||":
        return lambda state: 1.0 if _truth(left(state)) or _truth(right(state)) else 0.0
    if op in ("~", "!~"):

        def match(state: State) -> Value:
            found = _compile(text(right(state))).search(text(left(state))) is not None
            return 1.0 if found == (op == "~") else 0.0

        return match

    def compare(state: State) -> Value:
        a, b = left(state), right(state)
        pair: tuple[Value, Value] = (
            (number(a), number(b))
            if _numeric_string(a) and _numeric_string(b)
            else (text(a), text(b))
        )
        result = {
            "==": pair[0] == pair[1],
            "!=": pair[0] != pair[1],
            "<": pair[0] < pair[1],  # type: ignore[operator]
            "<=": pair[0] <= pair[1],  # type: ignore[operator]
            ">": pair[0] > pair[1],  # type: ignore[operator]
            ">=": pair[0] >= pair[1],  # type: ignore[operator]
        }[op]
        return 1.0 if result else 0.0

    return compare


def _arithmetic(op: str, left: Expr, right: Expr) -> Expr:
    def run(state: State) -> Value:
        a, b = number(left(state)), number(right(state))
        if op in "/%" and b == 0:
            raise AwkError("division by zero")
        return {
            "+": a + b,
            "-": a - b,
            "*": a * b,
            "/": a / b if b else 0.0,
            "%": a % b if b else 0.0,
        }[op]

    return run


def _format(state: State, items: list[Expr]) -> str:
    values = [text(item(state)) for item in items]
    return format_once(escapes(values[0])[0], values[1:], lambda _complaint: None)[0]


FUNCTIONS: dict[str, Callable[[State, list[Value]], Value]] = {
    "length": lambda state, args: float(len(text(args[0]) if args else state.fields[0])),
    "substr": lambda _state, args: _substr(args),
    "index": lambda _state, args: (
        float(text(args[0]).find(text(args[1])) + 1) if len(args) > 1 else 0.0
    ),
    "tolower": lambda _state, args: text(args[0]).lower() if args else "",
    "toupper": lambda _state, args: text(args[0]).upper() if args else "",
}


def _substr(args: list[Value]) -> Value:
    if len(args) < 2:
        return ""
    source = text(args[0])
    start = max(int(number(args[1])), 1)
    length = int(number(args[2])) if len(args) > 2 else len(source)
    return source[start - 1 : start - 1 + max(length - max(1 - int(number(args[1])), 0), 0)]


def _options(inv: Invocation) -> tuple[dict[str, Value], str, list[str]] | None:
    args = list(inv.args)
    variables: dict[str, Value] = {"FS": " ", "OFS": " ", "NR": 0.0, "NF": 0.0}
    source: str | None = None
    while args and args[0].startswith("-") and len(args[0]) > 1:
        arg = args.pop(0)
        if arg.startswith("-F"):
            separator = arg[2:] or (args.pop(0) if args else " ")
            variables["FS"] = "\t" if separator in ("t", "\\t") else separator
        elif arg == "-v" and args:
            name, _eq, value = args.pop(0).partition("=")
            variables[name] = value
        elif arg == "-f" and args:
            path = args.pop(0)
            try:
                source = inv.node.fs.read_text(path_of(inv, path))
            except FsError:
                inv.err.line(f"awk: 0602-533 Cannot find or open file {path}.")
                return None
        else:
            inv.err.line(f"awk: Not a recognized flag: {arg[1:]}")
            return None
    if source is None:
        if not args:
            inv.err.line("Usage: awk [-u] [-F Character][-v Variable=Value][-f File|Commands]")
            return None
        source = args.pop(0)
    return variables, source, args


def awk(inv: Invocation) -> int:
    options = _options(inv)
    if options is None:
        return 2
    variables, source, paths = options
    try:
        begin, rules, end = _Parser(tokenize(source)).program()
    except (AwkError, RecursionError) as error:
        inv.err.line(f"awk: 0602-500 {error}")
        inv.err.line(" The source line number is 1.")
        return 2
    state = State(dict(variables))
    from powerbridge.emulator.aix.commands.text import read_inputs

    inputs = read_inputs(inv, paths, "awk: 0602-533 Cannot find or open file {path}.")
    if inputs is None:
        return 2
    try:
        _run(state, begin, rules, end, "".join(body for _name, body in inputs))
    except AwkError as error:
        inv.out.write("".join(state.out))
        inv.err.line(f"awk: {error}")
        return 2
    inv.out.write("".join(state.out))
    return 0


def _run(
    state: State,
    begin: list[Statement],
    rules: list[tuple[Expr | None, Statement]],
    end: list[Statement],
    body: str,
) -> None:
    try:
        for statement in begin:
            statement(state)
        for line in body.splitlines():
            state.variables["NR"] = number(state.variables.get("NR", 0.0)) + 1
            state.split(line)
            try:
                for pattern, action in rules:
                    if pattern is None or _truth(pattern(state)):
                        action(state)
            except NextRecord:
                continue
    except ExitProgram:
        pass
    for statement in end:
        try:
            statement(state)
        except (ExitProgram, NextRecord):
            break


COMMANDS: dict[str, Command] = {"awk": awk, "nawk": awk}
