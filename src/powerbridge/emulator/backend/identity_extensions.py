"""Keystone's smaller extensions, as its default install serves them: endpoint groups
(OS-EP-FILTER), OAuth1 consumers (OS-OAUTH1) and domain-specific configuration
(`/v3/domains/{domain_id}/config`, with keystone's whitelist of groups and options).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from powerbridge.emulator.backend.identity_records import IdentityDirectory, hash_secret
from powerbridge.emulator.errors import ApiError, bad_request, not_found

ENDPOINT_GROUP_FILTERS = ("interface", "service_id", "region_id")
_LDAP_OPTIONS = (
    "url",
    "user",
    "suffix",
    "query_scope",
    "page_size",
    "alias_dereferencing",
    "debug_level",
    "chase_referrals",
    "user_tree_dn",
    "user_filter",
    "user_objectclass",
    "user_id_attribute",
    "user_name_attribute",
    "user_mail_attribute",
    "user_description_attribute",
    "user_pass_attribute",
    "user_enabled_attribute",
    "user_enabled_invert",
    "user_enabled_mask",
    "user_enabled_default",
    "user_attribute_ignore",
    "user_default_project_id_attribute",
    "user_enabled_emulation",
    "user_enabled_emulation_dn",
    "user_enabled_emulation_use_group_config",
    "user_additional_attribute_mapping",
    "group_tree_dn",
    "group_filter",
    "group_objectclass",
    "group_id_attribute",
    "group_name_attribute",
    "group_members_are_ids",
    "group_member_attribute",
    "group_desc_attribute",
    "group_attribute_ignore",
    "group_additional_attribute_mapping",
    "tls_cacertfile",
    "tls_cacertdir",
    "use_tls",
    "tls_req_cert",
    "use_pool",
    "pool_size",
    "pool_retry_max",
    "pool_retry_delay",
    "pool_connection_timeout",
    "pool_connection_lifetime",
    "use_auth_pool",
    "auth_pool_size",
    "auth_pool_connection_lifetime",
)
# keystone's whitelisted options, and the sensitive ones it stores but never shows
CONFIG_OPTIONS = {"identity": ("driver", "list_limit"), "ldap": (*_LDAP_OPTIONS, "password")}
SENSITIVE = {"ldap": ("password",)}
# keystone.conf's defaults, as GET /v3/domains/config/default shows them
DEFAULT_CONFIG: dict[str, dict[str, Any]] = {
    "identity": {"driver": "sql", "list_limit": None},
    "ldap": dict.fromkeys(_LDAP_OPTIONS)
    | {
        "url": "ldap://localhost",
        "query_scope": "one",
        "page_size": 0,
        "alias_dereferencing": "default",
        "chase_referrals": None,
        "user_objectclass": "inetOrgPerson",
        "user_id_attribute": "cn",
        "user_name_attribute": "sn",
        "user_mail_attribute": "mail",
        "user_description_attribute": "description",
        "user_pass_attribute": "userPassword",
        "user_enabled_attribute": "enabled",
        "user_enabled_invert": False,
        "user_enabled_mask": 0,
        "user_enabled_default": "True",
        "user_attribute_ignore": ["default_project_id"],
        "user_default_project_id_attribute": None,
        "user_enabled_emulation": False,
        "user_enabled_emulation_use_group_config": False,
        "user_additional_attribute_mapping": [],
        "group_objectclass": "groupOfNames",
        "group_id_attribute": "cn",
        "group_name_attribute": "ou",
        "group_members_are_ids": False,
        "group_member_attribute": "member",
        "group_desc_attribute": "description",
        "group_attribute_ignore": [],
        "group_additional_attribute_mapping": [],
        "use_tls": False,
        "tls_req_cert": "demand",
        "use_pool": True,
        "pool_size": 10,
        "pool_retry_max": 3,
        "pool_retry_delay": 0.1,
        "pool_connection_timeout": -1,
        "pool_connection_lifetime": 600,
        "use_auth_pool": True,
        "auth_pool_size": 100,
        "auth_pool_connection_lifetime": 60,
    },
}


@dataclass
class EndpointGroup:
    id: str
    name: str
    filters: dict[str, str]
    description: str = ""


@dataclass
class Consumer:
    id: str
    secret_hash: str
    description: str = ""


@dataclass
class DomainConfig:
    id: str  # the domain's id
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


def _config_missing(what: str, domain_id: str) -> ApiError:
    return not_found(f"Could not find {what} in domain configuration for domain {domain_id}.")


def invalid_config(reason: str) -> ApiError:
    return ApiError("forbidden", f"Invalid domain specific configuration: {reason}.")


class ExtensionAdmin(IdentityDirectory):
    endpoint_groups: dict[str, EndpointGroup]
    consumers: dict[str, Consumer]
    domain_configs: dict[str, DomainConfig]

    def load_extensions(self) -> None:
        self.endpoint_groups = {b["id"]: EndpointGroup(**b) for b in self.store.load("ep_group")}
        self.consumers = {b["id"]: Consumer(**b) for b in self.store.load("consumer")}
        self.domain_configs = {b["id"]: DomainConfig(**b) for b in self.store.load("domain_cfg")}

    # -- endpoint groups -----------------------------------------------------------------
    def endpoint_group(self, group_id: str) -> EndpointGroup:
        try:
            return self.endpoint_groups[group_id]
        except KeyError:
            raise not_found(f"Could not find endpoint group: {group_id}.") from None

    def create_endpoint_group(self, fields: Mapping[str, Any]) -> EndpointGroup:
        group = EndpointGroup(uuid.uuid4().hex, fields["name"], check_filters(fields["filters"]))
        group.description = fields.get("description", "")
        self.endpoint_groups[group.id] = group
        self._save("ep_group", group)
        return group

    def update_endpoint_group(self, group_id: str, fields: Mapping[str, Any]) -> EndpointGroup:
        group = self.endpoint_group(group_id)
        if "filters" in fields:
            group.filters = check_filters(fields["filters"])
        for key in ("name", "description"):
            if key in fields:
                setattr(group, key, fields[key])
        self._save("ep_group", group)
        return group

    def delete_endpoint_group(self, group_id: str) -> None:
        self.endpoint_group(group_id)
        del self.endpoint_groups[group_id]
        self.store.delete("ep_group", group_id)

    # -- OAuth1 consumers ----------------------------------------------------------------
    def consumer(self, consumer_id: str) -> Consumer:
        try:
            return self.consumers[consumer_id]
        except KeyError:
            raise not_found(f"Could not find consumer: {consumer_id}.") from None

    def create_consumer(self, description: str) -> tuple[Consumer, str]:
        secret = secrets.token_urlsafe(24)
        consumer = Consumer(uuid.uuid4().hex, hash_secret(secret), description)
        self.consumers[consumer.id] = consumer
        self._save("consumer", consumer)
        return consumer, secret

    def update_consumer(self, consumer_id: str, description: str) -> Consumer:
        consumer = self.consumer(consumer_id)
        consumer.description = description
        self._save("consumer", consumer)
        return consumer

    def delete_consumer(self, consumer_id: str) -> None:
        self.consumer(consumer_id)
        del self.consumers[consumer_id]
        self.store.delete("consumer", consumer_id)

    # -- domain-specific configuration ---------------------------------------------------
    def domain_config(
        self, domain_id: str, group: str | None = None, option: str | None = None
    ) -> dict[str, Any]:
        """The stored config (sensitive options left out), one group of it, or one option."""
        self.domain(domain_id)
        stored = self.domain_configs.get(domain_id)
        shown = {g: _visible(g, opts) for g, opts in (stored.config if stored else {}).items()}
        if group is None:
            if not shown:
                raise not_found(
                    f"Could not find config in domain configuration for domain {domain_id}."
                )
            return shown
        check_option(group, option)
        if group not in shown:
            raise not_found(
                f"Could not find {group} in domain configuration for domain {domain_id}."
            )
        if option is None:
            return {group: shown[group]}
        if option not in shown[group]:
            raise _config_missing(f"{group}:{option}", domain_id)
        return {option: shown[group][option]}

    def replace_domain_config(self, domain_id: str, config: Any) -> tuple[dict[str, Any], bool]:
        """PUT: the whole config replaced; True when there was none before (201)."""
        self.domain(domain_id)
        checked = check_config(config)
        created = domain_id not in self.domain_configs
        self._store_config(domain_id, checked)
        return self.domain_config(domain_id), created

    def update_domain_config(
        self, domain_id: str, config: Any, group: str | None, option: str | None
    ) -> dict[str, Any]:
        self.domain(domain_id)
        stored = self.domain_configs.get(domain_id)
        merged = {g: dict(opts) for g, opts in (stored.config if stored else {}).items()}
        if option is not None:  # {"config": {option: value}}
            check_option(group, option)
            if not isinstance(config, Mapping) or set(config) != {option}:
                raise invalid_config(f"the body must be {{'config': {{'{option}': value}}}}")
            merged.setdefault(str(group), {})[option] = config[option]
        else:
            changes = check_config(config)
            if group is not None and set(changes) != {group}:
                raise invalid_config(f"the body may only change group {group}")
            for name, options in changes.items():
                merged.setdefault(name, {}).update(options)
        if not stored:
            raise not_found(
                f"Could not find config in domain configuration for domain {domain_id}."
            )
        self._store_config(domain_id, merged)
        return self.domain_config(domain_id)

    def delete_domain_config(self, domain_id: str, group: str | None, option: str | None) -> None:
        self.domain_config(domain_id, group, option)  # 404 when what is named is not there
        stored = self.domain_configs[domain_id]
        if group is None:
            del self.domain_configs[domain_id]
            self.store.delete("domain_cfg", domain_id)
            return
        if option is None:
            del stored.config[group]
        else:
            del stored.config[group][option]
        self._store_config(domain_id, stored.config)

    def _store_config(self, domain_id: str, config: dict[str, dict[str, Any]]) -> None:
        record = DomainConfig(domain_id, config)
        self.domain_configs[domain_id] = record
        self._save("domain_cfg", record)


def _visible(group: str, options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in SENSITIVE.get(group, ())}


def check_option(group: str | None, option: str | None) -> None:
    if group not in CONFIG_OPTIONS:
        raise invalid_config(f"group {group} is not supported for domain specific configurations")
    if option is not None and option not in CONFIG_OPTIONS[group]:
        raise invalid_config(
            f"option {option} in group {group} is not supported for domain specific configurations"
        )


def check_config(config: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(config, Mapping) or not config:
        raise invalid_config("a config of groups of options is required")
    checked: dict[str, dict[str, Any]] = {}
    for group, options in config.items():
        check_option(group, None)
        if not isinstance(options, Mapping):
            raise invalid_config(f"group {group} must be an object of options")
        for option in options:
            check_option(group, option)
        checked[group] = dict(options)
    return checked


def check_filters(filters: Any) -> dict[str, str]:
    if not isinstance(filters, Mapping) or not filters:
        raise bad_request("Invalid input for field 'filters': an object of filters is required.")
    for key, value in filters.items():
        if key not in ENDPOINT_GROUP_FILTERS or not isinstance(value, str):
            raise bad_request(
                f"Invalid input for field 'filters': {key!r} is not one of "
                f"{', '.join(ENDPOINT_GROUP_FILTERS)} with a string value."
            )
    return dict(filters)
