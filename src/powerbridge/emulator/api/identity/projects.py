"""Keystone's projects over HTTP: `/v3/projects` with its filters (name, domain_id, enabled,
parent_id, is_domain, tags), a project's parents and subtree, and its tags
(`/v3/projects/{project_id}/tags[/{tag}]`).

A domain is a project acting as a domain in keystone: `is_domain: true` creates one, the
project routes read, update and delete it by its id, and `?is_domain=true` lists them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from powerbridge.emulator.api.identity.common import (
    FALSE_WORDS,
    Check,
    boolean,
    checked_fields,
    entity_of,
    extras,
    filtered,
    is_tag,
    links,
    name_of,
    query_flag,
    string_or_null,
    tags,
    text,
    v3_url,
)
from powerbridge.emulator.api.identity.views import project_view
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_admin_records import Domain, ancestors, subtree
from powerbridge.emulator.backend.identity_records import (
    DEFAULT_DOMAIN_ID,
    Project,
    require_admin,
)
from powerbridge.emulator.errors import bad_request, forbidden, not_found

PROJECT_FIELDS: dict[str, Check] = {
    "name": name_of(64),
    "description": text,
    "enabled": boolean,
    "tags": tags,
    "domain_id": string_or_null,
    "parent_id": string_or_null,
    "is_domain": boolean,
}
TAGS = "/v3/projects/{project_id}/tags"
MAX_TAGS = 80  # keystone's limit of tags per project


def domain_as_project(call: Call, domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "domain_id": None,
        "description": domain.description,
        "enabled": domain.enabled,
        "parent_id": None,
        "is_domain": True,
        "tags": list(domain.tags),
        "options": {},
        "links": {"self": f"{v3_url(call)}/projects/{domain.id}"},
    }


# -- the collection ---------------------------------------------------------------------
def list_projects(call: Call) -> Reply:
    # keystone's identity:list_projects is an admin's (a user reads /v3/auth/projects or
    # /v3/users/{user_id}/projects)
    require_admin(call.auth, "identity:list_projects")
    identity = call.emulator.identity
    projects = list(identity.projects.values())
    is_domain = call.query.get("is_domain")
    if is_domain is not None and is_domain.strip().lower() not in FALSE_WORDS:
        domains = filtered(call, identity.domains.values(), ("name", "enabled"))
        views = [domain_as_project(call, d) for d in domains]
        return Reply({"projects": views, "links": links(call, "/projects")})
    projects = filtered(call, projects, ("name", "domain_id", "enabled"))
    parent_id = call.query.get("parent_id")
    if parent_id is not None:
        projects = [p for p in projects if (p.parent_id or p.domain_id) == parent_id]
    projects = [p for p in projects if _tags_match(call, p.tags)]
    return Reply(
        {"projects": [project_view(call, p) for p in projects], "links": links(call, "/projects")}
    )


def _tags_match(call: Call, held: list[str]) -> bool:
    """`?tags=` (all of), `?tags-any=`, `?not-tags=` (not all of), `?not-tags-any=`."""
    tag_set = set(held)

    def wanted(key: str) -> set[str] | None:
        value = call.query.get(key)
        return None if value is None else {t for t in value.split(",") if t}

    every, some = wanted("tags"), wanted("tags-any")
    not_every, not_any = wanted("not-tags"), wanted("not-tags-any")
    return (
        (every is None or every <= tag_set)
        and (some is None or bool(some & tag_set))
        and (not_every is None or not not_every <= tag_set)
        and (not_any is None or not not_any & tag_set)
    )


def create_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_project")
    entity = entity_of(call, "project")
    fields = checked_fields(entity, PROJECT_FIELDS, create=True)
    identity = call.emulator.identity
    if fields.get("is_domain"):
        if fields.get("parent_id"):
            raise bad_request("only root projects are allowed to act as domains.")
        domain = identity.create_domain(fields)
        return Reply({"project": domain_as_project(call, domain)}, status=201)
    parent_id = fields.get("parent_id")
    if parent_id is not None and parent_id in identity.domains:
        parent_id = None  # a domain as the parent: a top-level project of that domain
        fields.setdefault("domain_id", fields["parent_id"])
    project = identity.create_project(
        fields["name"],
        description=fields.get("description", ""),
        enabled=fields.get("enabled", True),
        domain_id=fields.get("domain_id") or DEFAULT_DOMAIN_ID,
        tags=fields.get("tags", []),
        parent_id=parent_id,
        extra=extras(entity, PROJECT_FIELDS),
    )
    return Reply({"project": project_view(call, project)}, status=201)


# -- one project ------------------------------------------------------------------------
def _visible(call: Call, action: str) -> Project:
    project = call.emulator.identity.project(call.params["project_id"])
    if not call.auth.is_admin and project.id != call.auth.project_id:
        raise forbidden(f"You are not authorized to perform the requested action: {action}.")
    return project


def show_project(call: Call) -> Reply:
    identity = call.emulator.identity
    domain = identity.domains.get(call.params["project_id"])
    if domain is not None and call.auth.is_admin:
        return Reply({"project": domain_as_project(call, domain)})
    project = _visible(call, "identity:get_project")
    body = project_view(call, project)
    parents = identity.parents()
    if query_flag(call, "parents_as_ids"):
        body["parents"] = _nested(ancestors(project.id, parents))
    if query_flag(call, "subtree_as_ids"):
        body["subtree"] = _tree(project.id, parents)
    if query_flag(call, "parents_as_list"):
        found = [identity.projects[p] for p in ancestors(project.id, parents)]
        body["parents"] = [{"project": project_view(call, p)} for p in found]
    if query_flag(call, "subtree_as_list"):
        found = [identity.projects[p] for p in subtree(project.id, parents)]
        body["subtree"] = [{"project": project_view(call, p)} for p in found]
    return Reply({"project": body})


def _nested(chain: list[str]) -> dict[str, Any] | None:
    """Keystone's `parents_as_ids`: `{parent: {grandparent: None}}` (None at the top)."""
    nested: dict[str, Any] | None = None
    for project_id in reversed(chain):
        nested = {project_id: nested}
    return nested


def _tree(project_id: str, parents: dict[str, str | None]) -> dict[str, Any] | None:
    children = [p for p, parent in parents.items() if parent == project_id]
    if not children:
        return None
    return {child: _tree(child, parents) for child in children}


def update_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_project")
    identity = call.emulator.identity
    entity = entity_of(call, "project")
    changes = checked_fields(entity, PROJECT_FIELDS, create=False)
    for key in ("domain_id", "parent_id", "is_domain"):
        if key in changes:
            raise bad_request(f"Invalid input for field '{key}': it cannot be updated.")
    if call.params["project_id"] in identity.domains:
        domain = identity.update_domain(call.params["project_id"], changes)
        return Reply({"project": domain_as_project(call, domain)})
    changes["extra"] = extras(entity, PROJECT_FIELDS)
    project = identity.update_project(call.params["project_id"], changes)
    return Reply({"project": project_view(call, project)})


def delete_project(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_project")
    identity = call.emulator.identity
    if call.params["project_id"] in identity.domains:
        identity.delete_domain(call.params["project_id"])
    else:
        identity.delete_project(call.params["project_id"])
    return Reply(status=204)


# -- tags -------------------------------------------------------------------------------
def _tags_body(call: Call, project: Project) -> dict[str, Any]:
    return {"tags": list(project.tags), "links": links(call, f"/projects/{project.id}/tags")}


def list_tags(call: Call) -> Reply:
    return Reply(_tags_body(call, _visible(call, "identity:get_project_tags")))


def replace_tags(call: Call) -> Reply:
    require_admin(call.auth, "identity:update_project_tags")
    body = call.body if isinstance(call.body, dict) else {}
    new = tags(body.get("tags"), "tags")
    if len(new) > MAX_TAGS:
        raise bad_request(f"Invalid input for field 'tags': at most {MAX_TAGS} tags.")
    project = call.emulator.identity.update_project(
        call.params["project_id"], {"tags": list(dict.fromkeys(new))}
    )
    return Reply(_tags_body(call, project))


def clear_tags(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_project_tags")
    call.emulator.identity.update_project(call.params["project_id"], {"tags": []})
    return Reply(status=204)


def check_tag(call: Call) -> Reply:
    project = _visible(call, "identity:get_project_tag")
    if call.params["tag"] not in project.tags:
        raise not_found(f"Could not find project tag: {call.params['tag']}.")
    return Reply(status=204)


def add_tag(call: Call) -> Reply:
    require_admin(call.auth, "identity:create_project_tag")
    identity = call.emulator.identity
    project, tag = identity.project(call.params["project_id"]), call.params["tag"]
    if not is_tag(tag):
        raise bad_request(f"Invalid input for field 'tag': {tag!r} is not a valid tag.")
    if tag not in project.tags:
        if len(project.tags) >= MAX_TAGS:
            raise bad_request(f"Invalid input for field 'tags': at most {MAX_TAGS} tags.")
        identity.update_project(project.id, {"tags": [*project.tags, tag]})
    url = f"{v3_url(call)}/projects/{project.id}/tags/{quote(tag, safe='')}"  # a header: ASCII
    return Reply(status=201, headers={"location": url})


def delete_tag(call: Call) -> Reply:
    require_admin(call.auth, "identity:delete_project_tag")
    identity = call.emulator.identity
    project, tag = identity.project(call.params["project_id"]), call.params["tag"]
    if tag not in project.tags:
        raise not_found(f"Could not find project tag: {tag}.")
    identity.update_project(project.id, {"tags": [t for t in project.tags if t != tag]})
    return Reply(status=204)
