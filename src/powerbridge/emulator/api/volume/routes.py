"""Cinder's route table, one row per endpoint.

`both` rows answer under `/v2/{project_id}` (no microversions) and `/v3/{project_id}`
(microversions 3.0 to 3.59); user messages exist in v3 only. No trailing-slash twins (a 404 in
cinder). Among paths of the same shape the first row wins (`/volumes/detail` before
`/volumes/{volume_id}`).
"""

from __future__ import annotations

from powerbridge.emulator.api.microversions import VOLUME_V3
from powerbridge.emulator.api.routing import Endpoint, Handler, RouteTable
from powerbridge.emulator.api.volume import (
    actions,
    admin,
    extensions,
    group_types,
    groups,
    instance_snapshots,
    limits,
    messages,
    powervc_hosts,
    qos,
    quotas,
    snapshot_actions,
    snapshots,
    storage_providers,
    transfers,
    type_access,
    types,
    versions,
    volumes,
)
from powerbridge.emulator.api.volume.common import SERVICE
from powerbridge.emulator.api.volume.metadata import SNAPSHOT_METADATA, VOLUME_METADATA


def both(method: str, path: str, handler: Handler) -> tuple[Endpoint, Endpoint]:
    return (
        Endpoint(method, "/v2/{project_id}" + path, handler, microversions=None),
        Endpoint(method, "/v3/{project_id}" + path, handler),
    )


def _v3(method: str, path: str, handler: Handler) -> Endpoint:
    return Endpoint(method, "/v3/{project_id}" + path, handler)


# generic volume groups exist in v3 only; each handler checks its own minimum microversion
GROUP_TYPE = "/group_types/{group_type_id}"
GROUP = "/groups/{volume_group_id}"
GROUP_SNAPSHOT = "/group_snapshots/{group_snapshot_id}"
GROUP_ROUTES = (
    _v3("GET", "/group_types", group_types.list_group_types),
    _v3("GET", "/group_types/default", group_types.default_group_type),
    _v3("POST", "/group_types", group_types.create_group_type),
    _v3("GET", GROUP_TYPE, group_types.show_group_type),
    _v3("PUT", GROUP_TYPE, group_types.update_group_type),
    _v3("DELETE", GROUP_TYPE, group_types.delete_group_type),
    _v3("GET", GROUP_TYPE + "/group_specs", group_types.list_group_specs),
    _v3("POST", GROUP_TYPE + "/group_specs", group_types.create_group_specs),
    _v3("GET", GROUP_TYPE + "/group_specs/{key}", group_types.show_group_spec),
    _v3("PUT", GROUP_TYPE + "/group_specs/{key}", group_types.update_group_spec),
    _v3("DELETE", GROUP_TYPE + "/group_specs/{key}", group_types.delete_group_spec),
    _v3("GET", "/groups", groups.list_groups),
    _v3("GET", "/groups/detail", groups.list_groups_detail),
    _v3("POST", "/groups", groups.create_group),
    _v3("POST", "/groups/action", groups.create_from_source),
    _v3("GET", GROUP, groups.show_group),
    _v3("PUT", GROUP, groups.update_group),
    _v3("POST", GROUP + "/action", groups.group_action),
    _v3("GET", "/group_snapshots", groups.list_group_snapshots),
    _v3("GET", "/group_snapshots/detail", groups.list_group_snapshots_detail),
    _v3("POST", "/group_snapshots", groups.create_group_snapshot),
    _v3("GET", GROUP_SNAPSHOT, groups.show_group_snapshot),
    _v3("DELETE", GROUP_SNAPSHOT, groups.delete_group_snapshot),
    _v3("POST", GROUP_SNAPSHOT + "/action", groups.group_snapshot_action),
)


routes = RouteTable(
    SERVICE,
    VOLUME_V3,
    [
        Endpoint("GET", "/", versions.versions, public=True, microversions=None),
        Endpoint("GET", "/v3", versions.version_v3, public=True),
        Endpoint("GET", "/v2", versions.version_v2, public=True, microversions=None),
        *both("GET", "/volumes", volumes.list_volumes),
        *both("GET", "/volumes/detail", volumes.list_volumes_detail),
        *both("GET", "/volumes/summary", volumes.volume_summary),
        *both("POST", "/volumes", volumes.create_volume),
        *both("GET", "/volumes/{volume_id}", volumes.show_volume),
        *both("PUT", "/volumes/{volume_id}", volumes.update_volume),
        *both("DELETE", "/volumes/{volume_id}", volumes.delete_volume),
        *both("GET", "/volumes/{volume_id}/metadata", VOLUME_METADATA.show),
        *both("POST", "/volumes/{volume_id}/metadata", VOLUME_METADATA.merge),
        *both("PUT", "/volumes/{volume_id}/metadata", VOLUME_METADATA.replace),
        *both("GET", "/volumes/{volume_id}/metadata/{key}", VOLUME_METADATA.show_item),
        *both("PUT", "/volumes/{volume_id}/metadata/{key}", VOLUME_METADATA.update_item),
        *both("DELETE", "/volumes/{volume_id}/metadata/{key}", VOLUME_METADATA.delete_item),
        *both("POST", "/volumes/{volume_id}/action", actions.volume_action),
        *both("GET", "/types", types.list_types),
        *both("GET", "/types/default", types.default_type),
        *both("GET", "/types/{type_id}", types.show_type),
        *both("POST", "/types", types.create_type),
        *both("PUT", "/types/{type_id}", types.update_type),
        *both("DELETE", "/types/{type_id}", types.delete_type),
        *both("GET", "/types/{type_id}/os-volume-type-access", type_access.list_access),
        *both("POST", "/types/{type_id}/action", type_access.type_action),
        *both("GET", "/types/{type_id}/extra_specs", types.list_extra_specs),
        *both("POST", "/types/{type_id}/extra_specs", types.create_extra_specs),
        *both("GET", "/types/{type_id}/extra_specs/{key}", types.show_extra_spec),
        *both("PUT", "/types/{type_id}/extra_specs/{key}", types.update_extra_spec),
        *both("DELETE", "/types/{type_id}/extra_specs/{key}", types.delete_extra_spec),
        *GROUP_ROUTES,
        *both("GET", "/os-volume-transfer", transfers.list_transfers),
        *both("GET", "/os-volume-transfer/detail", transfers.list_transfers_detail),
        *both("POST", "/os-volume-transfer", transfers.create_transfer),
        *both("GET", "/os-volume-transfer/{transfer_id}", transfers.show_transfer),
        *both("DELETE", "/os-volume-transfer/{transfer_id}", transfers.delete_transfer),
        *both("POST", "/os-volume-transfer/{transfer_id}/accept", transfers.accept_transfer),
        Endpoint("GET", "/v3/{project_id}/volume-transfers", transfers.list_transfers),
        Endpoint(
            "GET", "/v3/{project_id}/volume-transfers/detail", transfers.list_transfers_detail
        ),
        Endpoint("POST", "/v3/{project_id}/volume-transfers", transfers.create_transfer),
        Endpoint("GET", "/v3/{project_id}/volume-transfers/{transfer_id}", transfers.show_transfer),
        Endpoint(
            "DELETE", "/v3/{project_id}/volume-transfers/{transfer_id}", transfers.delete_transfer
        ),
        Endpoint(
            "POST",
            "/v3/{project_id}/volume-transfers/{transfer_id}/accept",
            transfers.accept_transfer,
        ),
        *both("GET", "/qos-specs", qos.list_specs),
        *both("POST", "/qos-specs", qos.create_spec),
        *both("GET", "/qos-specs/{qos_id}", qos.show_spec),
        *both("PUT", "/qos-specs/{qos_id}", qos.set_keys),
        *both("DELETE", "/qos-specs/{qos_id}", qos.delete_spec),
        *both("PUT", "/qos-specs/{qos_id}/delete_keys", qos.delete_keys),
        *both("GET", "/qos-specs/{qos_id}/associations", qos.associations),
        *both("GET", "/qos-specs/{qos_id}/associate", qos.associate),
        *both("GET", "/qos-specs/{qos_id}/disassociate", qos.disassociate),
        *both("GET", "/qos-specs/{qos_id}/disassociate_all", qos.disassociate_all),
        *both("GET", "/limits", limits.limits),
        *both("GET", "/scheduler-stats/get_pools", limits.get_pools),
        *both("GET", "/os-availability-zone", limits.availability_zones),
        *both("GET", "/os-services", limits.list_services),
        *both("PUT", "/os-services/{action}", admin.update_service),
        *both("GET", "/os-hosts", admin.list_hosts),
        *both("GET", "/os-hosts/{host_name}", admin.show_host),
        *both("GET", "/capabilities/{host}", admin.show_capabilities),
        *both("GET", "/os-quota-sets/{target_project_id}/defaults", quotas.quota_defaults),
        *both("GET", "/os-quota-sets/{target_project_id}", quotas.show_quota),
        *both("PUT", "/os-quota-sets/{target_project_id}", quotas.update_quota),
        *both("DELETE", "/os-quota-sets/{target_project_id}", quotas.delete_quota),
        *both("GET", "/os-quota-class-sets/{class_name}", quotas.show_quota_class),
        *both("PUT", "/os-quota-class-sets/{class_name}", quotas.update_quota_class),
        *both("GET", "/storage-providers", storage_providers.list_storage_providers),
        *both("GET", "/storage-providers/detail", storage_providers.list_storage_providers_detail),
        *both("GET", "/storage-providers/{provider_id}", storage_providers.show_storage_provider),
        *both("GET", "/extensions", extensions.list_extensions),
        *both("GET", "/instance-snapshots", instance_snapshots.list_instance_snapshots),
        *both("GET", "/instance-snapshots/get_progress", instance_snapshots.get_progress),
        *both(
            "GET",
            "/instance-snapshots/{instance_snapshot_id}",
            instance_snapshots.show_instance_snapshot,
        ),
        *both(
            "DELETE",
            "/instance-snapshots/{instance_snapshot_id}",
            instance_snapshots.delete_instance_snapshot,
        ),
        *both("GET", "/os-hosts/{host}/all-volumes", powervc_hosts.all_volumes),
        *both("POST", "/os-hosts/{host}/onboard", powervc_hosts.onboard),
        *both("POST", "/os-hosts/{host}/unmanage", powervc_hosts.unmanage),
        Endpoint("GET", "/v3/{project_id}/messages", messages.list_messages),
        Endpoint("GET", "/v3/{project_id}/messages/{message_id}", messages.show_message),
        Endpoint("DELETE", "/v3/{project_id}/messages/{message_id}", messages.delete_message),
        *both("GET", "/snapshots", snapshots.list_snapshots),
        *both("GET", "/snapshots/detail", snapshots.list_snapshots_detail),
        *both("POST", "/snapshots", snapshots.create_snapshot),
        *both("GET", "/snapshots/{snapshot_id}", snapshots.show_snapshot),
        *both("PUT", "/snapshots/{snapshot_id}", snapshots.update_snapshot),
        *both("DELETE", "/snapshots/{snapshot_id}", snapshots.delete_snapshot),
        *both("GET", "/snapshots/{snapshot_id}/metadata", SNAPSHOT_METADATA.show),
        *both("POST", "/snapshots/{snapshot_id}/metadata", SNAPSHOT_METADATA.merge),
        *both("PUT", "/snapshots/{snapshot_id}/metadata", SNAPSHOT_METADATA.replace),
        *both("GET", "/snapshots/{snapshot_id}/metadata/{key}", SNAPSHOT_METADATA.show_item),
        *both("PUT", "/snapshots/{snapshot_id}/metadata/{key}", SNAPSHOT_METADATA.update_item),
        *both("DELETE", "/snapshots/{snapshot_id}/metadata/{key}", SNAPSHOT_METADATA.delete_item),
        *both("POST", "/snapshots/{snapshot_id}/action", snapshot_actions.snapshot_action),
    ],
    trailing_slash=False,
)
