"""The roles a fresh emulator has: keystone's three (tempest's) and the ones IBM's PowerVC
"Managing roles" page documents (PowerVC 2.x and PowerVC for Private Cloud)."""

KEYSTONE_AND_POWERVC_ROLES = {
    "admin",
    "member",
    "reader",
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
}
