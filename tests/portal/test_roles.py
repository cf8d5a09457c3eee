"""Keystone roles -> the portal's roles: PowerVC's defaults, tempest's, the highest wins."""

from __future__ import annotations

import pytest

from powerbridge.portal.roles import Role, portal_role


@pytest.mark.parametrize(
    ("keystone", "portal"),
    [
        (["admin"], Role.ADMINISTRATOR),
        (["admin_assist"], Role.ADMINISTRATOR),
        (["deployer"], Role.OPERATOR),
        (["vm_manager"], Role.OPERATOR),
        (["viewer"], Role.VIEWER),
        (["member", "reader"], Role.OPERATOR),  # tempest's member implies reader
        (["admin", "member", "reader"], Role.ADMINISTRATOR),
        (["reader"], Role.VIEWER),
        (["storage_manager"], Role.VIEWER),  # a role the table does not name
        ([], Role.VIEWER),
        (["Deployer"], Role.OPERATOR),
    ],
)
def test_the_default_table(keystone: list[str], portal: Role) -> None:
    assert portal_role(keystone) is portal


def test_a_configured_table_replaces_the_defaults() -> None:
    table = {"cluster_admin": Role.OPERATOR}
    assert portal_role(["cluster_admin"], table) is Role.OPERATOR
    assert portal_role(["admin"], table) is Role.VIEWER
    assert Role.ADMINISTRATOR.allows(Role.OPERATOR)
    assert not Role.VIEWER.allows(Role.OPERATOR)
