"""`/v2.0/agents[/<id>]` (neutron's `agent` extension): the networking agents PowerVC runs,
networking-powervm's Shared Ethernet Adapter agent on each managed host. An agent is an
administrator's record: neutron's policy filters the list to nothing for anyone else and
answers a show with 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.hosts import Host
from powerbridge.emulator.backend.ipam import neutron_error

_AGENT_NAMESPACE = uuid.UUID("3b7c4c8e-2f55-4f0e-9a57-5fd2c6c1e0a1")
SEA_AGENT = ("PowerVM Shared Ethernet agent", "neutron-powervm-sea-agent")


def _agent(call: Call, host: Host) -> dict[str, Any]:
    started = datetime.fromtimestamp(call.emulator.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S")
    agent_type, binary = SEA_AGENT
    return {
        "id": str(uuid.uuid5(_AGENT_NAMESPACE, host.name)),
        "agent_type": agent_type,
        "binary": binary,
        "host": host.name,
        "topic": "N/A",
        "admin_state_up": True,
        "alive": True,
        "availability_zone": None,
        "configurations": {},
        "description": None,
        "created_at": started,
        "started_at": started,
        "heartbeat_timestamp": started,
        "resources_synced": None,
    }


def _agents(call: Call) -> list[dict[str, Any]]:
    if not call.auth.is_admin:
        return []
    return [_agent(call, host) for host in call.emulator.hosts.hosts.values()]


def list_agents(call: Call) -> Reply:
    return Reply({"agents": _agents(call)})


def show_agent(call: Call) -> Reply:
    agent_id = call.params["agent_id"]
    for agent in _agents(call):
        if agent["id"] == agent_id:
            return Reply({"agent": agent})
    raise neutron_error(404, "AgentNotFound", f"Agent {agent_id} could not be found.")
