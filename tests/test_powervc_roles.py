"""The role table's client-side reading: the policy action out of each service's 403 wording,
and the PowerVC roles that would allow it (IBM's "Managing roles" examples)."""

from __future__ import annotations

import pytest

from powerbridge.powervc_roles import powervc_roles_for, refused_action


@pytest.mark.parametrize(
    ("message", "action"),
    [
        (
            "Policy doesn't allow os_compute_api:servers:create to be performed.",
            "os_compute_api:servers:create",
        ),
        ("Policy doesn't allow volume:delete to be performed.", "volume:delete"),
        ("(rule:create_network) is disallowed by policy", "create_network"),
        ("You are not authorized to complete add_image action.", "add_image"),
        (
            "You are not authorized to perform the requested action: identity:create_user.",
            "identity:create_user",
        ),
        ("Quota exceeded, too many key pairs.", None),
    ],
)
def test_the_refused_action_is_read_from_each_services_wording(
    message: str, action: str | None
) -> None:
    assert refused_action(message) == action


def test_the_roles_for_an_action_follow_ibms_examples() -> None:
    stop = powervc_roles_for("os_compute_api:servers:stop") or []
    assert "vm_user" in stop
    assert "viewer" not in stop
    delete = powervc_roles_for("os_compute_api:servers:delete") or []
    assert "vm_manager" in delete
    assert "admin_assist" not in delete  # it creates and edits, deletes nothing
    assert "vm_user" not in delete
    assert powervc_roles_for("volume:create") == [
        "admin",
        "admin_assist",
        "storage_manager",
        "project_manager",
    ]
    assert powervc_roles_for("identity:create_user") == ["admin"]
    assert powervc_roles_for("no-such-action") is None
    assert not any("member" in (powervc_roles_for(a) or []) for a in ("add_image", "volume:create"))
