"""What every backend is built with: the store, the clock, the lifecycle engine, the logs, the
estate, and the services' settings as their configuration files gave them at start."""

from __future__ import annotations

from dataclasses import dataclass

from powerbridge.emulator.backend.settings import NovaSettings, ServiceSettings
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
    # replaced in place when a service starts (emulator.service_config reads the files); an
    # emulator without a data dir keeps the estate's instance_name_template
    service_settings: ServiceSettings | None = None

    def __post_init__(self) -> None:
        if self.service_settings is None:
            nova = NovaSettings(self.estate.instance_name_template)
            object.__setattr__(self, "service_settings", ServiceSettings(nova))

    @property
    def settings(self) -> ServiceSettings:
        if self.service_settings is None:  # set in __post_init__; this is for the type checker
            raise RuntimeError("the backend context has no settings")
        return self.service_settings
