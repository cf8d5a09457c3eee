"""Glance's route table, one row per endpoint (no trailing-slash twins: `GET /v2/images/` is a
404 in glance). `/v2/images/detail` comes before `/v2/images/{image_id}` so it wins."""

from __future__ import annotations

from powerbridge.emulator.api.image import (
    images,
    info,
    listing,
    members,
    metadef_schemas,
    metadefs,
    patch,
    schemas,
    versions,
)
from powerbridge.emulator.api.image.common import SERVICE
from powerbridge.emulator.api.routing import Endpoint, RouteTable

NS = "/v2/metadefs/namespaces/{namespace}"

routes = RouteTable(
    SERVICE,
    endpoints=[
        Endpoint("GET", "/", versions.versions, public=True),
        Endpoint("GET", "/versions", versions.versions_explicit, public=True),
        Endpoint("GET", "/v2/images", listing.list_images),
        Endpoint("GET", "/v2/images/detail", listing.list_images_detail),
        Endpoint("POST", "/v2/images", images.create_image),
        Endpoint("GET", "/v2/images/{image_id}", images.show_image),
        Endpoint("PATCH", "/v2/images/{image_id}", patch.update_image, raw_body=True),
        Endpoint("DELETE", "/v2/images/{image_id}", images.delete_image),
        Endpoint("PUT", "/v2/images/{image_id}/file", images.upload_data, raw_body=True),
        Endpoint("GET", "/v2/images/{image_id}/file", images.download_data),
        Endpoint("PUT", "/v2/images/{image_id}/tags/{tag}", images.add_tag),
        Endpoint("DELETE", "/v2/images/{image_id}/tags/{tag}", images.remove_tag),
        Endpoint("POST", "/v2/images/{image_id}/actions/deactivate", images.deactivate),
        Endpoint("POST", "/v2/images/{image_id}/actions/reactivate", images.reactivate),
        Endpoint("GET", "/v2/images/{image_id}/members", members.list_members),
        Endpoint("POST", "/v2/images/{image_id}/members", members.add_member),
        Endpoint("GET", "/v2/images/{image_id}/members/{member_id}", members.show_member),
        Endpoint("PUT", "/v2/images/{image_id}/members/{member_id}", members.update_member),
        Endpoint("DELETE", "/v2/images/{image_id}/members/{member_id}", members.remove_member),
        Endpoint("GET", "/v2/schemas/metadefs/{kind}", metadef_schemas.show_schema),
        Endpoint("GET", "/v2/info/import", info.import_info),
        Endpoint("GET", "/v2/images/{image_id}/tasks", info.image_tasks),
        Endpoint("GET", "/v2/metadefs/resource_types", metadefs.list_resource_types),
        Endpoint("GET", "/v2/metadefs/namespaces", metadefs.list_namespaces),
        Endpoint("POST", "/v2/metadefs/namespaces", metadefs.create_namespace),
        Endpoint("GET", NS, metadefs.show_namespace),
        Endpoint("PUT", NS, metadefs.update_namespace),
        Endpoint("DELETE", NS, metadefs.delete_namespace),
        Endpoint("GET", NS + "/resource_types", metadefs.list_associations),
        Endpoint("POST", NS + "/resource_types", metadefs.create_association),
        Endpoint("DELETE", NS + "/resource_types/{name}", metadefs.delete_association),
        Endpoint("GET", NS + "/objects", metadefs.list_objects),
        Endpoint("POST", NS + "/objects", metadefs.create_object),
        Endpoint("GET", NS + "/objects/{name}", metadefs.show_object),
        Endpoint("PUT", NS + "/objects/{name}", metadefs.update_object),
        Endpoint("DELETE", NS + "/objects/{name}", metadefs.delete_object),
        Endpoint("GET", NS + "/properties", metadefs.list_properties),
        Endpoint("POST", NS + "/properties", metadefs.create_property),
        Endpoint("GET", NS + "/properties/{name}", metadefs.show_property),
        Endpoint("PUT", NS + "/properties/{name}", metadefs.update_property),
        Endpoint("DELETE", NS + "/properties/{name}", metadefs.delete_property),
        Endpoint("GET", NS + "/tags", metadefs.list_tags),
        Endpoint("POST", NS + "/tags", metadefs.create_tags),
        Endpoint("DELETE", NS + "/tags", metadefs.delete_tags),
        Endpoint("GET", NS + "/tags/{name}", metadefs.show_tag),
        Endpoint("POST", NS + "/tags/{name}", metadefs.create_tag),
        Endpoint("PUT", NS + "/tags/{name}", metadefs.update_tag),
        Endpoint("DELETE", NS + "/tags/{name}", metadefs.delete_tag),
        Endpoint("GET", "/v2/schemas/image", schemas.show_image_schema),
        Endpoint("GET", "/v2/schemas/images", schemas.show_images_schema),
        Endpoint("GET", "/v2/schemas/member", schemas.show_member_schema),
        Endpoint("GET", "/v2/schemas/members", schemas.show_members_schema),
    ],
    trailing_slash=False,
)
