"""Keystone's route table, one row per endpoint: discovery and tokens, the identity records
(domains, projects, users, groups, roles and their inference rules, grants and role
assignments, credentials, policies, application credentials), then the catalog records
(services, endpoints, regions)."""

from __future__ import annotations

from powerbridge.emulator.api.identity import (
    catalog,
    credentials,
    directory,
    domains,
    extensions,
    grants,
    projects,
    roles,
    tokens,
    trusts,
)
from powerbridge.emulator.api.identity.common import SERVICE
from powerbridge.emulator.api.routing import Endpoint, RouteTable

DOMAIN = "/v3/domains/{domain_id}"
PROJECT = "/v3/projects/{project_id}"
USER = "/v3/users/{user_id}"
GROUP = "/v3/groups/{group_id}"
ROLE = "/v3/roles/{role_id}"
IMPLIED = "/v3/roles/{prior_role_id}/implies/{implied_role_id}"
CREDENTIAL = "/v3/credentials/{credential_id}"
POLICY = "/v3/policies/{policy_id}"
REGION = "/v3/regions/{region_id}"

routes = RouteTable(
    SERVICE,
    endpoints=[
        Endpoint("GET", "/", tokens.versions, public=True),
        Endpoint("GET", "/v3", tokens.version_v3, public=True),
        Endpoint("POST", "/v3/auth/tokens", tokens.issue_token, public=True),
        Endpoint("GET", "/v3/auth/tokens", tokens.validate_token),
        Endpoint("DELETE", "/v3/auth/tokens", tokens.revoke_token),
        Endpoint("GET", "/v3/auth/catalog", tokens.auth_catalog),
        Endpoint("GET", "/v3/auth/projects", tokens.auth_projects),
        Endpoint("GET", "/v3/auth/domains", tokens.auth_domains),
        Endpoint("GET", "/v3/auth/system", tokens.auth_system),
        # domains
        Endpoint("GET", "/v3/domains", domains.list_domains),
        Endpoint("POST", "/v3/domains", domains.create_domain),
        Endpoint("GET", DOMAIN, domains.show_domain),
        Endpoint("PATCH", DOMAIN, domains.update_domain),
        Endpoint("DELETE", DOMAIN, domains.delete_domain),
        # projects and their tags
        Endpoint("GET", "/v3/projects", projects.list_projects),
        Endpoint("POST", "/v3/projects", projects.create_project),
        Endpoint("GET", PROJECT, projects.show_project),
        Endpoint("PATCH", PROJECT, projects.update_project),
        Endpoint("DELETE", PROJECT, projects.delete_project),
        Endpoint("GET", projects.TAGS, projects.list_tags),
        Endpoint("PUT", projects.TAGS, projects.replace_tags),
        Endpoint("DELETE", projects.TAGS, projects.clear_tags),
        Endpoint("GET", projects.TAGS + "/{tag}", projects.check_tag),
        Endpoint("PUT", projects.TAGS + "/{tag}", projects.add_tag),
        Endpoint("DELETE", projects.TAGS + "/{tag}", projects.delete_tag),
        # users
        Endpoint("GET", "/v3/users", directory.list_users),
        Endpoint("POST", "/v3/users", directory.create_user),
        Endpoint("GET", USER, directory.show_user),
        Endpoint("PATCH", USER, directory.update_user),
        Endpoint("DELETE", USER, directory.delete_user),
        Endpoint("POST", USER + "/password", directory.change_password, public=True),
        Endpoint("GET", USER + "/projects", directory.list_user_projects),
        Endpoint("GET", USER + "/groups", domains.list_user_groups),
        # groups and their members
        Endpoint("GET", "/v3/groups", domains.list_groups),
        Endpoint("POST", "/v3/groups", domains.create_group),
        Endpoint("GET", GROUP, domains.show_group),
        Endpoint("PATCH", GROUP, domains.update_group),
        Endpoint("DELETE", GROUP, domains.delete_group),
        Endpoint("GET", GROUP + "/users", domains.list_members),
        Endpoint("PUT", domains.MEMBER, domains.add_member),
        Endpoint("GET", domains.MEMBER, domains.check_member),
        Endpoint("DELETE", domains.MEMBER, domains.remove_member),
        # roles and their inference rules
        Endpoint("GET", "/v3/roles", roles.list_roles),
        Endpoint("POST", "/v3/roles", roles.create_role),
        Endpoint("GET", ROLE, roles.show_role),
        Endpoint("PATCH", ROLE, roles.update_role),
        Endpoint("DELETE", ROLE, roles.delete_role),
        Endpoint("GET", roles.IMPLIES, roles.list_implied),
        Endpoint("PUT", IMPLIED, roles.create_inference),
        Endpoint("GET", IMPLIED, roles.show_inference),
        Endpoint("HEAD", IMPLIED, roles.check_inference),
        Endpoint("DELETE", IMPLIED, roles.delete_inference),
        Endpoint("GET", "/v3/role_inferences", roles.list_inferences),
        # grants (users and groups on projects, domains, the system; OS-INHERIT)
        *grants.grant_routes(),
        Endpoint("GET", "/v3/role_assignments", grants.list_role_assignments),
        # credentials and policies
        Endpoint("GET", "/v3/credentials", credentials.list_credentials),
        Endpoint("POST", "/v3/credentials", credentials.create_credential),
        Endpoint("GET", CREDENTIAL, credentials.show_credential),
        Endpoint("PATCH", CREDENTIAL, credentials.update_credential),
        Endpoint("DELETE", CREDENTIAL, credentials.delete_credential),
        Endpoint("GET", credentials.EC2, credentials.list_ec2),
        Endpoint("POST", credentials.EC2, credentials.create_ec2),
        Endpoint("GET", credentials.EC2 + "/{access}", credentials.show_ec2),
        Endpoint("DELETE", credentials.EC2 + "/{access}", credentials.delete_ec2),
        Endpoint("GET", "/v3/policies", credentials.list_policies),
        Endpoint("POST", "/v3/policies", credentials.create_policy),
        Endpoint("GET", POLICY, credentials.show_policy),
        Endpoint("PATCH", POLICY, credentials.update_policy),
        Endpoint("DELETE", POLICY, credentials.delete_policy),
        # endpoint groups, OAuth1 consumers, domain-specific configuration
        *extensions.extension_routes(),
        # OS-TRUST
        *trusts.trust_routes(),
        # application credentials and their access rules
        Endpoint("GET", directory.APP_CREDS, directory.list_app_creds),
        Endpoint("POST", directory.APP_CREDS, directory.create_app_cred),
        Endpoint("GET", directory.APP_CREDS + "/{cred_id}", directory.show_app_cred),
        Endpoint("DELETE", directory.APP_CREDS + "/{cred_id}", directory.delete_app_cred),
        Endpoint("GET", directory.ACCESS_RULES, directory.list_access_rules),
        Endpoint("GET", directory.ACCESS_RULES + "/{access_rule_id}", directory.show_access_rule),
        Endpoint(
            "DELETE", directory.ACCESS_RULES + "/{access_rule_id}", directory.delete_access_rule
        ),
        # the catalog
        Endpoint("GET", "/v3/services", catalog.list_services),
        Endpoint("POST", "/v3/services", catalog.create_service),
        Endpoint("GET", "/v3/services/{service_id}", catalog.show_service),
        Endpoint("PATCH", "/v3/services/{service_id}", catalog.update_service),
        Endpoint("DELETE", "/v3/services/{service_id}", catalog.delete_service),
        Endpoint("GET", "/v3/endpoints", catalog.list_endpoints),
        Endpoint("POST", "/v3/endpoints", catalog.create_endpoint),
        Endpoint("GET", "/v3/endpoints/{endpoint_id}", catalog.show_endpoint),
        Endpoint("PATCH", "/v3/endpoints/{endpoint_id}", catalog.update_endpoint),
        Endpoint("DELETE", "/v3/endpoints/{endpoint_id}", catalog.delete_endpoint),
        Endpoint("GET", "/v3/regions", catalog.list_regions),
        Endpoint("POST", "/v3/regions", catalog.create_region),
        Endpoint("GET", REGION, catalog.show_region),
        Endpoint("PUT", REGION, catalog.create_region_with_id),
        Endpoint("PATCH", REGION, catalog.update_region),
        Endpoint("DELETE", REGION, catalog.delete_region),
    ],
)
