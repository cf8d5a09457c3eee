"""Word expansion: quotes, `\\` escapes, `$VAR`, `${VAR}` (with `:-`, `:=`, `:+`, `#`, `%`),
`$?`, `$#`, `$@`, `$1`..., `$(...)`, backticks, `$((...))`, `~`, field splitting of unquoted
expansions and file name patterns over the node's file system."""

from __future__ import annotations

import ast
import fnmatch
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from powerbridge.emulator.aix.vfs import VirtualFS

GLOB_CHARS = frozenset("*?[")
DOUBLE_QUOTE_ESCAPES = frozenset('$`"\\\n')
MAX_WORD = 4 * 1024 * 1024  # characters one expansion may produce (x=$x$x in a loop)


class BadSubstitution(Exception):
    """ksh: `${...}: 0403-011 The specified substitution is not valid for this command.`"""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"{text}: 0403-011 The specified substitution is not valid for this command."
        )


@dataclass
class Context:
    """What expansion reads: variables and positional parameters, and a way to run `$(...)`."""

    lookup: Callable[[str], str | None]
    assign: Callable[[str, str], None]
    positional: list[str]
    substitute: Callable[[str], Awaitable[str]]
    fs: VirtualFS
    cwd: str


@dataclass
class _Field:
    """One word being built: its pieces, and where unquoted pattern characters are."""

    text: list[str] = field(default_factory=list)
    quoted: bool = False  # something quoted was in it: it survives even when empty
    pattern: bool = False  # an unquoted * ? [ is in it
    empty_at: bool = False  # a "$@" with no parameters: no word at all, even though quoted


@dataclass
class _Expander:
    raw: str
    ctx: Context
    split: bool
    fields: list[_Field] = field(default_factory=lambda: [_Field()])
    pos: int = 0
    size: int = 0

    @property
    def current(self) -> _Field:
        return self.fields[-1]

    def literal(self, text: str, *, quoted: bool) -> None:
        self.current.text.append(text)
        if quoted:
            self.current.quoted = True
        elif GLOB_CHARS & set(text):
            self.current.pattern = True

    def expanded(self, text: str, *, quoted: bool) -> None:
        """The value of an expansion: unquoted, it is split into fields on blanks."""
        self.size += len(text)
        if self.size > MAX_WORD:
            raise BadSubstitution(f"word longer than {MAX_WORD} characters (emulator limit)")
        if quoted or not self.split:
            self.current.text.append(text)
            self.current.quoted = self.current.quoted or quoted
            return
        pieces = text.replace("\t", " ").replace("\n", " ").split(" ")
        for index, piece in enumerate(pieces):
            if index and (self.current.text or self.current.quoted):
                self.fields.append(_Field())
            if piece:
                self.current.text.append(piece)
                self.current.pattern = self.current.pattern or bool(GLOB_CHARS & set(piece))

    async def run(self) -> None:
        raw = self.raw
        if raw.startswith("~") and (len(raw) == 1 or raw[1] == "/"):
            self.literal(self.ctx.lookup("HOME") or "/", quoted=True)
            self.pos = 1
        while self.pos < len(raw):
            char = raw[self.pos]
            if char == "\\":
                self.literal(raw[self.pos + 1 : self.pos + 2], quoted=True)
                self.pos += 2
            elif char == "'":
                end = _quote_end(raw, self.pos)
                self.literal(raw[self.pos + 1 : end], quoted=True)
                self.pos = end + 1
            elif char == '"':
                await self.double_quoted()
            elif char in "$`":
                await self.dollar_or_backtick(quoted=False)
            else:
                self.literal(char, quoted=False)
                self.pos += 1

    async def double_quoted(self) -> None:
        raw = self.raw
        self.pos += 1
        self.current.quoted = True
        while self.pos < len(raw) and raw[self.pos] != '"':
            char = raw[self.pos]
            if char == "\\" and raw[self.pos + 1 : self.pos + 2] in DOUBLE_QUOTE_ESCAPES:
                self.literal(raw[self.pos + 1], quoted=True)
                self.pos += 2
            elif char in "$`":
                await self.dollar_or_backtick(quoted=True)
            else:
                self.literal(char, quoted=True)
                self.pos += 1
        self.pos += 1

    async def dollar_or_backtick(self, *, quoted: bool) -> None:
        raw, start = self.raw, self.pos
        if raw[start] == "`":
            end = _backtick_end(raw, start)
            inner = _unescape_backticks(raw[start + 1 : end])
            self.pos = end + 1
            self.expanded(_strip_newlines(await self.ctx.substitute(inner)), quoted=quoted)
            return
        following = raw[start + 1 : start + 2]
        if raw.startswith("$((", start):
            end = _paren_end(raw, start + 1)
            self.pos = end + 1
            inner = await expand_string(raw[start + 3 : end - 1], self.ctx)
            self.expanded(str(arithmetic(inner, self.ctx.lookup)), quoted=quoted)
        elif following == "(":
            end = _paren_end(raw, start + 1)
            self.pos = end + 1
            output = await self.ctx.substitute(raw[start + 2 : end])
            self.expanded(_strip_newlines(output), quoted=quoted)
        elif following == "{":
            end = raw.find("}", start)
            if end < 0:
                raise BadSubstitution(raw[start:])
            self.pos = end + 1
            if raw[start + 2 : end] == "@" and quoted:
                self.positional_fields()
                return
            self.expanded(await self.braced(raw[start + 2 : end]), quoted=quoted)
        else:
            self.simple_parameter(quoted=quoted)

    def simple_parameter(self, *, quoted: bool) -> None:
        raw, start = self.raw, self.pos + 1
        name = _parameter_name(raw, start)
        if not name:
            self.literal("$", quoted=True)
            self.pos += 1
            return
        self.pos = start + len(name)
        if name == "@" and quoted:
            self.positional_fields()
            return
        self.expanded(self.parameter(name), quoted=quoted)

    def positional_fields(self) -> None:
        if len(self.ctx.positional) < 2:
            self.current.empty_at = True
        for index, value in enumerate(self.ctx.positional[1:]):
            if index:
                self.fields.append(_Field(quoted=True))
            self.current.text.append(value)

    def parameter(self, name: str) -> str:
        positional = self.ctx.positional
        if name in ("@", "*"):
            return " ".join(positional[1:])
        if name == "#":
            return str(len(positional) - 1)
        if name.isdecimal():
            index = int(name)
            return positional[index] if index < len(positional) else ""
        return self.ctx.lookup(name) or ""

    async def braced(self, body: str) -> str:
        if body.startswith("#") and len(body) > 1:
            return str(len(self.parameter(body[1:])))
        name = _parameter_name(body, 0)
        rest = body[len(name) :]
        if not name or (rest and rest[0] not in ":-=+%#?"):
            raise BadSubstitution("${" + body + "}")
        value = self.parameter(name) if name else ""
        if not rest:
            return value
        return await self.modifier(name, value, rest)

    async def modifier(self, name: str, value: str, rest: str) -> str:
        colon = rest.startswith(":")
        op = rest[1:2] if colon else rest[0]
        word = rest[2:] if colon else rest[1:]
        is_set = self.ctx.lookup(name) is not None or (name.isdecimal() and value != "")
        missing = not is_set or (colon and value == "")
        if op == "-":
            return await expand_string(word, self.ctx) if missing else value
        if op == "=":
            if missing:
                value = await expand_string(word, self.ctx)
                self.ctx.assign(name, value)
            return value
        if op == "+":
            return "" if missing else await expand_string(word, self.ctx)
        if op in "%#" and not colon:
            return _remove_pattern(value, op, word.lstrip(op), longest=word.startswith(op))
        raise BadSubstitution("${" + name + rest + "}")

    def results(self) -> list[str]:
        words: list[str] = []
        for built in self.fields:
            text = "".join(built.text)
            if not text and (not built.quoted or built.empty_at):
                continue
            if built.pattern and self.split:
                words.extend(glob(self.ctx.fs, text, self.ctx.cwd) or [text])
            else:
                words.append(text)
        return words


async def expand_words(raws: list[str], ctx: Context) -> list[str]:
    """Every word expanded and split into the fields a command receives."""
    words: list[str] = []
    for raw in raws:
        expander = _Expander(raw, ctx, split=True)
        await expander.run()
        words.extend(expander.results())
    return words


async def expand_string(raw: str, ctx: Context) -> str:
    """One word expanded without splitting or patterns (assignments, redirection targets)."""
    expander = _Expander(raw, ctx, split=False)
    await expander.run()
    return "".join("".join(built.text) for built in expander.fields)


async def expand_heredoc(body: str, ctx: Context) -> str:
    """A here-document body: `$`, backticks and `\\$ \\` \\\\` work; quotes are plain text."""
    out: list[str] = []
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char == "\\" and body[pos + 1 : pos + 2] in ("$", "`", "\\", "\n"):
            out.append("" if body[pos + 1] == "\n" else body[pos + 1])
            pos += 2
        elif char in "$`":
            expander = _Expander(body, ctx, split=False, pos=pos)
            await expander.dollar_or_backtick(quoted=True)
            out.append("".join(expander.current.text))
            pos = expander.pos
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def glob(fs: VirtualFS, pattern: str, cwd: str) -> list[str]:
    """The paths a pattern names on the node, sorted; [] when none."""
    absolute = pattern.startswith("/")
    parts = [part for part in pattern.split("/") if part]
    candidates = ["/" if absolute else ""]
    for part in parts:
        found: list[str] = []
        for base in candidates:
            where = VirtualFS.normalize(base or ".", cwd)
            if not GLOB_CHARS & set(part):
                if fs.exists(VirtualFS.normalize(part, where)):
                    found.append(_join(base, part))
                continue
            if not fs.is_dir(where):
                continue
            names = [n for n in fs.listdir(where) if part.startswith(".") or not n.startswith(".")]
            found.extend(_join(base, name) for name in names if fnmatch.fnmatchcase(name, part))
        candidates = found
    return sorted(candidates) if parts else []


def _join(base: str, name: str) -> str:
    if not base:
        return name
    return base.rstrip("/") + "/" + name


def _parameter_name(text: str, start: int) -> str:
    if start >= len(text):
        return ""
    char = text[start]
    if char in "?#@*!$-" or char.isdecimal():
        return char
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    name = text[start:end]
    return name if name and not name[0].isdecimal() else ""


def _remove_pattern(value: str, op: str, pattern: str, *, longest: bool) -> str:
    cuts = range(len(value) + 1)
    order = list(reversed(cuts)) if longest == (op == "#") else list(cuts)
    for cut in order:
        if op == "#" and fnmatch.fnmatchcase(value[:cut], pattern):
            return value[cut:]
        if op == "%" and fnmatch.fnmatchcase(value[cut:], pattern):
            return value[:cut]
    return value


def _paren_end(raw: str, start: int) -> int:
    """The index of the `)` closing the `(` at `start` (the lexer checked it exists)."""
    depth, pos = 0, start
    while pos < len(raw):
        char = raw[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "'":
            pos = _quote_end(raw, pos) + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    raise BadSubstitution(raw[start:])


def _quote_end(raw: str, start: int) -> int:
    """The closing `'` of the quote at `start`; the end of the text when a `${...}` cut the
    quote in two (`${x:-'}`), which then runs to the end as ksh reads it."""
    end = raw.find("'", start + 1)
    return end if end >= 0 else len(raw)


def _backtick_end(raw: str, start: int) -> int:
    pos = start + 1
    while pos < len(raw):
        if raw[pos] == "\\":
            pos += 2
            continue
        if raw[pos] == "`":
            return pos
        pos += 1
    raise BadSubstitution(raw[start:])


def _unescape_backticks(inner: str) -> str:
    return inner.replace("\\`", "`").replace("\\$", "$").replace("\\\\", "\\")


def _strip_newlines(text: str) -> str:
    return text.rstrip("\n")


def _divide(left: int, right: int) -> int:
    if not right:
        raise ValueError("divide by zero")
    return int(left / right)  # C division: toward zero, as ksh does


def _modulo(left: int, right: int) -> int:
    return left - right * _divide(left, right)


_BINARY: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: _modulo,
    ast.FloorDiv: _divide,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def arithmetic(text: str, lookup: Callable[[str], str | None]) -> int:
    """`$((...))` over integers: + - * / % comparisons and variable names."""
    source = text.replace("/", "//").replace("&&", " and ").replace("||", " or ")
    try:
        tree = ast.parse(source.strip() or "0", mode="eval")
        return _evaluate(tree.body, lookup)
    except (SyntaxError, ValueError, RecursionError):
        raise BadSubstitution(text) from None


def _evaluate(node: ast.expr, lookup: Callable[[str], str | None]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return int(node.value)
    if isinstance(node, ast.Name):
        value = (lookup(node.id) or "0").strip()
        return int(value) if value.lstrip("-").isdecimal() else 0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        operand = _evaluate(node.operand, lookup)
        return {ast.USub: -operand, ast.UAdd: operand}.get(type(node.op), int(not operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left, lookup), _evaluate(node.right, lookup)
        if abs(left) > 1 << 63 or abs(right) > 1 << 63:
            raise ValueError("out of range")
        return int(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        left, right = _evaluate(node.left, lookup), _evaluate(node.comparators[0], lookup)
        return int(_COMPARE[type(node.ops[0])](left, right))
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(value, lookup) for value in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    raise ValueError("not arithmetic")
