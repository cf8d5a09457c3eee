"""Glance's route table, one row per endpoint (no trailing-slash twins: `GET /v2/images/` is a
404 in glance). `/v2/images/detail` comes before `/v2/images/{image_id}` so it wins."""

from __future__ import annotations

from powerbridge.emulator.api.image import images, listing, members, patch, schemas, versions
from powerbridge.emulator.api.image.common import SERVICE
from powerbridge.emulator.api.routing import Endpoint, RouteTable

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
        Endpoint("GET", "/v2/schemas/image", schemas.show_image_schema),
        Endpoint("GET", "/v2/schemas/images", schemas.show_images_schema),
        Endpoint("GET", "/v2/schemas/member", schemas.show_member_schema),
        Endpoint("GET", "/v2/schemas/members", schemas.show_members_schema),
    ],
    trailing_slash=False,
)
