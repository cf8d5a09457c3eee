"""The service declarations: each names a real API package, and everything reads them."""

from __future__ import annotations

import inspect

from powerbridge.cli import emulator as emulator_cli
from powerbridge.emulator.app import route_table
from powerbridge.emulator.backend.behaviours import parse_behaviour
from powerbridge.emulator.services import MAIN_SERVICE, SERVICE_NAMES, SERVICES, declared


def test_each_declaration_names_its_route_table() -> None:
    for service in SERVICES:
        assert route_table(service).service.name == service.name


def test_one_service_on_the_main_port_and_distinct_ports_for_the_others() -> None:
    assert [s.name for s in SERVICES if s.on_main_port] == [MAIN_SERVICE] == ["identity"]
    ports = [s.port for s in SERVICES if s.port is not None]
    assert len(ports) == len(set(ports))


def test_catalog_entries_have_unique_names() -> None:
    names = [entry.name for service in SERVICES for entry in service.catalog]
    assert len(names) == len(set(names))
    assert declared("volume").catalog[0].path == "/v3/$(project_id)s"


def test_behaviour_rules_accept_the_declared_services() -> None:
    for name in SERVICE_NAMES:
        rule = parse_behaviour({"kind": "api", "service": name, "status": 503})
        assert rule.service == name


def test_the_cli_help_names_the_declared_ports() -> None:
    ports = ", ".join(str(s.port) for s in SERVICES if s.port is not None)
    assert f"ports: a port per service ({ports})." in inspect.getsource(emulator_cli.start)
