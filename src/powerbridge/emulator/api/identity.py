"""Keystone v3 over HTTP: tokens, catalog, discovery, projects, users, roles, grants,
application credentials. Payloads follow the Identity API v3 reference exactly."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.backend.identity import (
    DEFAULT_DOMAIN_ID,
    DEFAULT_DOMAIN_NAME,
    AppCredential,
    Caller,
    Project,
    Role,
    User,
    require_admin,
)
from powerbridge.emulator.errors import bad_request, forbidden, not_found

SERVICE = ServiceInfo("identity", "keystone", "keystone.common.wsgi")
routes = RouteTable(SERVICE)

VERSION_ID = "v3.14"
VERSION_UPDATED = "2020-04-07T00:00:00Z"
CATALOG_SERVICES = (
    # (type, name, path under the service root or None for the root itself)
    ("identity", "keystone", "/v3"),
    ("compute", "nova", "/v2.1/{project_id}"),
    ("image", "glance", ""),
    ("network", "neutron", ""),
    ("volume", "cinder", "/v3/{project_id}"),
    ("volumev2", "cinderv2", "/v2/{project_id}"),
    ("volumev3", "cinderv3", "/v3/{project_id}"),
    ("block-storage", "cinder-block-storage", "/v3/{project_id}"),
)
SERVICE_OF_TYPE = {"volumev2": "volume", "volumev3": "volume", "block-storage": "volume"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _v3(call: Call) -> str:
    return call.emulator.identity_url(call.request)


# -- discovery --------------------------------------------------------------------------
def _version_doc(call: Call) -> dict[str, Any]:
    return {
        "id": VERSION_ID,
        "status": "stable",
        "updated": VERSION_UPDATED,
        "links": [{"rel": "self", "href": _v3(call) + "/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


@routes.get("/", public=True)
def versions(call: Call) -> Reply:
    return Reply({"versions": {"values": [_version_doc(call)]}}, status=300)


@routes.get("/v3", public=True)
def version_v3(call: Call) -> Reply:
    return Reply({"version": _version_doc(call)})


# -- tokens -----------------------------------------------------------------------------
def catalog(call: Call, project_id: str | None) -> list[dict[str, Any]]:
    if project_id is None:
        return []
    roots = tuple(
        call.emulator.service_url(SERVICE_OF_TYPE.get(service_type, service_type), call.request)
        for service_type, _, _ in CATALOG_SERVICES
    )
    return _catalog(roots, project_id, call.emulator.estate.region)


@lru_cache(maxsize=1024)  # every token issue and validation sends it: built once per project
def _catalog(roots: tuple[str, ...], project_id: str, region: str) -> list[dict[str, Any]]:
    """The catalog for service roots in CATALOG_SERVICES order (shared: never mutate it)."""
    entries = []
    for root, (service_type, name, path) in zip(roots, CATALOG_SERVICES, strict=True):
        url = root + path.format(project_id=project_id)
        endpoints = [
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{interface}:{url}").hex,
                "interface": interface,
                "region_id": region,
                "region": region,
                "url": url,
            }
            for interface in ("public", "internal", "admin")
        ]
        entries.append(
            {
                "endpoints": endpoints,
                "id": uuid.uuid5(uuid.NAMESPACE_DNS, name).hex,
                "type": service_type,
                "name": name,
            }
        )
    return entries


def _domain() -> dict[str, str]:
    return {"id": DEFAULT_DOMAIN_ID, "name": DEFAULT_DOMAIN_NAME}


def token_body(call: Call, caller: Caller, *, with_catalog: bool) -> dict[str, Any]:
    identity = call.emulator.identity
    token: dict[str, Any] = {
        "methods": list(caller.methods),
        "user": {
            "domain": _domain(),
            "id": caller.user_id,
            "name": caller.user_name,
            "password_expires_at": None,
        },
        "audit_ids": list(caller.audit_ids),
        "expires_at": iso(caller.expires_at),
        "issued_at": iso(caller.issued_at),
    }
    if caller.project_id:
        token["project"] = {
            "domain": _domain(),
            "id": caller.project_id,
            "name": caller.project_name,
        }
        token["is_domain"] = False
    elif caller.domain_scope:
        token["domain"] = _domain()
    if caller.project_id or caller.domain_scope:
        token["roles"] = [
            {"id": identity.role_by_name(n).id, "name": n}
            for n in caller.roles
            if _known_role(call, n)
        ]
    if caller.app_cred_id:
        cred = identity.app_creds[caller.app_cred_id]
        token["application_credential"] = {
            "id": cred.id,
            "name": cred.name,
            "restricted": not cred.unrestricted,
        }
    if with_catalog and caller.project_id:
        token["catalog"] = catalog(call, caller.project_id)
    return {"token": token}


def _known_role(call: Call, name: str) -> bool:
    return any(r.name == name for r in call.emulator.identity.roles.values())


@routes.post("/v3/auth/tokens", public=True)
def issue_token(call: Call) -> Reply:
    caller = call.emulator.identity.issue(call.body)
    body = token_body(call, caller, with_catalog="nocatalog" not in call.query)
    return Reply(body, status=201, headers={"x-subject-token": caller.token})


@routes.get("/v3/auth/tokens")
def validate_token(call: Call) -> Reply:
    subject = _subject(call)
    body = token_body(call, subject, with_catalog="nocatalog" not in call.query)
    return Reply(body, headers={"x-subject-token": subject.token})


@routes.delete("/v3/auth/tokens")
def revoke_token(call: Call) -> Reply:
    call.emulator.identity.revoke(call.auth, call.request.headers.get("x-subject-token"))
    return Reply(status=204)


def _subject(call: Call) -> Caller:
    subject = call.emulator.identity.subject(call.request.headers.get("x-subject-token"))
    if not call.auth.is_admin and subject.user_id != call.auth.user_id:
        raise forbidden(
            "You are not authorized to perform the requested action: identity:validate_token."
        )
    return subject


@routes.get("/v3/auth/catalog")
def auth_catalog(call: Call) -> Reply:
    if not call.auth.project_id:
        raise forbidden("The authenticated token is not scoped to a project: no catalog.")
    return Reply(
        {"catalog": catalog(call, call.auth.project_id), "links": _links(call, "/auth/catalog")}
    )


@routes.get("/v3/auth/projects")
def auth_projects(call: Call) -> Reply:
    projects = call.emulator.identity.user_projects(call.auth.user_id)
    return Reply(
        {"projects": [_project(call, p) for p in projects], "links": _links(call, "/auth/projects")}
    )


@routes.get("/v3/auth/domains")
def auth_domains(call: Call) -> Reply:
    return Reply({"domains": [_domain_wire(call)], "links": _links(call, "/auth/domains")})


# -- wire shapes ------------------------------------------------------------------------
def _links(call: Call, path: str) -> dict[str, Any]:
    return {"self": _v3(call) + path, "previous": None, "next": None}


def _project(call: Call, project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": project.domain_id,
        "description": project.description,
        "enabled": project.enabled,
        "parent_id": project.domain_id,
        "is_domain": False,
        "tags": list(project.tags),
        "options": {},
        "links": {"self": f"{_v3(call)}/projects/{project.id}"},
    }


def _user(call: Call, user: User) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": user.enabled,
        "password_expires_at": None,
        "options": {},
        "links": {"self": f"{_v3(call)}/users/{user.id}"},
    }
    if user.email:
        body["email"] = user.email
    if user.description:
        body["description"] = user.description
    if user.default_project_id:
        body["default_project_id"] = user.default_project_id
    return body


def _role(call: Call, role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "domain_id": None,
        "description": None,
        "options": {},
        "links": {"self": f"{_v3(call)}/roles/{role.id}"},
    }


def _domain_wire(call: Call) -> dict[str, Any]:
    return {
        "id": DEFAULT_DOMAIN_ID,
        "name": DEFAULT_DOMAIN_NAME,
        "enabled": True,
        "description": "The default domain",
        "tags": [],
        "options": {},
        "links": {"self": f"{_v3(call)}/domains/{DEFAULT_DOMAIN_ID}"},
    }


def _app_cred(call: Call, cred: AppCredential, secret: str | None = None) -> dict[str, Any]:
    identity = call.emulator.identity
    body: dict[str, Any] = {
        "id": cred.id,
        "name": cred.name,
        "description": cred.description or None,
        "user_id": cred.user_id,
        "project_id": cred.project_id,
        "roles": [
            {"id": r, "name": identity.roles[r].name, "domain_id": None}
            for r in cred.role_ids
            if r in identity.roles
        ],
        "expires_at": iso(cred.expires_at) if cred.expires_at else None,
        "unrestricted": cred.unrestricted,
        "access_rules": [],
        "links": {"self": f"{_v3(call)}/users/{cred.user_id}/application_credentials/{cred.id}"},
    }
    if secret is not None:
        body["secret"] = secret
    return body


def _entity(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise bad_request(
            f"Invalid input for field '{key}': the request body must be {{\"{key}\": {{...}}}}."
        )
    entity: dict[str, Any] = body[key]
    return entity


# -- request bodies: each field checked as keystone's JSON schemas do ---------------------
Check = Callable[[Any, str], Any]


def _name_of(limit: int) -> Check:
    """Keystone's name: 1 to `limit` characters, not only blanks (64 for projects)."""

    def check(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise bad_request(
                f"Invalid input for field '{key}': a string of 1 to {limit} characters is required."
            )
        return value

    return check


def _text(value: Any, key: str) -> str:
    """A nullable string; null reads as empty, which the records use for 'not set'."""
    return _string_or_null(value, key) or ""


def _string_or_null(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise bad_request(f"Invalid input for field '{key}': {_shown(value)} is not a string.")
    return value


def _boolean(value: Any, key: str) -> bool:
    if not isinstance(value, bool):  # keystone refuses "no", 0 and friends
        raise bad_request(f"Invalid input for field '{key}': {_shown(value)} is not a boolean.")
    return value


def _shown(value: Any) -> str:
    """The offending value for an error message, cut short: bodies can be large."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _tags(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(_is_tag(tag) for tag in value):
        raise bad_request(
            f"Invalid input for field '{key}': a list of strings of 1 to 255 characters "
            f"without '/' or ',' is required."
        )
    return list(value)


def _is_tag(tag: Any) -> bool:
    return isinstance(tag, str) and 0 < len(tag) <= 255 and "/" not in tag and "," not in tag


PROJECT_FIELDS: dict[str, Check] = {
    "name": _name_of(64),
    "description": _text,
    "enabled": _boolean,
    "tags": _tags,
}
USER_FIELDS: dict[str, Check] = {
    "name": _name_of(255),
    "password": _string_or_null,
    "email": _text,
    "enabled": _boolean,
    "default_project_id": _string_or_null,
    "description": _text,
}
ROLE_FIELDS: dict[str, Check] = {"name": _name_of(255), "description": _text}


def _fields(entity: dict[str, Any], checks: Mapping[str, Check], *, create: bool) -> dict[str, Any]:
    """The known fields of a create or update body, checked; other keys are ignored, as
    keystone keeps them as extras. A create needs a name, an update at least one field."""
    if create and "name" not in entity:
        raise bad_request("Invalid input for field 'name': 'name' is a required property.")
    if not create and not entity:
        raise bad_request("Invalid input: an update needs at least one field.")
    return {key: check(entity[key], key) for key, check in checks.items() if key in entity}


def _self_or_admin(call: Call, user_id: str, action: str) -> None:
    if call.auth.user_id != user_id:
        require_admin(call.auth, action)


# -- domains ----------------------------------------------------------------------------
@routes.get("/v3/domains")
def list_domains(call: Call) -> Reply:
    return Reply({"domains": [_domain_wire(call)], "links": _links(call, "/domains")})


@routes.get("/v3/domains/{domain_id}")
def show_domain(call: Call) -> Reply:
    if call.params["domain_id"] != DEFAULT_DOMAIN_ID:
        raise not_found(f"Could not find domain: {call.params['domain_id']}.")
    return Reply({"domain": _domain_wire(call)})


# -- projects ---------------------------------------------------------------------------
@routes.get("/v3/projects")
def list_projects(call: Call) -> Reply:
    identity = call.emulator.identity
    if call.auth.is_admin:
        projects = list(identity.projects.values())
    else:
        projects = identity.user_projects(call.auth.user_id)
    name = call.query.get("name")
    if name is not None:
        projects = [p for p in projects if p.name == name]
    return Reply(
        {"projects": [_project(call, p) for p in projects], "links": _links(call, "/projects")}
    )


@routes.post("/v3/projects")
def create_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_project")
    fields = _fields(_entity(call, "project"), PROJECT_FIELDS, create=True)
    project = call.emulator.identity.create_project(
        fields["name"],
        description=fields.get("description", ""),
        enabled=fields.get("enabled", True),
        tags=fields.get("tags", []),
    )
    return Reply({"project": _project(call, project)}, status=201)


@routes.get("/v3/projects/{project_id}")
def show_project(call: Call) -> Reply:
    project = call.emulator.identity.project(call.params["project_id"])
    if not call.auth.is_admin and project.id != call.auth.project_id:
        raise forbidden(
            "You are not authorized to perform the requested action: identity:get_project."
        )
    return Reply({"project": _project(call, project)})


@routes.patch("/v3/projects/{project_id}")
def update_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_project")
    changes = _fields(_entity(call, "project"), PROJECT_FIELDS, create=False)
    project = call.emulator.identity.update_project(call.params["project_id"], changes)
    return Reply({"project": _project(call, project)})


@routes.delete("/v3/projects/{project_id}")
def delete_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_project")
    call.emulator.identity.delete_project(call.params["project_id"])
    return Reply(status=204)


# -- users ------------------------------------------------------------------------------
@routes.get("/v3/users")
def list_users(call: Call) -> Reply:
    require_admin(call.auth, "identity:list_users")
    users = list(call.emulator.identity.users.values())
    name = call.query.get("name")
    if name is not None:
        users = [u for u in users if u.name == name]
    return Reply({"users": [_user(call, u) for u in users], "links": _links(call, "/users")})


@routes.post("/v3/users")
def create_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_user")
    fields = _fields(_entity(call, "user"), USER_FIELDS, create=True)
    user = call.emulator.identity.create_user(
        fields["name"],
        fields.get("password"),
        email=fields.get("email", ""),
        enabled=fields.get("enabled", True),
        default_project_id=fields.get("default_project_id"),
        description=fields.get("description", ""),
    )
    return Reply({"user": _user(call, user)}, status=201)


@routes.get("/v3/users/{user_id}")
def show_user(call: Call) -> Reply:
    _self_or_admin(call, call.params["user_id"], "identity:get_user")
    return Reply({"user": _user(call, call.emulator.identity.user(call.params["user_id"]))})


@routes.patch("/v3/users/{user_id}")
def update_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_user")
    changes = _fields(_entity(call, "user"), USER_FIELDS, create=False)
    user = call.emulator.identity.update_user(call.params["user_id"], changes)
    return Reply({"user": _user(call, user)})


@routes.delete("/v3/users/{user_id}")
def delete_user(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_user")
    call.emulator.identity.delete_user(call.params["user_id"])
    return Reply(status=204)


@routes.get("/v3/users/{user_id}/projects")
def list_user_projects(call: Call) -> Reply:
    _self_or_admin(call, call.params["user_id"], "identity:list_user_projects")
    projects = call.emulator.identity.user_projects(call.params["user_id"])
    return Reply(
        {
            "projects": [_project(call, p) for p in projects],
            "links": _links(call, f"/users/{call.params['user_id']}/projects"),
        }
    )


# -- roles and grants -------------------------------------------------------------------
@routes.get("/v3/roles")
def list_roles(call: Call) -> Reply:
    roles = list(call.emulator.identity.roles.values())
    name = call.query.get("name")
    if name is not None:
        roles = [r for r in roles if r.name == name]
    return Reply({"roles": [_role(call, r) for r in roles], "links": _links(call, "/roles")})


@routes.post("/v3/roles")
def create_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_role")
    fields = _fields(_entity(call, "role"), ROLE_FIELDS, create=True)
    role = call.emulator.identity.create_role(fields["name"])
    return Reply({"role": _role(call, role)}, status=201)


@routes.get("/v3/roles/{role_id}")
def show_role(call: Call) -> Reply:
    return Reply({"role": _role(call, call.emulator.identity.role(call.params["role_id"]))})


@routes.delete("/v3/roles/{role_id}")
def delete_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_role")
    call.emulator.identity.delete_role(call.params["role_id"])
    return Reply(status=204)


GRANT = "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"


@routes.put(GRANT)
def grant_role(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_grant")
    p = call.params
    call.emulator.identity.grant(p["user_id"], p["project_id"], p["role_id"])
    return Reply(status=204)


@routes.get(GRANT)
def check_grant(call: Call) -> Reply:
    p = call.params
    if not call.emulator.identity.has_grant(p["user_id"], p["project_id"], p["role_id"]):
        raise not_found(f"Could not find role assignment with role: {p['role_id']}.")
    return Reply(status=204)


@routes.delete(GRANT)
def revoke_grant(call: Call) -> Reply:
    require_admin(call.auth, "identity:revoke_grant")
    p = call.params
    call.emulator.identity.revoke_grant(p["user_id"], p["project_id"], p["role_id"])
    return Reply(status=204)


@routes.get("/v3/projects/{project_id}/users/{user_id}/roles")
def list_grants(call: Call) -> Reply:
    identity = call.emulator.identity
    p = call.params
    _self_or_admin(call, p["user_id"], "identity:list_grants")
    roles = [
        identity.roles[a.role_id]
        for a in identity.assignments.values()
        if a.user_id == p["user_id"]
        and a.project_id == p["project_id"]
        and a.role_id in identity.roles
    ]
    return Reply(
        {
            "roles": [_role(call, r) for r in roles],
            "links": _links(call, f"/projects/{p['project_id']}/users/{p['user_id']}/roles"),
        }
    )


@routes.get("/v3/role_assignments")
def list_role_assignments(call: Call) -> Reply:
    identity = call.emulator.identity
    query = call.query
    user_id = query.get("user.id")
    project_id = query.get("scope.project.id")
    if not call.auth.is_admin and user_id != call.auth.user_id:
        raise forbidden(
            "You are not authorized to perform the requested action: "
            "identity:list_role_assignments."
        )
    include_names = _query_flag(call, "include_names")
    rows = []
    for a in identity.assignments.values():
        if (user_id and a.user_id != user_id) or (project_id and a.project_id != project_id):
            continue
        role = identity.roles.get(a.role_id)
        if role is None:
            continue
        row: dict[str, Any] = {
            "role": {"id": role.id},
            "user": {"id": a.user_id},
            "scope": {"project": {"id": a.project_id}},
            "links": {
                "assignment": f"{_v3(call)}/projects/{a.project_id}/users/{a.user_id}"
                f"/roles/{role.id}"
            },
        }
        if include_names:
            row["role"]["name"] = role.name
            user = identity.users.get(a.user_id)
            project = identity.projects.get(a.project_id)
            row["user"].update({"name": user.name if user else None, "domain": _domain()})
            row["scope"]["project"].update(
                {"name": project.name if project else None, "domain": _domain()}
            )
        rows.append(row)
    return Reply({"role_assignments": rows, "links": _links(call, "/role_assignments")})


def _query_flag(call: Call, name: str) -> bool:
    """A boolean query parameter: present means true (`?include_names` alone included), but
    0/false/no/off mean false. Keystone itself only reads '0' as false; the other spellings
    are read the way clients that write them mean them."""
    value = call.query.get(name)
    return value is not None and value.strip().lower() not in ("0", "false", "no", "off")


# -- application credentials ------------------------------------------------------------
APP_CREDS = "/v3/users/{user_id}/application_credentials"


@routes.get(APP_CREDS)
def list_app_creds(call: Call) -> Reply:
    user_id = call.params["user_id"]
    _self_or_admin(call, user_id, "identity:list_application_credentials")
    creds = [c for c in call.emulator.identity.app_creds.values() if c.user_id == user_id]
    name = call.query.get("name")
    if name is not None:
        creds = [c for c in creds if c.name == name]
    return Reply(
        {
            "application_credentials": [_app_cred(call, c) for c in creds],
            "links": _links(call, f"/users/{user_id}/application_credentials"),
        }
    )


@routes.post(APP_CREDS)
def create_app_cred(call: Call) -> Reply:
    entity = _entity(call, "application_credential")
    cred, secret = call.emulator.identity.create_app_cred(call.auth, call.params["user_id"], entity)
    return Reply({"application_credential": _app_cred(call, cred, secret)}, status=201)


@routes.get(APP_CREDS + "/{cred_id}")
def show_app_cred(call: Call) -> Reply:
    user_id = call.params["user_id"]
    _self_or_admin(call, user_id, "identity:get_application_credential")
    cred = call.emulator.identity.app_cred(user_id, call.params["cred_id"])
    return Reply({"application_credential": _app_cred(call, cred)})


@routes.delete(APP_CREDS + "/{cred_id}")
def delete_app_cred(call: Call) -> Reply:
    user_id = call.params["user_id"]
    _self_or_admin(call, user_id, "identity:delete_application_credential")
    call.emulator.identity.delete_app_cred(user_id, call.params["cred_id"])
    return Reply(status=204)
