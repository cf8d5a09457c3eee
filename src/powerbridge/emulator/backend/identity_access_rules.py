"""Application credentials' access rules: the requests (service type, method, path glob) a
token made from a restricted credential may send. Rules belong to their user and are shared
between that user's credentials (an identical rule is reused, as keystone reuses it); one in
use cannot be deleted. The check is keystonemiddleware's: `*` is one path segment, `**` any
number of them, and a request no rule matches is a 401.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.backend.identity_admin_records import AccessRule
from powerbridge.emulator.backend.identity_records import (
    Caller,
    IdentityDirectory,
    invalid_field,
    unauthorized,
)
from powerbridge.emulator.errors import bad_request, forbidden, not_found

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# the emulator's service names and the catalog types a rule may name for them
SERVICE_TYPES = {
    "identity": ("identity",),
    "compute": ("compute",),
    "image": ("image",),
    "network": ("network",),
    "volume": ("volume", "volumev2", "volumev3", "block-storage"),
}


class AccessRuleAdmin(IdentityDirectory):
    access_rules: dict[str, AccessRule]

    def load_access_rules(self) -> None:
        self.access_rules = {b["id"]: AccessRule(**b) for b in self.store.load("access_rule")}

    def rules_for_credential(self, user_id: str, requested: Any) -> list[str]:
        """The ids of the rules an application credential's `access_rules` names: each an
        existing rule of the user (`{"id"}`) or a new one (`{"service", "path", "method"}`)."""
        if requested is None:
            return []
        if not isinstance(requested, list):
            raise invalid_field("access_rules", requested, "array")
        return [
            self._rule_of(user_id, item, f"access_rules/{i}") for i, item in enumerate(requested)
        ]

    def _rule_of(self, user_id: str, item: Any, where: str) -> str:
        if not isinstance(item, Mapping):
            raise invalid_field(where, item, "object")
        if set(item) == {"id"}:
            return self.access_rule(user_id, str(item["id"])).id
        fields = {key: item.get(key) for key in ("service", "path", "method")}
        for key, value in fields.items():
            if not isinstance(value, str) or not value:
                raise bad_request(f"Invalid input for field '{where}/{key}': a string is required.")
        if fields["method"] not in METHODS or not str(fields["path"]).startswith("/"):
            raise bad_request(
                f"Invalid input for field '{where}': the method must be one of "
                f"{', '.join(METHODS)} and the path must start with '/'."
            )
        for rule in self.access_rules.values():
            if rule.user_id == user_id and (rule.service, rule.path, rule.method) == tuple(
                fields.values()
            ):
                return rule.id
        rule = AccessRule(uuid.uuid4().hex, user_id, **{k: str(v) for k, v in fields.items()})
        self.access_rules[rule.id] = rule
        self._save("access_rule", rule)
        return rule.id

    def access_rule(self, user_id: str, rule_id: str) -> AccessRule:
        rule = self.access_rules.get(rule_id)
        if rule is None or rule.user_id != user_id:
            raise not_found(f"Could not find Access Rule: {rule_id}.")
        return rule

    def rules_of(self, user_id: str) -> list[AccessRule]:
        return [r for r in self.access_rules.values() if r.user_id == user_id]

    def delete_access_rule(self, user_id: str, rule_id: str) -> None:
        self.access_rule(user_id, rule_id)
        if any(rule_id in c.access_rule_ids for c in self.app_creds.values()):
            raise forbidden("May not delete access rule in use")
        del self.access_rules[rule_id]
        self.store.delete("access_rule", rule_id)

    def drop_access_rules(self, user_id: str) -> None:
        for rule in self.rules_of(user_id):
            del self.access_rules[rule.id]
            self.store.delete("access_rule", rule.id)

    def check_access_rules(self, caller: Caller, service: str, method: str, path: str) -> None:
        """A token of a credential with access rules may send only what a rule allows."""
        cred = self.app_creds.get(caller.app_cred_id or "")
        if cred is None or not cred.access_rule_ids:
            return
        types = SERVICE_TYPES.get(service, (service,))
        for rule_id in cred.access_rule_ids:
            rule = self.access_rules.get(rule_id)
            if (
                rule is not None
                and rule.service in types
                and rule.method == method
                and path_matches(rule.path, path)
            ):
                return
        raise unauthorized("The request you have made requires authentication.")


def path_matches(pattern: str, path: str) -> bool:
    regex = "".join(
        "[^/]+" if part == "*" else ".*" if part == "**" else re.escape(part)
        for part in re.split(r"(\*\*|\*)", pattern)
    )
    return re.fullmatch(regex, path.rstrip("/") or "/") is not None
