"""nova's legacy `/extensions` (kept for v2 clients): since Pike a fixed list in nova's
extension_info.py, every entry with the same fake namespace and date; `show` by alias."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.errors import not_found

NAMESPACE = "http://docs.openstack.org/compute/ext/fake_xml"
UPDATED = "2014-12-03T00:00:00Z"

# (name, alias, description): the v2.1 API's features as nova lists them
_EXTENSIONS = (
    ("AccessIPs", "os-access-ips", "Access IPs support."),
    ("AdminActions", "os-admin-actions", "Enable admin-only server actions."),
    ("AdminPassword", "os-admin-password", "Admin password management support."),
    ("Aggregates", "os-aggregates", "Admin-only aggregate administration."),
    ("AssistedVolumeSnapshots", "os-assisted-volume-snapshots", "Assisted volume snapshots."),
    ("AttachInterfaces", "os-attach-interfaces", "Attach interface support."),
    (
        "AvailabilityZone",
        "os-availability-zone",
        "1. Add availability_zone to the Create Server API.",
    ),
    (
        "BlockDeviceMappingV2Boot",
        "os-block-device-mapping-v2-boot",
        "Allow boot with the new BDM data format.",
    ),
    ("ConsoleOutput", "os-console-output", "Console log output support, with tailing ability."),
    ("Consoles", "os-consoles", "Interactive Console support."),
    ("CreateBackup", "os-create-backup", "Create a backup of a server."),
    ("DeferredDelete", "os-deferred-delete", "Instance deferred delete."),
    ("DiskConfig", "OS-DCF", "Disk Management Extension."),
    ("ExtendedAvailabilityZone", "OS-EXT-AZ", "Extended Availability Zone support."),
    ("ExtendedIps", "OS-EXT-IPS", "Adds type parameter to the ip list."),
    ("ExtendedIpsMac", "OS-EXT-IPS-MAC", "Adds mac address parameter to the ip list."),
    ("ExtendedServerAttributes", "OS-EXT-SRV-ATTR", "Extended Server Attributes support."),
    ("ExtendedStatus", "OS-EXT-STS", "Extended Status support."),
    ("ExtendedVolumes", "os-extended-volumes", "Extended Volumes support."),
    ("FlavorAccess", "os-flavor-access", "Flavor access support."),
    ("FlavorExtraData", "OS-FLV-EXT-DATA", "Provide additional data for flavors."),
    ("FlavorExtraSpecs", "os-flavor-extra-specs", "Flavors extra specs support."),
    ("FlavorManage", "os-flavor-manage", "Flavor create/delete API support."),
    ("Hosts", "os-hosts", "Admin-only host administration."),
    ("Hypervisors", "os-hypervisors", "Admin-only hypervisor administration."),
    (
        "InstanceActions",
        "os-instance-actions",
        "View a log of actions and events taken on an instance.",
    ),
    ("OSInstanceUsageAuditLog", "os-instance_usage_audit_log", "Admin-only Task Log Monitoring."),
    ("Keypairs", "os-keypairs", "Keypair Support."),
    ("Migrations", "os-migrations", "Provide data on migrations."),
    (
        "MultipleCreate",
        "os-multiple-create",
        "Allow multiple create in the Create Server v2.1 API.",
    ),
    ("Networks", "os-networks", "Admin-only Network Management Extension."),
    ("QuotaClasses", "os-quota-class-sets", "Quota classes management support."),
    ("Quotas", "os-quota-sets", "Quotas management support."),
    ("SchedulerHints", "OS-SCH-HNT", "Pass arbitrary key/value pairs to the scheduler."),
    (
        "ServerDiagnostics",
        "os-server-diagnostics",
        "Allow Admins to view server diagnostics through server action.",
    ),
    ("ServerGroups", "os-server-groups", "Server group support."),
    ("ServerPassword", "os-server-password", "Server password support."),
    ("ServerUsage", "OS-SRV-USG", "Adds launched_at and terminated_at on Servers."),
    ("Services", "os-services", "Services support."),
    ("SimpleTenantUsage", "os-simple-tenant-usage", "Simple tenant usage extension."),
    ("TenantNetworks", "os-tenant-networks", "Tenant-based Network Management Extension."),
    ("UsedLimits", "os-used-limits", "Provide data on limited resources that are being used."),
    ("Volumes", "os-volumes", "Volumes support."),
)


def _body(name: str, alias: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "alias": alias,
        "description": description,
        "namespace": NAMESPACE,
        "updated": UPDATED,
        "links": [],
    }


def list_extensions(call: Call) -> Reply:
    return Reply({"extensions": [_body(*row) for row in _EXTENSIONS]})


def show_extension(call: Call) -> Reply:
    for row in _EXTENSIONS:
        if row[1] == call.params["alias"]:
            return Reply({"extension": _body(*row)})
    raise not_found("The resource could not be found.")
