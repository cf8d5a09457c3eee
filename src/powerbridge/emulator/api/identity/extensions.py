"""Keystone's smaller extensions over HTTP, admin-only as keystone's default policy has them:
endpoint groups (`/v3/OS-EP-FILTER/endpoint_groups`), OAuth1 consumers
(`/v3/OS-OAUTH1/consumers`) and domain-specific configuration (`/v3/domains/{domain_id}/config`
and keystone's defaults under `/v3/domains/config/.../default`)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.identity.common import (
    Check,
    checked_fields,
    entity_of,
    links,
    name_of,
    text,
    v3_url,
)
from powerbridge.emulator.api.routing import Call, Endpoint, Reply
from powerbridge.emulator.backend.identity_extensions import (
    DEFAULT_CONFIG,
    Consumer,
    EndpointGroup,
    check_option,
)
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import bad_request, not_found

EP_GROUPS = "/v3/OS-EP-FILTER/endpoint_groups"
CONSUMERS = "/v3/OS-OAUTH1/consumers"
CONFIG = "/v3/domains/{domain_id}/config"


def _filters(value: Any, key: str) -> Any:
    return value  # checked by the backend, with keystone's list of filter keys


EP_GROUP_FIELDS: dict[str, Check] = {"name": name_of(255), "description": text, "filters": _filters}


# -- endpoint groups --------------------------------------------------------------------
def _group_view(call: Call, group: EndpointGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "filters": dict(group.filters),
        "links": {"self": f"{v3_url(call)}/OS-EP-FILTER/endpoint_groups/{group.id}"},
    }


def list_endpoint_groups(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_endpoint_groups")
    groups = list(call.emulator.identity.endpoint_groups.values())
    name = call.query.get("name")
    if name is not None:
        groups = [g for g in groups if g.name == name]
    return Reply(
        {
            "endpoint_groups": [_group_view(call, g) for g in groups],
            "links": links(call, "/OS-EP-FILTER/endpoint_groups"),
        }
    )


def create_endpoint_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_endpoint_group")
    entity = entity_of(call, "endpoint_group")
    if "filters" not in entity:
        raise bad_request("Invalid input for field 'filters': 'filters' is a required property.")
    fields = checked_fields(entity, EP_GROUP_FIELDS, create=True)
    group = call.emulator.identity.create_endpoint_group(fields)
    return Reply({"endpoint_group": _group_view(call, group)}, status=201)


def show_endpoint_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_endpoint_group")
    group = call.emulator.identity.endpoint_group(call.params["endpoint_group_id"])
    return Reply({"endpoint_group": _group_view(call, group)})


def update_endpoint_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_endpoint_group")
    fields = checked_fields(entity_of(call, "endpoint_group"), EP_GROUP_FIELDS, create=False)
    group = call.emulator.identity.update_endpoint_group(call.params["endpoint_group_id"], fields)
    return Reply({"endpoint_group": _group_view(call, group)})


def delete_endpoint_group(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_endpoint_group")
    call.emulator.identity.delete_endpoint_group(call.params["endpoint_group_id"])
    return Reply(status=204)


# -- OAuth1 consumers -------------------------------------------------------------------
def _consumer_view(call: Call, consumer: Consumer, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": consumer.id,
        "description": consumer.description,
        "links": {"self": f"{v3_url(call)}/OS-OAUTH1/consumers/{consumer.id}"},
    }
    if secret is not None:  # shown once, at creation, as keystone shows it
        body["secret"] = secret
    return body


def _description(call: Call) -> str:
    body = call.body if isinstance(call.body, dict) else None
    entity = body.get("consumer") if body is not None else None
    if not isinstance(entity, dict):
        raise bad_request("Invalid input for field 'consumer': an object is required.")
    if "secret" in entity:
        raise bad_request("Invalid input for field 'secret': it cannot be set.")
    return text(entity.get("description"), "description")


def list_consumers(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_consumers")
    consumers = call.emulator.identity.consumers.values()
    return Reply(
        {
            "consumers": [_consumer_view(call, c) for c in consumers],
            "links": links(call, "/OS-OAUTH1/consumers"),
        }
    )


def create_consumer(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_consumer")
    consumer, secret = call.emulator.identity.create_consumer(_description(call))
    return Reply({"consumer": _consumer_view(call, consumer, secret)}, status=201)


def show_consumer(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_consumer")
    consumer = call.emulator.identity.consumer(call.params["consumer_id"])
    return Reply({"consumer": _consumer_view(call, consumer)})


def update_consumer(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_consumer")
    consumer = call.emulator.identity.update_consumer(
        call.params["consumer_id"], _description(call)
    )
    return Reply({"consumer": _consumer_view(call, consumer)})


def delete_consumer(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_consumer")
    call.emulator.identity.delete_consumer(call.params["consumer_id"])
    return Reply(status=204)


# -- domain-specific configuration ------------------------------------------------------
def _config_body(call: Call) -> Any:
    body = call.body if isinstance(call.body, dict) else {}
    return body.get("config", {})


def _group_option(call: Call) -> tuple[str | None, str | None]:
    return call.params.get("group"), call.params.get("option")


def show_config(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_domain_config")
    group, option = _group_option(call)
    config = call.emulator.identity.domain_config(call.params["domain_id"], group, option)
    return Reply({"config": config})


def replace_config(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_domain_config")
    identity = call.emulator.identity
    config, created = identity.replace_domain_config(call.params["domain_id"], _config_body(call))
    return Reply({"config": config}, status=201 if created else 200)


def update_config(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_domain_config")
    group, option = _group_option(call)
    identity = call.emulator.identity
    config = identity.update_domain_config(
        call.params["domain_id"], _config_body(call), group, option
    )
    return Reply({"config": config})


def delete_config(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_domain_config")
    group, option = _group_option(call)
    call.emulator.identity.delete_domain_config(call.params["domain_id"], group, option)
    return Reply(status=204)


def show_default_config(call: Call) -> Reply:
    require_admin(call.auth, "identity:get_domain_config_default")
    group, option = _group_option(call)
    if group is None:
        return Reply({"config": DEFAULT_CONFIG})
    check_option(group, option)
    if option is None:
        return Reply({"config": {group: DEFAULT_CONFIG[group]}})
    if option not in DEFAULT_CONFIG[group]:
        raise not_found(f"Could not find {group}:{option} in the default configuration.")
    return Reply({"config": {option: DEFAULT_CONFIG[group][option]}})


def extension_routes() -> list[Endpoint]:
    group_one = EP_GROUPS + "/{endpoint_group_id}"
    consumer_one = CONSUMERS + "/{consumer_id}"
    routes = [
        Endpoint("GET", EP_GROUPS, list_endpoint_groups),
        Endpoint("POST", EP_GROUPS, create_endpoint_group),
        Endpoint("GET", group_one, show_endpoint_group),
        Endpoint("PATCH", group_one, update_endpoint_group),
        Endpoint("DELETE", group_one, delete_endpoint_group),
        Endpoint("GET", CONSUMERS, list_consumers),
        Endpoint("POST", CONSUMERS, create_consumer),
        Endpoint("GET", consumer_one, show_consumer),
        Endpoint("PATCH", consumer_one, update_consumer),
        Endpoint("DELETE", consumer_one, delete_consumer),
        Endpoint("GET", "/v3/domains/config/default", show_default_config),
        Endpoint("GET", "/v3/domains/config/{group}/default", show_default_config),
        Endpoint("GET", "/v3/domains/config/{group}/{option}/default", show_default_config),
        Endpoint("PUT", CONFIG, replace_config),
    ]
    for path in (CONFIG, CONFIG + "/{group}", CONFIG + "/{group}/{option}"):
        routes += [
            Endpoint("GET", path, show_config),
            Endpoint("PATCH", path, update_config),
            Endpoint("DELETE", path, delete_config),
        ]
    return routes
