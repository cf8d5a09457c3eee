"""PowerVC's roles and its policy: one table, policy action -> the roles allowed it. Pure (it
imports nothing of the project): the emulator's services check every write with it (nova,
cinder, glance, neutron; each refuses in its own wording), and the client side names the roles
a refused action needs (a real PowerVC's refusal names the policy action, not the roles).

IBM PowerVC 2.x "Managing roles"
(https://www.ibm.com/docs/en/powervc/2.1.0?topic=security-managing-roles): admin does
everything; admin_assist creates and edits but removes or deletes nothing; the advanced roles
each do one kind of task (vm_user powers VMs on and off, vm_manager manages VMs, deployer
deploys, image_manager images, storage_manager volumes) and viewer only reads. Every role reads
every resource of its project (users and groups stay keystone's admin's). Keystone's own roles
stay as tempest knows them: member writes whatever is not an admin's, reader writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KEYSTONE_ROLES = ("admin", "member", "reader")
# PowerVC's standard and advanced roles, then PowerVC for Private Cloud's two
POWERVC_ROLES = (
    "admin_assist",
    "deployer",
    "deployer_restricted",
    "vm_manager",
    "vm_user",
    "image_manager",
    "storage_manager",
    "viewer",
    "self_service",
    "project_manager",
)
ROLE_NAMES = KEYSTONE_ROLES + POWERVC_ROLES

Roles = frozenset[str]
ADMIN_ONLY: Roles = frozenset()  # admin is allowed everything; nobody else
# the roles that may do each kind of task (admin always may)
ADMIN_READ: Roles = frozenset(POWERVC_ROLES)  # reads nova/cinder keep from keystone's member
SELF_SERVICE: Roles = frozenset(("self_service", "project_manager"))
ASSIST: Roles = frozenset(("admin_assist",))
VM_POWER: Roles = frozenset(("member", "vm_user", "vm_manager", *ASSIST, *SELF_SERVICE))
DEPLOY: Roles = frozenset(
    ("member", "deployer", "deployer_restricted", "vm_manager", *ASSIST, *SELF_SERVICE)
)
VM_EDIT: Roles = frozenset(("member", "vm_manager", *ASSIST, *SELF_SERVICE))
VM_REMOVE: Roles = VM_EDIT - ASSIST
DEPLOY_REMOVE: Roles = DEPLOY - ASSIST
CAPTURE: Roles = frozenset(("member", "image_manager", *ASSIST, *SELF_SERVICE))
IMAGE_EDIT: Roles = frozenset(("member", "image_manager", *ASSIST, "project_manager"))
IMAGE_REMOVE: Roles = IMAGE_EDIT - ASSIST
VOLUME_EDIT: Roles = frozenset(("member", "storage_manager", *ASSIST, "project_manager"))
VOLUME_REMOVE: Roles = VOLUME_EDIT - ASSIST
GROUP_EDIT: Roles = frozenset(("member", "storage_manager"))  # consistency groups
ATTACH: Roles = VM_EDIT | VOLUME_EDIT  # both sides of an attachment's volume actions
NETWORK_EDIT: Roles = frozenset(("member", *ASSIST))
NETWORK_REMOVE: Roles = frozenset(("member",))
ADMIN_EDIT: Roles = ASSIST  # an admin's create and edit tasks (hosts, templates, quotas)


# glance's metadef write policies (glance/policies/metadef.py): verb -> what it acts on
METADEF_WRITES = {
    "add": ("namespace", "object", "property", "tag", "tags", "resource_type_association"),
    "modify": ("namespace", "object", "property", "tag"),
    "delete": ("namespace", "object", "tag", "tags"),
    "remove": ("property", "resource_type_association"),
}


def _nova(kind: Roles, *names: str) -> dict[str, Roles]:
    return {f"os_compute_api:{name}": kind for name in names}


RULES: dict[str, Roles] = {
    # -- nova: servers and what they own
    **_nova(DEPLOY, "servers:create", "os-keypairs:create"),
    **_nova(DEPLOY_REMOVE, "os-keypairs:delete"),
    **_nova(VM_POWER, "servers:start", "servers:stop", "servers:reboot"),
    **_nova(
        VM_EDIT,
        "servers:update",
        "server-metadata:update",
        "server-metadata:delete",
        "servers:resize",
        "servers:confirmResize",
        "servers:revertResize",
        "servers:rebuild",
        "os-lock-server:lock",
        "os-lock-server:unlock",
        "os-server-password:clear",
        "os-volumes-attachments:create",
        "os-volumes-attachments:delete",
        "os-server-groups:create",
    ),
    **_nova(
        VM_EDIT,
        "os-server-tags:update",
        "os-server-tags:update_all",
        "os-server-tags:delete",
        "os-server-tags:delete_all",
    ),  # tags are an edit of the VM they tag, a removal of none
    **_nova(VM_REMOVE, "servers:delete", "os-server-groups:delete"),
    **_nova(CAPTURE, "servers:createImage"),
    # -- nova and PowerVC: an administrator's resources (compute templates, host groups, ...)
    **_nova(
        ADMIN_EDIT,
        "os-flavor-manage:create",
        "os-flavor-manage:update",
        "os-flavor-extra-specs:create",
        "os-flavor-extra-specs:update",
        "os-aggregates:create",
        "os-aggregates:update",
        "os-aggregates:add_host",
        "os-aggregates:set_metadata",
        "os-quota-sets:update",
        "os-flavor-access:add_tenant_access",  # which projects see a private template
        "os-flavor-access:remove_tenant_access",
    ),
    # nova's proxies to cinder (os-volumes, os-snapshots): a storage manager's volumes
    **_nova(VOLUME_EDIT, "os-volumes:create", "os-volumes:snapshots:create"),
    **_nova(VOLUME_REMOVE, "os-volumes:delete", "os-volumes:snapshots:delete"),
    # the cloud's administration: nova's services, default quotas, hosts, the events neutron
    # and cinder send, PowerVC's onboarding and remote restart of a failed host
    **_nova(
        ADMIN_ONLY,
        "os-services:update",
        "os-quota-class-sets:update",
        "os-hosts:update",
        "os-hosts:onboard",
        "os-hosts:unmanage",
        "os-hosts:ibm-evacuate",
        "os-server-external-events:create",
    ),
    **_nova(ADMIN_READ, "os-hypervisors", "os-availability-zone:detail"),
    **_nova(ADMIN_READ, "os-aggregates:index", "os-aggregates:show"),
    "storage_connectivity_group:create": ADMIN_EDIT,
    "storage_connectivity_group:update": ADMIN_EDIT,
    "ego:prs:hypervisor_maintenance": ADMIN_EDIT,
    # -- cinder
    "volume:create": VOLUME_EDIT,
    "volume:update": VOLUME_EDIT,
    "volume:extend": VOLUME_EDIT,
    "volume:update_readonly_flag": VOLUME_EDIT,
    "volume:update_volume_metadata": VOLUME_EDIT,
    "volume:delete_volume_metadata": VOLUME_EDIT,
    "volume:create_snapshot": VOLUME_EDIT,
    "volume:update_snapshot": VOLUME_EDIT,
    "volume:update_snapshot_metadata": VOLUME_EDIT,
    "volume:delete_snapshot_metadata": VOLUME_EDIT,
    "snapshot_extension:snapshot_actions:update_snapshot_status": VOLUME_EDIT,
    "volume:reserve_volume": ATTACH,
    "volume:unreserve_volume": ATTACH,
    "volume:begin_detaching": ATTACH,
    "volume:roll_detaching": ATTACH,
    "volume:delete": VOLUME_REMOVE,
    "volume:delete_snapshot": VOLUME_REMOVE,
    "message:delete": VOLUME_REMOVE,
    "volume_extension:volume_actions:upload_image": IMAGE_EDIT,
    "volume_extension:volume_admin_actions:reset_status": ADMIN_EDIT,
    "volume_extension:snapshot_admin_actions:reset_status": ADMIN_EDIT,
    # consistency groups (cinder's generic volume groups): "Users with Administrator or Storage
    # manager role can create consistency groups, and group snapshots" (PowerVC 2.1.1,
    # "Consistency groups"); their types and status resets stay cinder's admin's
    **dict.fromkeys(("group:create", "group:update", "group:delete"), GROUP_EDIT),
    **dict.fromkeys(("group:create_group_snapshot", "group:delete_group_snapshot"), GROUP_EDIT),
    "volume_extension:types_manage": ADMIN_EDIT,  # storage templates: their delete is admin's
    "volume_extension:types_extra_specs:create": ADMIN_EDIT,
    "volume_extension:types_extra_specs:update": ADMIN_EDIT,
    "volume_extension:types_extra_specs:delete": ADMIN_EDIT,  # a key off a template: an edit
    "volume_extension:volume_type_access:addProjectAccess": ADMIN_EDIT,
    "volume_extension:volume_type_access:removeProjectAccess": ADMIN_EDIT,
    # QoS specs go with storage templates: admin_assist creates and edits them (a key off one
    # is an edit), only admin deletes one
    "volume_extension:qos_specs_manage:get": ADMIN_READ,  # who may make one may read it
    "volume_extension:qos_specs_manage:get_all": ADMIN_READ,
    "volume_extension:qos_specs_manage:create": ADMIN_EDIT,
    "volume_extension:qos_specs_manage:update": ADMIN_EDIT,
    "volume_extension:qos_specs_manage:delete": ADMIN_ONLY,
    "volume_extension:quotas:update": ADMIN_EDIT,  # a project's quotas, as nova's
    "volume_extension:quotas:delete": ADMIN_ONLY,
    # a volume given to another project: the storage manager's (cancelling the offer removes it)
    "volume:create_transfer": VOLUME_EDIT,
    "volume:accept_transfer": VOLUME_EDIT,
    "volume:delete_transfer": VOLUME_REMOVE,
    # the cloud's administration: default quotas, services, PowerVC's onboarding of volumes
    "volume_extension:quota_classes": ADMIN_ONLY,
    "volume_extension:services:update": ADMIN_ONLY,
    "volume_extension:volume_manage": ADMIN_ONLY,
    "volume_extension:volume_unmanage": ADMIN_ONLY,
    # -- glance (the owner's project besides)
    "add_image": IMAGE_EDIT,
    "modify_image": IMAGE_EDIT,
    "upload_image": IMAGE_EDIT,
    "add_member": IMAGE_EDIT,
    "delete_member": IMAGE_EDIT,
    "delete_image": IMAGE_REMOVE,
    "deactivate": ADMIN_EDIT,  # glance's admin's: an image unusable for deploys
    "reactivate": ADMIN_EDIT,
    # the metadata definitions catalog: glance's metadef_admin, the cloud administrator's
    **{
        f"{verb}_metadef_{kind}": ADMIN_ONLY
        for verb, kinds in METADEF_WRITES.items()
        for kind in kinds
    },
    # -- neutron (the record's project besides)
    "create_network": NETWORK_EDIT,
    "update_network": NETWORK_EDIT,
    "create_subnet": NETWORK_EDIT,
    "update_subnet": NETWORK_EDIT,
    "delete_network": NETWORK_REMOVE,
    "delete_subnet": NETWORK_REMOVE,
    "create_port": DEPLOY | VM_EDIT,  # a deploy makes the VM's ports
    "update_port": VM_EDIT,
    "delete_port": VM_REMOVE,
    # tags are an edit of what they tag, a removal of none
    **{
        f"{verb}_{kind}_tags": VM_EDIT if kind == "ports" else NETWORK_EDIT
        for verb in ("create", "update", "delete")
        for kind in ("networks", "subnets", "ports")
    },
}
# the member role writes what its project owns (keystone's default policy, tempest's member)
MEMBER: Roles = frozenset(("member",))


def allows(roles: Iterable[str], action: str, default: Roles = MEMBER) -> bool:
    """Whether a token with `roles` may do `action`; an action the table does not name is
    allowed the `default` roles (nova's admin-only rules pass ADMIN_ONLY)."""
    held = set(roles)
    if "admin" in held:
        return True
    return not held.isdisjoint(RULES.get(action, default))


def roles_allowed(action: str, default: Roles = MEMBER) -> list[str]:
    """The roles that may do `action`, in ROLE_NAMES order (for a refusal's explanation)."""
    allowed = RULES.get(action, default) | {"admin"}
    return [name for name in ROLE_NAMES if name in allowed]


# how each service names the policy action it refused (nova and cinder, neutron, glance,
# keystone); the client reads the action back out of a 403's message
REFUSALS = (
    re.compile(r"Policy doesn't allow (?P<action>[\w:.-]+) to be performed\."),
    re.compile(r"\(rule:(?P<action>[\w:.-]+)\) is disallowed by policy"),
    re.compile(r"You are not authorized to complete (?P<action>\w+) action\."),
    re.compile(r"You are not authorized to perform the requested action: (?P<action>[\w:.-]+)\."),
)


def refused_action(message: str) -> str | None:
    """The policy action a service's 403 message names, if it names one."""
    for pattern in REFUSALS:
        found = pattern.search(message)
        if found:
            return found.group("action")
    return None


def powervc_roles_for(action: str) -> list[str] | None:
    """PowerVC's roles (admin first) that may do `action`; None for an action the table does
    not know (keystone's and the emulator's administration is admin's alone)."""
    if action.startswith(("identity:", "emulator:")):
        return ["admin"]
    if action not in RULES:
        return None
    return [name for name in roles_allowed(action) if name not in ("member", "reader")]
