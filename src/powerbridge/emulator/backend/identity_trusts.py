"""OS-TRUST's trusts: a trustor delegates roles it holds on a project to a trustee. Only the
trustor creates a trust (keystone's `identity:create_trust` is "the trustor is the caller");
the trustor, the trustee and an admin read it; the trustor or an admin deletes it. Trusts
cannot be updated. Tokens scoped to a trust are not issued by the emulator (see
docs/emulator.md, Identity administration).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import Trust
from powerbridge.emulator.backend.identity_records import (
    Caller,
    IdentityDirectory,
    Role,
    invalid_field,
    parse_time,
)
from powerbridge.emulator.errors import bad_request, forbidden, not_found


def _refused(action: str) -> Exception:
    return forbidden(f"You are not authorized to perform the requested action: {action}.")


class TrustAdmin(IdentityDirectory):
    trusts: dict[str, Trust]

    def load_trusts(self) -> None:
        self.trusts = {b["id"]: Trust(**b) for b in self.store.load("trust")}

    def create_trust(self, caller: Caller, body: Mapping[str, Any]) -> Trust:
        trustor, trustee = body.get("trustor_user_id"), body.get("trustee_user_id")
        if trustor != caller.user_id:
            raise _refused("identity:create_trust")
        if not isinstance(trustee, str):
            raise bad_request("Invalid input for field 'trustee_user_id': a string is required.")
        self.user(trustee)
        impersonation = body.get("impersonation", False)
        if not isinstance(impersonation, bool):
            raise invalid_field("impersonation", impersonation, "boolean")
        project_id = body.get("project_id")
        role_ids = self._delegated(caller.user_id, project_id, body.get("roles"))
        trust = Trust(
            uuid.uuid4().hex,
            caller.user_id,
            trustee,
            project_id,
            role_ids,
            impersonation,
            _expiry(body.get("expires_at")),
            _uses(body.get("remaining_uses")),
            bool(body.get("allow_redelegation", False)),
        )
        self.trusts[trust.id] = trust
        self._save("trust", trust)
        return trust

    def _delegated(self, trustor: str, project_id: Any, roles: Any) -> list[str]:
        """The role ids a trust delegates: each `{"id"}` or `{"name"}`, held by the trustor
        on the project (keystone's 403 otherwise)."""
        if roles is None or roles == []:
            if project_id is not None:
                raise forbidden("At least one role should be specified")
            return []
        if not isinstance(project_id, str):
            raise bad_request("Invalid input for field 'project_id': a string is required.")
        self.project(project_id)
        if not isinstance(roles, list):
            raise invalid_field("roles", roles, "array")
        held = set(self.held_role_ids(trustor, ("project", project_id)))
        chosen: list[str] = []
        for index, item in enumerate(roles):
            role = self._named_role(item, f"roles/{index}")
            if role.id not in held:
                raise forbidden(f"Cannot delegate role {role.id}: the trustor does not hold it.")
            chosen.append(role.id)
        return list(dict.fromkeys(chosen))

    def _named_role(self, item: Any, where: str) -> Role:
        if not isinstance(item, Mapping):
            raise invalid_field(where, item, "object")
        if isinstance(item.get("id"), str):
            return self.role(item["id"])
        if isinstance(item.get("name"), str):
            for role in self.roles.values():
                if role.name == item["name"] and role.domain_id is None:
                    return role
            raise not_found(f"Could not find role: {item['name']}.")
        raise bad_request(f"Invalid input for field '{where}': 'id' or 'name' is required.")

    def trust(self, trust_id: str) -> Trust:
        try:
            return self.trusts[trust_id]
        except KeyError:
            raise not_found(f"Could not find trust: {trust_id}.") from None

    def visible_trust(self, caller: Caller, trust_id: str) -> Trust:
        trust = self.trust(trust_id)
        if caller.user_id not in (trust.trustor_user_id, trust.trustee_user_id) and not (
            caller.is_admin
        ):
            raise _refused("identity:get_trust")
        return trust

    def list_trusts(self, caller: Caller, trustor: str | None, trustee: str | None) -> list[Trust]:
        """Keystone: a user lists the trusts it is the trustor or trustee of (naming itself);
        an admin lists any."""
        if not caller.is_admin and caller.user_id not in (trustor, trustee):
            raise _refused("identity:list_trusts")
        return [
            t
            for t in self.trusts.values()
            if (trustor is None or t.trustor_user_id == trustor)
            and (trustee is None or t.trustee_user_id == trustee)
        ]

    def delete_trust(self, caller: Caller, trust_id: str) -> None:
        trust = self.trust(trust_id)
        if caller.user_id != trust.trustor_user_id and not caller.is_admin:
            raise _refused("identity:delete_trust")
        del self.trusts[trust_id]
        self.store.delete("trust", trust_id)

    def drop_trusts(self, user_id: str) -> None:
        for trust in list(self.trusts.values()):
            if user_id in (trust.trustor_user_id, trust.trustee_user_id):
                del self.trusts[trust.id]
                self.store.delete("trust", trust.id)


def _expiry(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_field("expires_at", value, "string")
    try:
        return parse_time(value)
    except Exception:  # parse_time's 400 names the field's value; keystone names the field
        raise bad_request(
            f"Invalid input for field 'expires_at': {value!r} is not an ISO 8601 time."
        ) from None


def _uses(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad_request("Invalid input for field 'remaining_uses': a positive integer.")
    return value
