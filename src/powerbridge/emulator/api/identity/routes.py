"""Keystone's route table, one row per endpoint: discovery and tokens, the identity records
(domains, projects, users, roles, grants, application credentials), then the catalog records
(services, endpoints, regions)."""

from __future__ import annotations

from powerbridge.emulator.api.identity import catalog, directory, tokens
from powerbridge.emulator.api.identity.common import SERVICE
from powerbridge.emulator.api.routing import Endpoint, RouteTable

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
        Endpoint("GET", "/v3/domains", directory.list_domains),
        Endpoint("GET", "/v3/domains/{domain_id}", directory.show_domain),
        Endpoint("GET", "/v3/projects", directory.list_projects),
        Endpoint("POST", "/v3/projects", directory.create_project),
        Endpoint("GET", "/v3/projects/{project_id}", directory.show_project),
        Endpoint("PATCH", "/v3/projects/{project_id}", directory.update_project),
        Endpoint("DELETE", "/v3/projects/{project_id}", directory.delete_project),
        Endpoint("GET", "/v3/users", directory.list_users),
        Endpoint("POST", "/v3/users", directory.create_user),
        Endpoint("GET", "/v3/users/{user_id}", directory.show_user),
        Endpoint("PATCH", "/v3/users/{user_id}", directory.update_user),
        Endpoint("DELETE", "/v3/users/{user_id}", directory.delete_user),
        Endpoint("GET", "/v3/users/{user_id}/projects", directory.list_user_projects),
        Endpoint("GET", "/v3/roles", directory.list_roles),
        Endpoint("POST", "/v3/roles", directory.create_role),
        Endpoint("GET", "/v3/roles/{role_id}", directory.show_role),
        Endpoint("DELETE", "/v3/roles/{role_id}", directory.delete_role),
        Endpoint("PUT", directory.GRANT, directory.grant_role),
        Endpoint("GET", directory.GRANT, directory.check_grant),
        Endpoint("DELETE", directory.GRANT, directory.revoke_grant),
        Endpoint("GET", "/v3/projects/{project_id}/users/{user_id}/roles", directory.list_grants),
        Endpoint("GET", "/v3/role_assignments", directory.list_role_assignments),
        Endpoint("GET", directory.APP_CREDS, directory.list_app_creds),
        Endpoint("POST", directory.APP_CREDS, directory.create_app_cred),
        Endpoint("GET", directory.APP_CREDS + "/{cred_id}", directory.show_app_cred),
        Endpoint("DELETE", directory.APP_CREDS + "/{cred_id}", directory.delete_app_cred),
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
        Endpoint("GET", "/v3/regions/{region_id}", catalog.show_region),
    ],
)
