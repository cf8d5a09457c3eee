"""Keystone's domains and groups: create, update, delete (a domain must be disabled first, and
takes its projects, users, groups and domain-specific roles with it), and group membership.

The default domain is a record like the others, made at a data dir's first start.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import Domain, Group
from powerbridge.emulator.backend.identity_grants import GrantAdmin
from powerbridge.emulator.backend.identity_records import (
    DEFAULT_DOMAIN_DESCRIPTION,
    DEFAULT_DOMAIN_ID,
    DEFAULT_DOMAIN_NAME,
    Caller,
)
from powerbridge.emulator.errors import conflict, forbidden, not_found

DOMAIN_FIELDS = ("name", "description", "enabled", "tags")
GROUP_FIELDS = ("name", "description")


class DomainAdmin(GrantAdmin):
    """Domains and groups over the directory's records; deleting a domain's projects, users
    and roles is the backend's own (overridden there)."""

    _token_cache: dict[str, Caller]

    def delete_project(self, project_id: str) -> None:
        raise NotImplementedError

    def delete_user(self, user_id: str) -> None:
        raise NotImplementedError

    def delete_role(self, role_id: str) -> None:
        raise NotImplementedError

    # -- domains -------------------------------------------------------------------------
    def ensure_default_domain(self) -> None:
        if DEFAULT_DOMAIN_ID not in self.domains:
            domain = Domain(DEFAULT_DOMAIN_ID, DEFAULT_DOMAIN_NAME, DEFAULT_DOMAIN_DESCRIPTION)
            self.domains[domain.id] = domain
            self._save("domain", domain)

    def create_domain(self, fields: Mapping[str, Any], domain_id: str | None = None) -> Domain:
        self._check_domain_name_free(fields["name"])
        domain = Domain(domain_id or uuid.uuid4().hex, fields["name"])
        self._apply(domain, fields, DOMAIN_FIELDS)
        self.domains[domain.id] = domain
        self._save("domain", domain)
        return domain

    def _check_domain_name_free(self, name: str, renaming: str | None = None) -> None:
        if any(d.name == name and d.id != renaming for d in self.domains.values()):
            raise conflict(
                f"Conflict occurred attempting to store domain - Duplicate entry found "
                f"with name {name}."
            )

    def update_domain(self, domain_id: str, fields: Mapping[str, Any]) -> Domain:
        domain = self.domain(domain_id)
        if "name" in fields:
            self._check_domain_name_free(fields["name"], domain.id)
        self._apply(domain, fields, DOMAIN_FIELDS)
        self._save("domain", domain)
        self._token_cache.clear()
        return domain

    def delete_domain(self, domain_id: str) -> None:
        """Keystone insists on a disabled domain ("to help avoid inadvertent deletes"), then
        deletes what the domain owns: its projects (leaves first), users, groups and roles."""
        domain = self.domain(domain_id)
        if domain.enabled:
            raise forbidden("Cannot delete a domain that is enabled, please disable it first.")
        owned = [p for p in self.projects.values() if p.domain_id == domain_id]
        depth = {p.id: self._depth(p.id) for p in owned}
        for project in sorted(owned, key=lambda p: -depth[p.id]):
            self.delete_project(project.id)
        for user in [u for u in self.users.values() if u.domain_id == domain_id]:
            self.delete_user(user.id)
        for group in [g for g in self.groups.values() if g.domain_id == domain_id]:
            self.delete_group(group.id)
        for role in [r for r in self.roles.values() if r.domain_id == domain_id]:
            self.delete_role(role.id)
        for assignment in [a for a in self.assignments.values() if a.domain_id == domain_id]:
            self.remove_assignment(assignment)
        del self.domains[domain_id]
        self.store.delete("domain", domain_id)
        self._token_cache.clear()

    def _depth(self, project_id: str) -> int:
        depth, parent = 0, self.projects[project_id].parent_id
        while parent is not None and parent in self.projects and depth < len(self.projects):
            depth, parent = depth + 1, self.projects[parent].parent_id
        return depth

    # -- groups --------------------------------------------------------------------------
    def create_group(self, fields: Mapping[str, Any]) -> Group:
        domain_id = fields.get("domain_id") or DEFAULT_DOMAIN_ID
        self.existing_domain(domain_id)
        self._check_group_name_free(fields["name"], domain_id)
        group = Group(uuid.uuid4().hex, fields["name"], domain_id)
        self._apply(group, fields, GROUP_FIELDS)
        self.groups[group.id] = group
        self._save("group", group)
        return group

    def existing_domain(self, domain_id: str) -> Domain:
        """The domain a new record names: keystone answers a missing one with 400's
        sibling, 404 naming the domain."""
        domain = self.domains.get(domain_id)
        if domain is None:
            raise not_found(f"Could not find domain: {domain_id}.")
        return domain

    def _check_group_name_free(self, name: str, domain_id: str, renaming: str = "") -> None:
        if any(
            g.name == name and g.domain_id == domain_id and g.id != renaming
            for g in self.groups.values()
        ):
            raise conflict(
                f"Conflict occurred attempting to store group - Duplicate entry found "
                f"with name {name} at domain ID {domain_id}."
            )

    def update_group(self, group_id: str, fields: Mapping[str, Any]) -> Group:
        group = self.group(group_id)
        if "name" in fields:
            self._check_group_name_free(fields["name"], group.domain_id, group.id)
        self._apply(group, fields, GROUP_FIELDS)
        self._save("group", group)
        return group

    def delete_group(self, group_id: str) -> None:
        self.group(group_id)
        for assignment in [a for a in self.assignments.values() if a.group_id == group_id]:
            self.remove_assignment(assignment)
        del self.groups[group_id]
        self.store.delete("group", group_id)
        self._token_cache.clear()

    def add_member(self, group_id: str, user_id: str) -> None:
        group, user = self.group(group_id), self.user(user_id)
        if user.id not in group.user_ids:
            group.user_ids.append(user.id)
            self._save("group", group)
            self._token_cache.clear()

    def check_member(self, group_id: str, user_id: str) -> None:
        group, user = self.group(group_id), self.user(user_id)
        if user.id not in group.user_ids:
            raise not_found(f"Could not find user, {user_id}, in group, {group_id}.")

    def remove_member(self, group_id: str, user_id: str) -> None:
        self.check_member(group_id, user_id)
        group = self.groups[group_id]
        group.user_ids.remove(user_id)
        self._save("group", group)
        self._token_cache.clear()

    def drop_from_groups(self, user_id: str) -> None:
        for group in self.groups.values():
            if user_id in group.user_ids:
                group.user_ids.remove(user_id)
                self._save("group", group)

    def user_groups(self, user_id: str) -> list[Group]:
        self.user(user_id)
        return [g for g in self.groups.values() if user_id in g.user_ids]

    @staticmethod
    def _apply(record: Any, fields: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in fields:
                setattr(record, key, fields[key])
