"""The shell's lexer: a command line (or a whole script) into words, operators and
redirections, here-document bodies attached to their redirection.

Words keep their raw text (quotes, `$(...)`, backticks and all): quoting matters only when a
word is expanded, which happens when it runs (see `expand`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORD, OP, REDIR, NEWLINE, EOF = "word", "op", "redir", "newline", "eof"
METACHARS = frozenset(" \t\n;&|<>()")
OPERATORS = ("&&", "||", ";;", ";", "&", "|", "(", ")")
REDIRECTIONS = ("<<-", "<<", ">>", ">&", "<&", ">|", ">", "<")


class ShellSyntaxError(Exception):
    """ksh's `0403-057 Syntax error at line N : `X' is not expected.` (or `is not matched`)."""

    def __init__(self, line: int, token: str, problem: str = "is not expected") -> None:
        super().__init__(f"0403-057 Syntax error at line {line} : `{token}' {problem}.")
        self.line = line
        self.token = token
        self.problem = problem


@dataclass
class HereDoc:
    delimiter: str
    expand: bool  # an unquoted delimiter: `$VAR`, `$(...)` and `\` work in the body
    strip_tabs: bool  # `<<-`
    body: str = ""


@dataclass
class Token:
    kind: str
    value: str
    line: int
    quoted: bool = False  # the word has a quote or backslash somewhere (no reserved word)
    fd: int | None = None  # a redirection's explicit descriptor (`2>`)
    heredoc: HereDoc | None = None


@dataclass
class _Lexer:
    text: str
    pos: int = 0
    line: int = 1
    tokens: list[Token] = field(default_factory=list)
    pending: list[HereDoc] = field(default_factory=list)

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def run(self) -> list[Token]:
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t":
                self.pos += 1
            elif char == "\\" and self.peek(1) == "\n":
                self.pos += 2
                self.line += 1
            elif char == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.pos += 1
            elif char == "\n":
                self.pos += 1
                self.tokens.append(Token(NEWLINE, "\n", self.line))
                self.line += 1
                self._read_heredocs()
            elif char in "<>" or (char.isdecimal() and self._io_number()):
                self._redirection()
            elif char in ";&|()":
                self._operator()
            else:
                self._word()
        if self.pending:
            self._read_heredocs()
        self.tokens.append(Token(EOF, "", self.line))
        return self.tokens

    def _io_number(self) -> bool:
        end = self.pos
        while end < len(self.text) and self.text[end].isdecimal():
            end += 1
        return end < len(self.text) and self.text[end] in "<>"

    def _operator(self) -> None:
        for op in OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                self.tokens.append(Token(OP, op, self.line))
                return

    def _redirection(self) -> None:
        start = self.pos
        while self.peek().isdecimal():
            self.pos += 1
        fd = int(self.text[start : self.pos]) if self.pos > start else None
        op = next(op for op in REDIRECTIONS if self.text.startswith(op, self.pos))
        self.pos += len(op)
        token = Token(REDIR, op, self.line, fd=fd)
        self.tokens.append(token)
        if op.startswith("<<"):
            while self.peek() in (" ", "\t"):
                self.pos += 1
            if not self.peek() or self.peek() in METACHARS:
                raise ShellSyntaxError(self.line, self.peek() or "newline")
            delimiter = self._word(emit=False)
            heredoc = HereDoc(
                _unquote(delimiter.value), not delimiter.quoted, strip_tabs=op == "<<-"
            )
            token.heredoc = heredoc
            self.pending.append(heredoc)

    def _word(self, *, emit: bool = True) -> Token:
        start, line, quoted = self.pos, self.line, False
        while self.pos < len(self.text) and self.peek() not in METACHARS:
            char = self.peek()
            if char == "\\":
                quoted = True
                self.pos += 2
            elif char == "'":
                quoted = True
                self._skip_to("'", start_line=self.line)
            elif char == '"':
                quoted = True
                self._skip_double_quoted()
            elif char == "`":
                self._skip_backticks()
            elif char == "$" and self.peek(1) == "(":
                self.pos += 1
                self._skip_parens()
            elif char == "$" and self.peek(1) == "{":
                self.pos += 1
                self._skip_to("}", start_line=self.line)
            else:
                self.pos += 1
        token = Token(WORD, self.text[start : self.pos], line, quoted=quoted)
        self.line += token.value.count("\n")
        if emit:
            self.tokens.append(token)
        return token

    def _skip_to(self, closing: str, *, start_line: int) -> None:
        end = self.text.find(closing, self.pos + 1)
        if end < 0:
            raise ShellSyntaxError(start_line, self.text[self.pos], "is not matched")
        self.pos = end + 1

    def _skip_double_quoted(self) -> None:
        self.pos += 1
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\":
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return
            elif char == "`":
                self._skip_backticks()
            elif char == "$" and self.peek(1) == "(":
                self.pos += 1
                self._skip_parens()
            else:
                self.pos += 1
        raise ShellSyntaxError(self.line, '"', "is not matched")

    def _skip_backticks(self) -> None:
        self.pos += 1
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\":
                self.pos += 2
            elif char == "`":
                self.pos += 1
                return
            else:
                self.pos += 1
        raise ShellSyntaxError(self.line, "`", "is not matched")

    def _skip_parens(self) -> None:
        """From a `(` to its `)`, over quotes and nested parentheses."""
        depth = 0
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\":
                self.pos += 2
                continue
            if char == "'":
                self._skip_to("'", start_line=self.line)
                continue
            if char == '"':
                self._skip_double_quoted()
                continue
            self.pos += 1
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return
        raise ShellSyntaxError(self.line, "(", "is not matched")

    def _read_heredocs(self) -> None:
        for heredoc in self.pending:
            lines: list[str] = []
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                raw = self.text[self.pos : end]
                self.pos = min(end + 1, len(self.text))
                self.line += 1
                text = raw.lstrip("\t") if heredoc.strip_tabs else raw
                if text == heredoc.delimiter:
                    break
                lines.append(text + "\n")
            heredoc.body = "".join(lines)
        self.pending = []


def _unquote(raw: str) -> str:
    """A here-document delimiter as written, its quotes removed."""
    out: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            out.append(raw[index + 1])
            index += 2
            continue
        if char not in "'\"":
            out.append(char)
        index += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    return _Lexer(text).run()
