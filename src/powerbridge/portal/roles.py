"""What a signed-in user may do, from the Keystone roles of the project they picked.

A table maps Keystone role names to the portal's three roles; a user holding several gets
the highest. The defaults follow PowerVC's roles (admin, admin_assist, deployer, vm_manager,
viewer ...) and tempest's admin / member / reader; any role the table does not name is a
viewer: it sees the project, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

__all__ = ["DEFAULT_ROLE_MAP", "Role", "portal_role"]


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"  # also creates, changes and deletes clusters
    ADMINISTRATOR = "administrator"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


DEFAULT_ROLE_MAP: Mapping[str, Role] = {
    # PowerVC
    "admin": Role.ADMINISTRATOR,
    "admin_assist": Role.ADMINISTRATOR,
    "deployer": Role.OPERATOR,
    "vm_manager": Role.OPERATOR,
    "viewer": Role.VIEWER,
    # tempest / plain OpenStack
    "member": Role.OPERATOR,
    "reader": Role.VIEWER,
}


def portal_role(
    keystone_roles: Iterable[str], table: Mapping[str, Role] = DEFAULT_ROLE_MAP
) -> Role:
    """The highest portal role any of `keystone_roles` maps to; viewer when none does."""
    mapped = [table.get(name.lower(), Role.VIEWER) for name in keystone_roles]
    return max(mapped, key=lambda role: role.rank, default=Role.VIEWER)
