"""The emulator's own API: `routes` under `/powervc/emulator/v1` (health, clock, behaviours)
and `version_routes` under `/powervc` (PowerVC's version document)."""

from __future__ import annotations

from powerbridge.emulator.api.admin import behaviours, clock, health, utilization
from powerbridge.emulator.api.routing import Endpoint, RouteTable, ServiceInfo

SERVICE = ServiceInfo("emulator", "nova-api", "powerbridge.emulator.api")

routes = RouteTable(
    SERVICE,
    endpoints=[
        Endpoint("GET", "/health", health.health, public=True),
        Endpoint("GET", "/clock", clock.show_clock),
        Endpoint("POST", "/clock", clock.advance_clock),
        Endpoint("GET", "/behaviours", behaviours.list_behaviours),
        Endpoint("POST", "/behaviours", behaviours.add_behaviour),
        Endpoint("DELETE", "/behaviours/{behaviour_id}", behaviours.delete_behaviour),
        Endpoint("DELETE", "/behaviours", behaviours.clear_behaviours),
        Endpoint("GET", "/utilization/{server_id}", utilization.show_utilization),
        Endpoint("PUT", "/utilization/{server_id}", utilization.declare_utilization),
    ],
)
version_routes = RouteTable(
    SERVICE, endpoints=[Endpoint("GET", "/version", health.powervc_version, public=True)]
)
