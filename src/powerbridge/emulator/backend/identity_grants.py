"""Keystone's role assignments and role inference rules: grants of a role to a user or a group
on a project, a domain or the system (inherited to the projects below with OS-INHERIT), the
rules that make one role imply another, and `GET /v3/role_assignments`'s listing, effective
mode included (group memberships, inheritance and implied roles expanded as keystone does).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from powerbridge.emulator.backend.identity_admin_records import (
    Inference,
    implied_closure,
    subtree,
    would_cycle,
)
from powerbridge.emulator.backend.identity_records import Assignment, Caller, IdentityDirectory
from powerbridge.emulator.errors import bad_request, conflict, forbidden, not_found

Actor = tuple[str, str]  # ("user" | "group", id)
Target = tuple[str, str]  # ("project" | "domain" | "system", id; "all" for the system)
PROHIBITED_IMPLIED = ("admin",)


@dataclass(frozen=True)
class AssignmentFilter:
    """`GET /v3/role_assignments`'s query, read by the API layer."""

    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited: bool | None = None  # scope.OS-INHERIT:inherited_to=projects (or not)
    effective: bool = False
    include_subtree: bool = False


@dataclass(frozen=True)
class AssignmentRow:
    """One listed assignment; `indirect` says where an effective one comes from (keystone's
    `indirect`: a group_id, the project_id or domain_id it is inherited from, the prior
    role_id it is implied by)."""

    role_id: str
    actor: Actor
    target: Target
    inherited: bool = False
    indirect: dict[str, str] = field(default_factory=dict)


def assignment_of(actor: Actor, target: Target, role_id: str, inherited: bool) -> Assignment:
    return Assignment(
        id=uuid.uuid4().hex,
        user_id=actor[1] if actor[0] == "user" else "",
        project_id=target[1] if target[0] == "project" else "",
        role_id=role_id,
        group_id=actor[1] if actor[0] == "group" else "",
        domain_id=target[1] if target[0] == "domain" else "",
        system=target[0] == "system",
        inherited=inherited,
    )


class GrantAdmin(IdentityDirectory):
    """Grants and inference rules over the directory's records."""

    _token_cache: dict[str, Caller]

    # -- grants --------------------------------------------------------------------------
    def check_actor(self, actor: Actor) -> None:
        self.user(actor[1]) if actor[0] == "user" else self.group(actor[1])

    def check_target(self, target: Target) -> None:
        if target[0] == "project":
            self.project(target[1])
        elif target[0] == "domain":
            self.domain(target[1])

    def find_grant(
        self, actor: Actor, target: Target, role_id: str, inherited: bool = False
    ) -> Assignment | None:
        for a in self.assignments.values():
            if (a.actor, a.target, a.role_id, a.inherited) == (actor, target, role_id, inherited):
                return a
        return None

    def grant_role(
        self, actor: Actor, target: Target, role_id: str, inherited: bool = False
    ) -> Assignment:
        self.check_actor(actor)
        self.check_target(target)
        role = self.role(role_id)
        mismatched = target[0] == "project" and role.domain_id is not None
        if mismatched and self.project(target[1]).domain_id != role.domain_id:
            raise forbidden(
                f"Project {target[1]} must be in the same domain as the role {role_id} "
                f"being assigned."
            )
        existing = self.find_grant(actor, target, role_id, inherited)
        if existing is not None:
            return existing
        assignment = assignment_of(actor, target, role_id, inherited)
        self.assignments[assignment.id] = assignment
        self._save("assignment", assignment)
        self._token_cache.clear()
        return assignment

    def require_grant(
        self, actor: Actor, target: Target, role_id: str, inherited: bool = False
    ) -> Assignment:
        """The stored grant, or keystone's 404 for it (after the actor, target and role are
        found: a missing one is named first)."""
        self.check_actor(actor)
        self.check_target(target)
        self.role(role_id)
        found = self.find_grant(actor, target, role_id, inherited)
        if found is None:
            raise not_found(
                f"Could not find role assignment with role: {role_id}, user or group: "
                f"{actor[1]}, project, domain, or system: {target[1]}."
            )
        return found

    def revoke_role(
        self, actor: Actor, target: Target, role_id: str, inherited: bool = False
    ) -> None:
        self.remove_assignment(self.require_grant(actor, target, role_id, inherited))

    def remove_assignment(self, assignment: Assignment) -> None:
        self.assignments.pop(assignment.id, None)
        self.store.delete("assignment", assignment.id)
        self._token_cache.clear()

    def roles_granted(self, actor: Actor, target: Target, inherited: bool = False) -> list[str]:
        """The role ids granted directly (`GET .../roles` on a target)."""
        return [
            a.role_id
            for a in self.assignments.values()
            if (a.actor, a.target, a.inherited) == (actor, target, inherited)
            and a.role_id in self.roles
        ]

    # -- role inference rules ------------------------------------------------------------
    def create_inference(self, prior_id: str, implied_id: str) -> Inference:
        prior, implied = self.role(prior_id), self.role(implied_id)
        existing = self.find_inference(prior_id, implied_id)
        if existing is not None:
            return existing
        # keystone's prohibited_implied_role ("admin") and its domain-role rule
        if implied.name in PROHIBITED_IMPLIED:
            raise forbidden(f"{implied_id} cannot be an implied roles.")
        if prior.domain_id is None and implied.domain_id:
            raise forbidden("Global role cannot imply a domain-specific role")
        if would_cycle(prior_id, implied_id, self.inferences.values()):
            raise conflict(
                f"Conflict occurred attempting to store implied_role - {prior_id} implies "
                f"{implied_id} would create a loop of implied roles."
            )
        rule = Inference(uuid.uuid4().hex, prior_id, implied_id)
        self.inferences[rule.id] = rule
        self._save("inference", rule)
        self._token_cache.clear()
        return rule

    def find_inference(self, prior_id: str, implied_id: str) -> Inference | None:
        for rule in self.inferences.values():
            if (rule.prior_role_id, rule.implied_role_id) == (prior_id, implied_id):
                return rule
        return None

    def inference(self, prior_id: str, implied_id: str) -> Inference:
        self.role(prior_id), self.role(implied_id)
        rule = self.find_inference(prior_id, implied_id)
        if rule is None:
            raise not_found(f"{prior_id} does not imply {implied_id}.")
        return rule

    def delete_inference(self, prior_id: str, implied_id: str) -> None:
        rule = self.inference(prior_id, implied_id)
        del self.inferences[rule.id]
        self.store.delete("inference", rule.id)
        self._token_cache.clear()

    def implied_by(self, prior_id: str) -> list[str]:
        return [r.implied_role_id for r in self.inferences.values() if r.prior_role_id == prior_id]

    # -- GET /v3/role_assignments --------------------------------------------------------
    def list_assignments(self, query: AssignmentFilter) -> list[AssignmentRow]:
        check_filter(query)
        rows: list[AssignmentRow] = []
        for assignment in self.assignments.values():
            if assignment.role_id not in self.roles:
                continue
            base = AssignmentRow(
                assignment.role_id, assignment.actor, assignment.target, assignment.inherited
            )
            candidates = self._effective(base) if query.effective else [base]
            rows.extend(row for row in candidates if self._matches(row, query))
        return rows

    def _effective(self, row: AssignmentRow) -> Iterator[AssignmentRow]:
        for by_member in self._members_expanded(row):
            for by_project in self._inheritance_expanded(by_member):
                yield from self._implications_expanded(by_project)

    def _members_expanded(self, row: AssignmentRow) -> Iterator[AssignmentRow]:
        if row.actor[0] != "group":
            yield row
            return
        group = self.groups.get(row.actor[1])
        for user_id in group.user_ids if group else ():
            indirect = {**row.indirect, "group_id": row.actor[1]}
            yield AssignmentRow(row.role_id, ("user", user_id), row.target, row.inherited, indirect)

    def _inheritance_expanded(self, row: AssignmentRow) -> Iterator[AssignmentRow]:
        if not row.inherited:
            yield row
            return
        kind, target_id = row.target
        if kind == "domain":
            projects = [p.id for p in self.projects.values() if p.domain_id == target_id]
        else:
            projects = subtree(target_id, self.parents())
        for project_id in projects:
            indirect = {**row.indirect, f"{kind}_id": target_id}
            yield AssignmentRow(row.role_id, row.actor, ("project", project_id), False, indirect)

    def _implications_expanded(self, row: AssignmentRow) -> Iterator[AssignmentRow]:
        yield row
        for implied in implied_closure([row.role_id], self.inferences.values())[1:]:
            indirect = {**row.indirect, "role_id": row.role_id}
            yield AssignmentRow(implied, row.actor, row.target, False, indirect)

    def _matches(self, row: AssignmentRow, query: AssignmentFilter) -> bool:
        role = self.roles.get(row.role_id)
        if role is None or (query.effective and role.domain_id is not None):
            return False  # effective mode leaves domain-specific roles out, as keystone does
        checks = [
            (query.user_id, row.actor == ("user", query.user_id)),
            (query.group_id, row.actor == ("group", query.group_id)),
            (query.role_id, row.role_id == query.role_id),
            (query.domain_id, row.target == ("domain", query.domain_id)),
            (query.project_id, self._in_scope(row, query)),
        ]
        if any(wanted is not None and not ok for wanted, ok in checks):
            return False
        if query.system and row.target[0] != "system":
            return False
        return query.inherited is None or row.inherited == query.inherited

    def _in_scope(self, row: AssignmentRow, query: AssignmentFilter) -> bool:
        if row.target[0] != "project" or query.project_id is None:
            return False
        if row.target[1] == query.project_id:
            return True
        return query.include_subtree and row.target[1] in subtree(query.project_id, self.parents())


def check_filter(query: AssignmentFilter) -> None:
    """Keystone's refusals of filter combinations that cannot match anything."""
    if query.domain_id and query.project_id:
        raise bad_request("Specify a domain or project, not both")
    if query.system and query.domain_id:
        raise bad_request("Specify system or domain, not both")
    if query.system and query.project_id:
        raise bad_request("Specify system or project, not both")
    if query.user_id and query.group_id:
        raise bad_request("Specify a user or group, not both")
    if query.effective and query.group_id:
        raise bad_request(
            "Combining effective and group filter will always result in an empty list."
        )
    if query.effective and query.inherited and query.domain_id:
        raise bad_request(
            "Combining effective, domain and inherited filters will always result in an empty list."
        )
    if query.include_subtree and not query.project_id:
        raise bad_request("scope.project.id must be specified if include_subtree is also specified")
