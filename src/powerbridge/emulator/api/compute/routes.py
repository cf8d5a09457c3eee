"""Nova's route table, one row per endpoint.

`nova` rows answer both with and without the project id in the path (`/v2.1/<project_id>/servers`
and `/v2.1/servers`), as nova does, behind its check that the path's project is the token's.
Among paths of the same shape the first row wins (`/flavors/detail` before `/flavors/{id}`).
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute import (
    aggregates,
    availability_zones,
    dro_events,
    flavors,
    hypervisors,
    images,
    keypairs,
    maintenance,
    misc,
    powervc_clone,
    powervc_hosts,
    quotas,
    scgs,
    server_groups,
    server_metadata,
    server_volumes,
    servers,
)
from powerbridge.emulator.api.compute.common import SERVICE, project_scoped
from powerbridge.emulator.api.microversions import COMPUTE
from powerbridge.emulator.api.routing import Endpoint, Handler, RouteTable


def nova(method: str, path: str, handler: Handler, **options: Any) -> tuple[Endpoint, Endpoint]:
    scoped = project_scoped(handler)
    return (
        Endpoint(method, "/v2.1" + path, scoped, **options),
        Endpoint(method, "/v2.1/{project_id}" + path, scoped, **options),
    )


routes = RouteTable(
    SERVICE,
    COMPUTE,
    [
        *nova("GET", "/os-aggregates", aggregates.list_aggregates),
        *nova("POST", "/os-aggregates", aggregates.create_aggregate),
        *nova("GET", "/os-aggregates/{aggregate_id}", aggregates.show_aggregate),
        *nova("PUT", "/os-aggregates/{aggregate_id}", aggregates.update_aggregate),
        *nova("DELETE", "/os-aggregates/{aggregate_id}", aggregates.delete_aggregate),
        *nova("POST", "/os-aggregates/{aggregate_id}/action", aggregates.aggregate_action),
        Endpoint("GET", "/", misc.versions, public=True, microversions=None),
        Endpoint("GET", "/v2.1", misc.version_v21, public=True, microversions=None),
        *nova("GET", "/limits", misc.limits),
        *nova("GET", "/dro-events", dro_events.list_dro_events),
        *nova("GET", "/os-availability-zone", availability_zones.availability_zones),
        *nova("GET", "/os-availability-zone/detail", availability_zones.availability_zones_detail),
        *nova("GET", "/flavors", flavors.list_flavors),
        *nova("GET", "/flavors/detail", flavors.list_flavors_detail),
        *nova("GET", "/flavors/{flavor_id}", flavors.show_flavor),
        *nova("POST", "/flavors", flavors.create_flavor),
        *nova("PUT", "/flavors/{flavor_id}", flavors.update_flavor),
        *nova("DELETE", "/flavors/{flavor_id}", flavors.delete_flavor),
        *nova("GET", "/flavors/{flavor_id}/os-extra_specs", flavors.list_extra_specs),
        *nova("POST", "/flavors/{flavor_id}/os-extra_specs", flavors.set_extra_specs),
        *nova("GET", "/flavors/{flavor_id}/os-extra_specs/{key}", flavors.show_extra_spec),
        *nova("PUT", "/flavors/{flavor_id}/os-extra_specs/{key}", flavors.update_extra_spec),
        *nova("DELETE", "/flavors/{flavor_id}/os-extra_specs/{key}", flavors.delete_extra_spec),
        *nova("GET", "/os-hypervisors", hypervisors.list_hypervisors),
        *nova("GET", "/os-hypervisors/detail", hypervisors.list_hypervisors_detail),
        *nova("GET", "/os-hypervisors/statistics", hypervisors.hypervisor_statistics),
        *nova("GET", "/os-hypervisors/{hypervisor_id}", hypervisors.show_hypervisor),
        *nova("GET", "/os-hypervisors/{hypervisor_id}/uptime", hypervisors.hypervisor_uptime),
        *nova("GET", "/os-hypervisors/{pattern}/search", hypervisors.search_hypervisors),
        *nova("GET", "/os-hypervisors/{pattern}/servers", hypervisors.hypervisor_servers),
        *nova("GET", "/os-hosts", hypervisors.list_hosts),
        *nova("GET", "/os-hosts/{host_name}", hypervisors.show_host),
        *nova("GET", "/os-hosts/{host}/all-servers", powervc_hosts.all_servers),
        *nova("POST", "/os-hosts/{host}/onboard", powervc_hosts.onboard),
        *nova("POST", "/os-hosts/{host}/unmanage", powervc_hosts.unmanage),
        *nova("POST", "/os-hosts/{host}/ibm-evacuate", powervc_hosts.ibm_evacuate),
        *nova("GET", "/images", images.list_images),
        *nova("GET", "/images/detail", images.list_images_detail),
        *nova("GET", "/images/{image_id}", images.show_image),
        *nova("DELETE", "/images/{image_id}", images.delete_image),
        *nova("GET", "/images/{image_id}/metadata", images.show_metadata),
        *nova("POST", "/images/{image_id}/metadata", images.update_metadata),
        *nova("PUT", "/images/{image_id}/metadata", images.replace_metadata),
        *nova("GET", "/images/{image_id}/metadata/{key}", images.show_metadata_item),
        *nova("PUT", "/images/{image_id}/metadata/{key}", images.set_metadata_item),
        *nova("DELETE", "/images/{image_id}/metadata/{key}", images.delete_metadata_item),
        *nova("GET", "/os-keypairs", keypairs.list_keypairs),
        *nova("POST", "/os-keypairs", keypairs.create_keypair),
        *nova("GET", "/os-keypairs/{name}", keypairs.show_keypair),
        *nova("DELETE", "/os-keypairs/{name}", keypairs.delete_keypair),
        *nova("GET", "/ego/prs/hypervisor_maintenance/{host}", maintenance.show_maintenance),
        *nova("PUT", "/ego/prs/hypervisor_maintenance/{host}", maintenance.set_maintenance),
        *nova("GET", "/os-quota-sets/{tenant_id}", quotas.show_quotas),
        *nova("GET", "/os-quota-sets/{tenant_id}/defaults", quotas.show_defaults),
        *nova("GET", "/os-quota-sets/{tenant_id}/detail", quotas.show_detail),
        *nova("PUT", "/os-quota-sets/{tenant_id}", quotas.update_quotas),
        *nova("DELETE", "/os-quota-sets/{tenant_id}", quotas.reset_quotas),
        *nova("GET", "/storage-connectivity-groups", scgs.list_scgs),
        *nova("GET", "/storage-connectivity-groups/detail", scgs.list_scgs_detail),
        *nova("POST", "/storage-connectivity-groups", scgs.create_scg),
        *nova("GET", "/storage-connectivity-groups/{scg_id}", scgs.show_scg),
        *nova("PUT", "/storage-connectivity-groups/{scg_id}", scgs.update_scg),
        *nova("DELETE", "/storage-connectivity-groups/{scg_id}", scgs.delete_scg),
        *nova("GET", "/storage-connectivity-groups/{scg_id}/volume-types", scgs.scg_volume_types),
        *nova("GET", "/os-server-groups", server_groups.list_server_groups),
        *nova("POST", "/os-server-groups", server_groups.create_server_group),
        *nova("GET", "/os-server-groups/{group_id}", server_groups.show_server_group),
        *nova("DELETE", "/os-server-groups/{group_id}", server_groups.delete_server_group),
        *nova("POST", "/servers", servers.create_server),
        *nova("GET", "/servers", servers.list_servers),
        *nova("GET", "/servers/detail", servers.list_servers_detail),
        *nova("GET", "/servers/get_progress", powervc_clone.get_progress),
        *nova("GET", "/servers/{server_id}", servers.show_server),
        *nova("PUT", "/servers/{server_id}", servers.update_server),
        *nova("DELETE", "/servers/{server_id}", servers.delete_server),
        *nova("POST", "/servers/{server_id}/action", servers.server_action),
        *nova("GET", "/servers/{server_id}/metadata", server_metadata.list_metadata),
        *nova("POST", "/servers/{server_id}/metadata", server_metadata.merge_metadata),
        *nova("PUT", "/servers/{server_id}/metadata", server_metadata.replace_metadata),
        *nova("GET", "/servers/{server_id}/metadata/{key}", server_metadata.show_metadata_item),
        *nova("PUT", "/servers/{server_id}/metadata/{key}", server_metadata.set_metadata_item),
        *nova(
            "DELETE", "/servers/{server_id}/metadata/{key}", server_metadata.delete_metadata_item
        ),
        *nova("GET", "/servers/{server_id}/ips", servers.list_addresses),
        *nova("GET", "/servers/{server_id}/ips/{network}", servers.list_addresses_by_network),
        *nova("GET", "/servers/{server_id}/os-volume_attachments", server_volumes.list_attachments),
        *nova("POST", "/servers/{server_id}/os-volume_attachments", server_volumes.attach_volume),
        *nova(
            "GET",
            "/servers/{server_id}/os-volume_attachments/{volume_id}",
            server_volumes.show_attachment,
        ),
        *nova(
            "DELETE",
            "/servers/{server_id}/os-volume_attachments/{volume_id}",
            server_volumes.detach_volume,
        ),
        *nova("GET", "/servers/{server_id}/os-instance-actions", servers.list_instance_actions),
        *nova(
            "GET",
            "/servers/{server_id}/os-instance-actions/{request_id}",
            servers.show_instance_action,
        ),
    ],
)
