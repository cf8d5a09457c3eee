"""A recursive-descent parser for the ksh subset the nodes speak (hand-written: bashlex, the
kept Python bash parser, is GPLv3+, which the Apache-2.0 powerbridge must not depend on)."""

from __future__ import annotations

import re

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
from powerbridge.emulator.aix.shell.lexer import (
    EOF,
    NEWLINE,
    OP,
    REDIR,
    WORD,
    ShellSyntaxError,
    Token,
    tokenize,
)

ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = frozenset(
    [
        "if",
        "then",
        "elif",
        "else",
        "fi",
        "for",
        "in",
        "do",
        "done",
        "while",
        "until",
        "case",
        "esac",
        "{",
        "}",
        "!",
        "function",
    ]
)
# words that end a list: the parser stops there and the enclosing construct checks them
TERMINATORS = frozenset(["then", "elif", "else", "fi", "do", "done", "}", "esac"])


def parse(text: str) -> Sequence:
    """The whole text (one line or a script) as a sequence; raises ShellSyntaxError."""
    parser = _Parser(tokenize(text))
    body = parser.sequence()
    token = parser.peek()
    if token.kind != EOF:
        raise ShellSyntaxError(token.line, token.value)
    return body


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    # -- tokens --------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != EOF:
            self.index += 1
        return token

    def at_word(self, *values: str) -> bool:
        token = self.peek()
        return token.kind == WORD and not token.quoted and token.value in values

    def at_op(self, *values: str) -> bool:
        token = self.peek()
        return token.kind == OP and token.value in values

    def skip_newlines(self) -> None:
        while self.peek().kind == NEWLINE:
            self.take()

    def expect_word(self, value: str, opener: Token) -> None:
        if not self.at_word(value):
            token = self.peek()
            if token.kind == EOF:
                raise ShellSyntaxError(opener.line, opener.value, "is not matched")
            raise ShellSyntaxError(token.line, token.value or "newline")
        self.take()

    def unexpected(self) -> ShellSyntaxError:
        token = self.peek()
        if token.kind == EOF:
            return ShellSyntaxError(token.line, "end of file")
        return ShellSyntaxError(token.line, "newline" if token.kind == NEWLINE else token.value)

    # -- lists ---------------------------------------------------------------------------
    def sequence(self) -> Sequence:
        items: list[AndOr] = []
        self.skip_newlines()
        while not self._at_list_end():
            items.append(self.and_or())
            if self.at_op(";", "&") or self.peek().kind == NEWLINE:
                self.take()  # `&` runs in the foreground: nothing runs in the background
                self.skip_newlines()
            elif not self._at_list_end():
                raise self.unexpected()
        return Sequence(items)

    def _at_list_end(self) -> bool:
        token = self.peek()
        if token.kind == EOF or self.at_op(")", ";;"):
            return True
        return token.kind == WORD and not token.quoted and token.value in TERMINATORS

    def compound_list(self, opener: Token) -> Sequence:
        body = self.sequence()
        if not body.items:
            if self.peek().kind == EOF:
                raise ShellSyntaxError(opener.line, opener.value, "is not matched")
            raise self.unexpected()
        return body

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.at_op("&&", "||"):
            op = self.take().value
            self.skip_newlines()
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self.at_word("!"):
            self.take()
            negate = True
        commands = [self.command()]
        while self.at_op("|"):
            self.take()
            self.skip_newlines()
            commands.append(self.command())
        return Pipeline(commands, negate)

    # -- commands ------------------------------------------------------------------------
    def command(self) -> Command:
        token = self.peek()
        compound: Command | None = None
        if token.kind == WORD and not token.quoted:
            compound = self._compound(token)
        elif self.at_op("("):
            self.take()
            body = self.compound_list(token)
            if not self.at_op(")"):
                raise ShellSyntaxError(token.line, "(", "is not matched")
            self.take()
            compound = Group(body, subshell=True)
        if compound is None:
            return self.simple()
        redirects: list[Redirect] = []
        while self.peek().kind == REDIR:
            redirects.append(self.redirect())
        return Redirected(compound, redirects) if redirects else compound

    def _compound(self, token: Token) -> Command | None:
        keyword = token.value
        if keyword == "if":
            return self.if_clause()
        if keyword == "for":
            return self.for_clause()
        if keyword in ("while", "until"):
            self.take()
            condition = self.compound_list(token)
            body = self.do_group(token)
            return While(condition, body, until=keyword == "until")
        if keyword == "case":
            return self.case_clause()
        if keyword == "{":
            self.take()
            body = self.compound_list(token)
            self.expect_word("}", token)
            return Group(body)
        if keyword == "function":
            self.take()
            name = self.take()
            if name.kind != WORD or not NAME.match(name.value):
                raise ShellSyntaxError(name.line, name.value or "newline")
            return FunctionDef(name.value, self.command())
        if keyword in RESERVED and keyword != "!":
            raise self.unexpected()
        if self._at_function_definition():
            self.index += 3
            self.skip_newlines()
            return FunctionDef(keyword, self.command())
        return None

    def _at_function_definition(self) -> bool:
        following = self.tokens[self.index + 1 : self.index + 3]
        return (
            NAME.match(self.peek().value) is not None
            and len(following) == 2
            and [(t.kind, t.value) for t in following] == [(OP, "("), (OP, ")")]
        )

    def do_group(self, opener: Token) -> Sequence:
        self.skip_newlines()
        self.expect_word("do", opener)
        body = self.compound_list(opener)
        self.expect_word("done", opener)
        return body

    def if_clause(self) -> If:
        opener = self.take()
        clauses: list[tuple[Sequence, Sequence]] = []
        otherwise: Sequence | None = None
        while True:
            condition = self.compound_list(opener)
            self.expect_word("then", opener)
            clauses.append((condition, self.compound_list(opener)))
            if self.at_word("elif"):
                self.take()
                continue
            if self.at_word("else"):
                self.take()
                otherwise = self.compound_list(opener)
            self.expect_word("fi", opener)
            return If(clauses, otherwise)

    def for_clause(self) -> For:
        opener = self.take()
        name = self.take()
        if name.kind != WORD or not NAME.match(name.value):
            raise ShellSyntaxError(name.line, name.value or "newline")
        words: list[str] | None = None
        self.skip_newlines()
        if self.at_word("in"):
            self.take()
            words = []
            while self.peek().kind == WORD:
                words.append(self.take().value)
        if self.at_op(";") or self.peek().kind == NEWLINE:
            self.take()
        return For(name.value, words, self.do_group(opener))

    def case_clause(self) -> Case:
        opener = self.take()
        subject = self.take()
        if subject.kind != WORD:
            raise ShellSyntaxError(subject.line, subject.value or "newline")
        self.skip_newlines()
        self.expect_word("in", opener)
        arms: list[tuple[list[str], Sequence]] = []
        self.skip_newlines()
        while not self.at_word("esac"):
            if self.peek().kind == EOF:
                raise ShellSyntaxError(opener.line, "case", "is not matched")
            if self.at_op("("):
                self.take()
            patterns = [self._pattern_word()]
            while self.at_op("|"):
                self.take()
                patterns.append(self._pattern_word())
            if not self.at_op(")"):
                raise self.unexpected()
            self.take()
            arms.append((patterns, self.sequence()))
            if self.at_op(";;"):
                self.take()
            self.skip_newlines()
        self.take()
        return Case(subject.value, arms)

    def _pattern_word(self) -> str:
        token = self.take()
        if token.kind != WORD:
            raise ShellSyntaxError(token.line, token.value or "newline")
        return token.value

    def simple(self) -> Simple:
        node = Simple(line=self.peek().line)
        while True:
            token = self.peek()
            if token.kind == REDIR:
                node.redirects.append(self.redirect())
            elif token.kind == WORD:
                self.take()
                match = ASSIGNMENT.match(token.value) if not node.words else None
                if match is not None:
                    node.assignments.append((match.group(1), match.group(2)))
                else:
                    node.words.append(token.value)
            else:
                break
        if not (node.words or node.assignments or node.redirects):
            raise self.unexpected()
        return node

    def redirect(self) -> Redirect:
        token = self.take()
        default_fd = 0 if token.value.startswith("<") else 1
        fd = token.fd if token.fd is not None else default_fd
        if token.heredoc is not None:
            return Redirect(fd, token.value, heredoc=token.heredoc)
        target = self.take()
        if target.kind != WORD:
            raise ShellSyntaxError(target.line, target.value or "newline")
        return Redirect(fd, token.value, target.value)
