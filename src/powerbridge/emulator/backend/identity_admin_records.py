"""Keystone's administration records beyond projects, users and roles: domains, groups, role
inference rules, credentials and policies, and the pure rules over them (a project's ancestors
and subtree, the transitive closure of implied roles), which both the token authority and the
administration API use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# keystone-manage bootstrap's rules: admin implies member, member implies reader
DEFAULT_INFERENCES = (("admin", "member"), ("member", "reader"))
SYSTEM_ALL = "all"  # keystone's one system target: `{"system": {"all": true}}`


@dataclass
class Domain:
    id: str
    name: str
    description: str = ""
    enabled: bool = True
    tags: list[str] = field(default_factory=list)


@dataclass
class Group:
    id: str
    name: str
    domain_id: str
    description: str = ""
    user_ids: list[str] = field(default_factory=list)


@dataclass
class Inference:
    """A role inference rule: holding `prior_role_id` implies `implied_role_id`."""

    id: str
    prior_role_id: str
    implied_role_id: str


@dataclass
class Credential:
    id: str
    user_id: str
    type: str
    blob: str
    project_id: str | None = None


@dataclass
class Policy:
    id: str
    blob: str
    type: str


def implied_closure(role_ids: Iterable[str], rules: Iterable[Inference]) -> list[str]:
    """The roles held through `role_ids`, each followed by what it implies (transitively),
    in first-seen order; a cycle cannot loop (keystone refuses to store one anyway)."""
    implies: dict[str, list[str]] = {}
    for rule in rules:
        implies.setdefault(rule.prior_role_id, []).append(rule.implied_role_id)
    seen: dict[str, None] = {}
    pending = list(role_ids)
    while pending:
        role_id = pending.pop(0)
        if role_id in seen:
            continue
        seen[role_id] = None
        pending.extend(implies.get(role_id, ()))
    return list(seen)


def would_cycle(prior: str, implied: str, rules: Iterable[Inference]) -> bool:
    """Whether `prior` implies `implied` would close a loop: `implied` already implies
    `prior`, directly or through other rules."""
    return prior == implied or prior in implied_closure([implied], rules)


def ancestors(project_id: str, parents: Mapping[str, str | None]) -> list[str]:
    """The project's parent, its parent's parent, ... up to the top (nearest first)."""
    found: list[str] = []
    parent = parents.get(project_id)
    while parent is not None and parent not in found:
        found.append(parent)
        parent = parents.get(parent)
    return found


def subtree(project_id: str, parents: Mapping[str, str | None]) -> list[str]:
    """Every project below `project_id` (children first, then their children)."""
    found: list[str] = []
    frontier = [project_id]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier and p not in found]
        found.extend(children)
        frontier = children
    return found


@dataclass
class AccessRule:
    """An application credential's access rule: the one request shape its tokens may make."""

    id: str
    user_id: str
    service: str
    path: str
    method: str


@dataclass
class Trust:
    """OS-TRUST: a trustor's delegation of some of its roles on a project to a trustee."""

    id: str
    trustor_user_id: str
    trustee_user_id: str
    project_id: str | None
    role_ids: list[str]
    impersonation: bool = False
    expires_at: float | None = None
    remaining_uses: int | None = None
    allow_redelegation: bool = False
