"""What one planning run finds: problems (shared ones worded once) and what exists already."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from powerbridge.deploy.plan_model import Block, Kind, Unchanged, name_list

__all__ = ["Findings", "plural"]

IssueKey: TypeAlias = tuple[Kind, str, str, str, str]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


@dataclass
class _Issue:
    """One problem shared by several servers (or volumes): reported once, naming them all."""

    kind: Kind
    name: str
    code: str
    message: str
    subject: str  # "server" or "volume"
    affects: list[str] = field(default_factory=list)

    def block(self) -> Block:
        noun = self.subject + ("s" if len(self.affects) > 1 else "")
        message = f"{noun} {name_list(self.affects)}: {self.message}"
        return Block(self.kind, self.name, message, self.code, tuple(self.affects))


@dataclass
class Findings:
    """Problems are collected, never raised: one run reports everything that blocks.

    `issue` is a problem of one server or volume (`subject`, `affected`), merged with the same
    problem of others; `blocks` are problems of the plan as a whole; `failed` lists the
    (subject, name) pairs with an issue, which the plan then leaves out of its creates.
    """

    issues: dict[IssueKey, _Issue] = field(default_factory=dict)
    failed: set[tuple[str, str]] = field(default_factory=set)
    blocks: list[Block] = field(default_factory=list)
    unchanged: list[Unchanged] = field(default_factory=list)

    def issue(
        self, kind: Kind, name: str, code: str, message: str, subject: str, affected: str
    ) -> None:
        key = (kind, name, code, message, subject)
        issue = self.issues.get(key)
        if issue is None:
            issue = self.issues[key] = _Issue(kind, name, code, message, subject)
        issue.affects.append(affected)
        self.failed.add((subject, affected))

    def all_blocks(self) -> tuple[Block, ...]:
        """The issues, in the order first seen, then the plan's blocks."""
        return tuple(issue.block() for issue in self.issues.values()) + tuple(self.blocks)
