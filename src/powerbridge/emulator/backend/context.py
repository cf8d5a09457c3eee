"""What every backend is built with: the store, the clock, the lifecycle engine, the logs."""

from __future__ import annotations

from dataclasses import dataclass

from powerbridge.emulator.clock import Clock
from powerbridge.emulator.estate import Estate
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.logs import ServiceLogs
from powerbridge.emulator.store import Store


@dataclass(frozen=True)
class BackendContext:
    store: Store
    clock: Clock
    engine: Engine
    logs: ServiceLogs
    estate: Estate
