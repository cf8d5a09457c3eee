"""glance's metadata definitions catalog (metadefs): namespaces, each with its objects,
properties, tags and resource type associations, and the resource types glance ships.

An item (object, property, tag) is kept as the JSON the caller gave, under its name; glance's
own fields (timestamps) are added here. Namespaces are created and changed by administrators
(glance's `metadef_admin` policy); a protected namespace cannot be deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.errors import conflict, forbidden, not_found
from powerbridge.powervc_roles import ADMIN_ONLY, allows

# glance's etc/metadefs resource types (loaded by `glance-manage db_load_metadefs`)
RESOURCE_TYPES = (
    "OS::Glance::Image",
    "OS::Cinder::Volume",
    "OS::Nova::Flavor",
    "OS::Nova::Aggregate",
    "OS::Nova::Server",
    "OS::Trove::Instance",
    "OS::Glance::Metadef",
)
KINDS = ("objects", "properties", "tags")
# glance's policy names for an item's writes: kind -> (create or replace, delete one)
ITEM_POLICY = {
    "objects": ("object", "delete_metadef_object"),
    "properties": ("property", "remove_metadef_property"),
    "tags": ("tag", "delete_metadef_tag"),
}


@dataclass
class Namespace:
    namespace: str
    display_name: str | None
    description: str | None
    visibility: str
    protected: bool
    owner: str
    created_at: float
    updated_at: float
    resource_types: list[dict[str, Any]] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)

    def items(self, kind: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = getattr(self, kind)
        return found


class MetadefBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.namespaces: dict[str, Namespace] = {
            body["namespace"]: Namespace(**body) for body in ctx.store.load("metadef_namespace")
        }
        self.created_at = ctx.clock.now()

    def _save(self, namespace: Namespace) -> None:
        namespace.updated_at = self.ctx.clock.now()
        self.ctx.store.put("metadef_namespace", namespace.namespace, asdict(namespace))

    def visible(self, caller: Caller) -> list[Namespace]:
        return [n for n in self.namespaces.values() if self._can_see(n, caller)]

    def _can_see(self, namespace: Namespace, caller: Caller) -> bool:
        return (
            namespace.visibility == "public"
            or caller.is_admin
            or namespace.owner == caller.project_id
        )

    def get(self, name: str, caller: Caller) -> Namespace:
        namespace = self.namespaces.get(name)
        if namespace is None or not self._can_see(namespace, caller):
            raise not_found(f"Metadata definition namespace={name} was not found.")
        return namespace

    def _admin(self, caller: Caller, action: str) -> None:
        """glance's metadef_admin policy. Where a namespace is named, glance looks it up first:
        one the caller may not see is a 404, not this 403."""
        if not allows(caller.roles, action, ADMIN_ONLY):
            raise forbidden(f"You are not authorized to complete {action} action.")

    def create(self, caller: Caller, spec: dict[str, Any]) -> Namespace:
        self._admin(caller, "add_metadef_namespace")
        name = spec["namespace"]
        if name in self.namespaces:
            raise conflict(f"Metadata definition namespace={name} already exists.")
        now = self.ctx.clock.now()
        namespace = Namespace(
            namespace=name,
            display_name=spec.get("display_name"),
            description=spec.get("description"),
            visibility=spec.get("visibility") or "private",
            protected=bool(spec.get("protected", False)),
            owner=spec.get("owner") or caller.project_id or "",
            created_at=now,
            updated_at=now,
        )
        for association in spec.get("resource_type_associations") or []:
            namespace.resource_types.append({**association, "created_at": now})
        self.namespaces[name] = namespace
        self._save(namespace)
        return namespace

    def update(self, caller: Caller, name: str, spec: dict[str, Any]) -> Namespace:
        namespace = self.get(name, caller)
        self._admin(caller, "modify_metadef_namespace")
        new_name = spec.get("namespace", name)
        if new_name != name and new_name in self.namespaces:
            raise conflict(f"Metadata definition namespace={new_name} already exists.")
        for key in ("display_name", "description", "visibility", "protected", "owner"):
            if key in spec:
                setattr(namespace, key, spec[key])
        if new_name != name:
            del self.namespaces[name]
            self.ctx.store.delete("metadef_namespace", name)
            namespace.namespace = new_name
            self.namespaces[new_name] = namespace
        self._save(namespace)
        return namespace

    def delete(self, caller: Caller, name: str) -> None:
        namespace = self.get(name, caller)
        self._admin(caller, "delete_metadef_namespace")
        if namespace.protected:
            raise forbidden(f"Namespace {name} is protected and cannot be deleted.")
        del self.namespaces[name]
        self.ctx.store.delete("metadef_namespace", name)

    # -- objects, properties, tags ---------------------------------------------------------
    def item(self, caller: Caller, name: str, kind: str, item: str) -> dict[str, Any]:
        found = self.get(name, caller).items(kind).get(item)
        if found is None:
            noun = {"objects": "object", "properties": "property", "tags": "tag"}[kind]
            raise not_found(f"Metadata definition {noun} not found for name={item}")
        return found

    def put_item(
        self, caller: Caller, name: str, kind: str, body: dict[str, Any], *, old: str | None
    ) -> dict[str, Any]:
        """Create (old None) or replace the item `old`; refuses a name already taken."""
        namespace = self.get(name, caller)
        noun = ITEM_POLICY[kind][0]
        self._admin(caller, f"{'add' if old is None else 'modify'}_metadef_{noun}")
        items = namespace.items(kind)
        now = self.ctx.clock.now()
        created = now
        if old is not None:
            created = self.item(caller, name, kind, old).get("created_at", now)
        if body["name"] != old and body["name"] in items:
            raise conflict(f"A metadata definition with name={body['name']} already exists.")
        if old is not None:
            del items[old]
        items[body["name"]] = {**body, "created_at": created, "updated_at": now}
        self._save(namespace)
        return items[body["name"]]

    def delete_item(
        self, caller: Caller, name: str, kind: str, item: str | None, *, action: str = ""
    ) -> None:
        """Delete one item, or (item None) all of this kind; `action`: the policy that covers
        it when not a delete's own (a replacement of the tags is add_metadef_tags)."""
        namespace = self.get(name, caller)
        own = ITEM_POLICY[kind][1] if item is not None else f"delete_metadef_{kind}"
        self._admin(caller, action or own)
        if item is None:
            namespace.items(kind).clear()
        else:
            self.item(caller, name, kind, item)
            del namespace.items(kind)[item]
        self._save(namespace)

    # -- resource type associations ------------------------------------------------------
    def associate(self, caller: Caller, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        namespace = self.get(name, caller)
        self._admin(caller, "add_metadef_resource_type_association")
        if spec["name"] not in RESOURCE_TYPES:
            raise not_found(f"Metadata definition resource-type not found for name={spec['name']}")
        if any(a["name"] == spec["name"] for a in namespace.resource_types):
            raise conflict(
                f"The metadata definition resource-type association of resource-type="
                f"{spec['name']} to namespace={name}, already exists."
            )
        now = self.ctx.clock.now()
        association = {**spec, "created_at": now, "updated_at": now}
        namespace.resource_types.append(association)
        self._save(namespace)
        return association

    def dissociate(self, caller: Caller, name: str, resource_type: str) -> None:
        namespace = self.get(name, caller)
        self._admin(caller, "remove_metadef_resource_type_association")
        kept = [a for a in namespace.resource_types if a["name"] != resource_type]
        if len(kept) == len(namespace.resource_types):
            raise not_found(
                f"The metadata definition resource-type association of resource-type="
                f"{resource_type} to namespace={name}, was not found."
            )
        namespace.resource_types = kept
        self._save(namespace)
