"""`/v2.0/extensions[/<alias>]`: the neutron extensions the emulator implements."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.ipam import neutron_error


def _extension(alias: str, name: str, description: str, updated: str) -> dict[str, Any]:
    return {
        "alias": alias,
        "name": name,
        "description": description,
        "updated": updated,
        "links": [],
    }


EXTENSIONS = (
    _extension(
        "agent",
        "agent",
        "The agent management extension.",
        "2013-02-03T10:00:00-00:00",
    ),
    _extension(
        "allowed-address-pairs",
        "Allowed Address Pairs",
        "Provides allowed address pairs",
        "2013-07-23T10:00:00-00:00",
    ),
    _extension(
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
        "2015-01-01T10:00:00-00:00",
    ),
    _extension(
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
        "2014-02-03T10:00:00-00:00",
    ),
    _extension(
        "dns-integration",
        "DNS Integration",
        "Provides integration with DNS.",
        "2015-08-15T18:00:00-00:00",
    ),
    _extension(
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
        "2013-01-14T10:00:00-00:00",
    ),
    _extension(
        "extra_dhcp_opt",
        "Neutron Extra DHCP options",
        "Extra options configuration for DHCP. For example PXE boot options to DHCP clients "
        "can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
        "2013-03-17T12:00:00-00:00",
    ),
    _extension(
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
        "2018-03-21T10:00:00-00:00",
    ),
    _extension(
        "ip_allocation", "IP Allocation", "IP allocation extension.", "2016-06-10T23:00:00-00:00"
    ),
    _extension(
        "l2_adjacency",
        "L2 Adjacency",
        "Display L2 Adjacency for Neutron Networks.",
        "2016-04-12T16:00:00-00:00",
    ),
    _extension(
        "net-mtu-writable",
        "Network MTU (writable)",
        "Provides a writable MTU attribute for a network resource.",
        "2017-07-12T00:00:00-00:00",
    ),
    _extension(
        "network-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
        "2015-03-25T10:00:00-00:00",
    ),
    _extension(
        "network_availability_zone",
        "Network Availability Zone",
        "Availability zone support for network.",
        "2015-01-01T10:00:00-00:00",
    ),
    _extension(
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    _extension(
        "port-security", "Port Security", "Provides port security", "2012-07-23T10:00:00-00:00"
    ),
    _extension(
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
        "2016-09-09T09:09:09-09:09",
    ),
    _extension(
        "provider",
        "Provider Network",
        "Expose mapping of virtual networks to physical networks",
        "2012-09-07T10:00:00-00:00",
    ),
    _extension(
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    _extension(
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
        "2016-02-10T10:00:00-00:00",
    ),
    _extension(
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
        "2016-04-11T10:00:00-00:00",
    ),
    _extension(
        "standard-attr-tag",
        "Tag support for resources with standard attribute: subnet, network, port",
        "Enables to set tag on resources with standard attribute.",
        "2017-01-01T00:00:00-00:00",
    ),
    _extension(
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
        "standard attributes.",
        "2016-09-12T10:00:00-00:00",
    ),
    _extension(
        "subnet-service-types",
        "Subnet service types",
        "Provides ability to set the subnet service_types field",
        "2016-03-15T18:00:00-00:00",
    ),
)


def list_extensions(call: Call) -> Reply:
    return Reply({"extensions": list(EXTENSIONS)})


def show_extension(call: Call) -> Reply:
    alias = call.params["alias"]
    for extension in EXTENSIONS:
        if extension["alias"] == alias:
            return Reply({"extension": extension})
    raise neutron_error(404, "HTTPNotFound", f"Extension with alias {alias} does not exist")
