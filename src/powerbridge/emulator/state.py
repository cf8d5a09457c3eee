"""`Emulator`: the one explicit state object of a running emulator (no module globals).

It owns the store, clock, lifecycle engine, logs, behaviours and one backend per service, and
knows the URLs clients reach each service at (for the catalog and `links`).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request

from powerbridge.emulator.admin_services import AdminServices
from powerbridge.emulator.aix.faults import NodeFaults
from powerbridge.emulator.aix.nodes import NodeRegistry
from powerbridge.emulator.aix.world import AixWorld
from powerbridge.emulator.backend.behaviours import Behaviours
from powerbridge.emulator.backend.bulk_volumes import BulkVolumes
from powerbridge.emulator.backend.compute import ComputeBackend
from powerbridge.emulator.backend.compute_services import ComputeServices
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.dro import Optimizer
from powerbridge.emulator.backend.flavors import FlavorBackend
from powerbridge.emulator.backend.host_groups import HostGroupBackend
from powerbridge.emulator.backend.hosts import HostInventory
from powerbridge.emulator.backend.identity import IdentityBackend
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_metadefs import MetadefBackend
from powerbridge.emulator.backend.keypairs import KeypairBackend
from powerbridge.emulator.backend.maintenance import HostMaintenance
from powerbridge.emulator.backend.migration import LiveMigrations
from powerbridge.emulator.backend.migration_log import MigrationLog
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.onboarding import Onboarding
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.power import PowerActions
from powerbridge.emulator.backend.powervc_tasks import PowerVCTasks
from powerbridge.emulator.backend.quotas import QuotaBackend
from powerbridge.emulator.backend.remote_restart import RemoteRestarts
from powerbridge.emulator.backend.residents import Residents
from powerbridge.emulator.backend.resize import Resizes
from powerbridge.emulator.backend.scheduling import ServerPlacement
from powerbridge.emulator.backend.server_admin import ServerAdmin
from powerbridge.emulator.backend.server_deploys import ServerDeploys
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_images import ServerImages
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.server_quota import ServerQuota
from powerbridge.emulator.backend.server_tags import ServerTags
from powerbridge.emulator.backend.storage_connectivity import ConnectivityBackend
from powerbridge.emulator.backend.vm_clones import VmClones
from powerbridge.emulator.backend.vm_snapshots import VmSnapshots
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_attachments import VolumeAttachments
from powerbridge.emulator.backend.volume_groups import VolumeGroups
from powerbridge.emulator.backend.volume_onboarding import VolumeOnboarding
from powerbridge.emulator.backend.volume_qos import VolumeQos
from powerbridge.emulator.backend.volume_quotas import VolumeQuotas
from powerbridge.emulator.backend.volume_services import VolumeServices
from powerbridge.emulator.backend.volume_transfers import VolumeTransfers
from powerbridge.emulator.clock import Clock
from powerbridge.emulator.config import MEMORY, EmulatorConfig
from powerbridge.emulator.connection_reset import Connections
from powerbridge.emulator.estate import Estate, load_estate
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.logs import ServiceLogs
from powerbridge.emulator.service_config import ServiceConfig
from powerbridge.emulator.services import MAIN_SERVICE, SERVICES, declared
from powerbridge.emulator.store import Store

PROXY_PREFIX = "/powervc/openstack"


class Emulator:
    def __init__(self, config: EmulatorConfig, estate: Estate | None = None) -> None:
        self.config = config
        self.estate = estate if estate is not None else load_estate(config.estate_path)
        self.data_dir, self.log_dir = _directories(config)
        self.store = Store(self.data_dir / "emulator.sqlite" if self.data_dir else MEMORY)
        self.clock = self._clock()
        self.engine = Engine(self.clock)
        # PowerVC's services (powervc-services): a stopped one holds its work in the engine
        self.admin_services = AdminServices(self.store)
        self.engine.hold_when(self.admin_services.work_held)
        self.admin_services.on_started(self.engine.release)
        self.logs = ServiceLogs(self.log_dir)
        self.connections = Connections()  # the servers register theirs (reset_connection)
        self.behaviours = Behaviours(self.store, seed=config.seed, declared=self.estate.behaviours)
        ctx = BackendContext(self.store, self.clock, self.engine, self.logs, self.estate)
        self.identity = IdentityBackend(self.store, config.token_ttl)
        self.identity.lifetime_cap = self._token_lifetime
        self._build_backends(ctx)
        if self.store.is_new:
            self._seed()
        self.identity.catalog.declare(SERVICES, self.estate.region)
        if self.data_dir is not None:  # PowerVC's etc/nova, etc/cinder: read as services start
            ServiceConfig(self.data_dir, self.estate, ctx.settings, self.logs).attach(
                self.admin_services
            )
        self.admin_services.boot()
        for backend in (self.images, self.networks, self.volumes, self.compute):
            backend.resume()

    def _token_lifetime(self) -> float | None:
        """A token rule's clock-seconds as seconds of the identity backend's time (wall time):
        divided by the speed of a real clock, so a sped-up run still crosses expiries."""
        seconds = self.behaviours.token_lifetime()
        if seconds is None or self.clock.mode != "real":
            return seconds
        return seconds / self.clock.speed

    def _build_backends(self, ctx: BackendContext) -> None:
        """Each backend once, handed to those that use it (none builds another)."""
        self.images = ImageBackend(ctx)
        self.metadefs = MetadefBackend(ctx)
        self.networks = NetworkBackend(ctx)
        self.volumes = VolumeBackend(ctx)
        self.volume_transfers = VolumeTransfers(ctx, self.volumes)
        self.volume_quotas = VolumeQuotas(ctx, self.volumes)
        self.volume_services = VolumeServices(self.volumes)
        self.volume_qos = VolumeQos(ctx, self.volumes)
        self.volume_groups = VolumeGroups(ctx, self.volumes)
        self.volumes.image_metadata = self.images.volume_image_metadata
        self.keypairs = KeypairBackend(ctx)
        self.quotas = QuotaBackend(ctx)
        self.flavors = FlavorBackend(ctx)
        self.hosts = HostInventory(ctx.estate.hosts)
        self.scheduler = Scheduler(self.hosts)
        self.compute_services = ComputeServices(self.hosts)
        self.host_groups = HostGroupBackend(ctx, self.hosts, on_change=self._host_groups_changed)
        self._configure_scheduler()
        self.server_registry = ServerRegistry(ctx)
        self.server_groups = ServerGroupBackend(ctx, host_of=self.server_registry.host_of)
        self.connectivity = ConnectivityBackend(ctx, self.hosts)
        self.placement = ServerPlacement(
            inventory=self.hosts,
            scheduler=self.scheduler,
            host_groups=self.host_groups,
            server_groups=self.server_groups,
            connectivity=self.connectivity,
            volumes=self.volumes,
        )
        self._build_server_actions(ctx)
        self._build_powervc_apis(ctx)
        self.aix = AixWorld(
            ctx,
            servers=self.server_registry,
            volumes=self.volumes,
            networks=self.networks,
            images=self.images,
            keypairs=self.keypairs,
            data_dir=self.data_dir,
        )
        self.aix_nodes = NodeRegistry(self.aix, ssh_ports=self.config.ssh_ports)
        self.aix.behaviours = self.behaviours  # the shell's fail_command rules
        self.aix_faults = NodeFaults(self.aix, self.behaviours, self.hosts)

    def _build_server_actions(self, ctx: BackendContext) -> None:
        servers, hosts = self.server_registry, self.hosts
        self.power = PowerActions(servers)
        self.volume_attachments = VolumeAttachments(servers, self.volumes)
        self.migration_log = MigrationLog(ctx)
        self.resizes = Resizes(
            servers,
            hosts=hosts,
            confirm_window=float(ctx.estate.resize_confirm_window),
            migration_log=self.migration_log,
            quota=ServerQuota(self.quotas, lambda project: self.compute.usage(project)),
        )
        self.server_images = ServerImages(
            servers, images=self.images, volumes=self.volumes, keypairs=self.keypairs
        )
        self.server_tags = ServerTags(servers)
        self.server_admin = ServerAdmin(servers, images=self.images, captures=self.server_images)
        self.migrations = LiveMigrations(
            servers,
            hosts=hosts,
            scheduler=self.scheduler,
            placement=self.placement,
            networks=self.networks,
            migration_log=self.migration_log,
        )
        self.maintenance = HostMaintenance(
            ctx, servers, hosts=hosts, server_groups=self.server_groups, migrations=self.migrations
        )
        self.migrations.on_migrated(self.maintenance.progress)
        deploys = ServerDeploys(
            servers,
            ctx.logs,
            hosts=hosts,
            scheduler=self.scheduler,
            placement=self.placement,
            volumes=self.volumes,
            networks=self.networks,
            behaviours=self.behaviours,
            settings=ctx.settings,
        )
        self.compute = ComputeBackend(
            ctx,
            servers,
            deploys,
            images=self.images,
            networks=self.networks,
            volumes=self.volumes,
            hosts=hosts,
            host_groups=self.host_groups,
            server_groups=self.server_groups,
            on_deleted=self.maintenance.progress,
            keypairs=self.keypairs,
            quotas=self.quotas,
        )

    def _build_powervc_apis(self, ctx: BackendContext) -> None:
        """PowerVC's own APIs beyond nova's and cinder's: onboarding existing VMs and volumes."""
        self.residents = Residents(ctx)
        self.onboarding = Onboarding(
            ctx,
            self.server_registry,
            self.residents,
            hosts=self.hosts,
            scheduler=self.scheduler,
            volumes=self.volumes,
            networks=self.networks,
            server_groups=self.server_groups,
            on_left=self.maintenance.progress,
        )
        self.volume_onboarding = VolumeOnboarding(ctx, self.residents, self.volumes)
        self.remote_restarts = RemoteRestarts(
            self.server_registry,
            hosts=self.hosts,
            scheduler=self.scheduler,
            placement=self.placement,
            networks=self.networks,
            on_left=self.maintenance.progress,
        )
        self.dro = Optimizer(
            ctx,
            self.server_registry,
            hosts=self.hosts,
            host_groups=self.host_groups,
            server_groups=self.server_groups,
            migrations=self.migrations,
        )
        self.powervc_tasks = PowerVCTasks(ctx)
        self.vm_clones = VmClones(self.server_registry, self.compute, self.powervc_tasks)
        self.vm_snapshots = VmSnapshots(ctx, self.server_registry, self.volumes, self.powervc_tasks)
        self.bulk_volumes = BulkVolumes(self.server_registry, self.volumes, self.volume_attachments)

    def _host_groups_changed(self) -> None:
        self._configure_scheduler()
        optimizer = getattr(self, "dro", None)  # built after the host groups
        if optimizer is not None:
            optimizer.refresh()

    def _configure_scheduler(self) -> None:
        self.scheduler.configure(self.host_groups.scopes(), self.host_groups.default_policy())

    def _clock(self) -> Clock:
        base = self.store.get_meta("clock_base")
        if base is None:
            base = repr(time.time())
            self.store.set_meta("clock_base", base)
        offset = float(self.store.get_meta("clock_offset") or 0.0)
        return Clock(self.config.clock, self.config.speed, offset=offset, base=float(base))

    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        self.store.set_meta("clock_offset", repr(self.clock.offset))
        self.engine.run_due()
        return now

    def _seed(self) -> None:
        self.identity.seed(self.estate, self.config.admin_password)
        owner = next(iter(self.identity.projects.values())).id if self.identity.projects else ""
        for backend in (self.images, self.networks, self.volumes, self.flavors):
            backend.seed(owner)
        self.host_groups.seed()
        self.connectivity.seed()
        self.store.set_meta("seeded", repr(time.time()))

    # -- URLs ----------------------------------------------------------------------------
    def base_url(self, request: Request | None = None) -> str:
        """scheme://host[:port] clients reach the emulator at."""
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        if request is not None:
            return f"{request.url.scheme}://{request.url.netloc}"
        return f"{self.config.scheme}://{self.config.host}:{self.config.port}"

    def service_url(self, service: str, request: Request | None = None) -> str:
        """The root URL of one declared service, in the configured URL style."""
        base = self.base_url(request)
        if self.config.url_style == "proxied":
            return f"{base}{PROXY_PREFIX}/{service}"
        if declared(service).on_main_port:
            return _with_port(base, self.config.port)
        return _with_port(base, self.config.service_ports[service])

    def identity_url(self, request: Request | None = None) -> str:
        return self.service_url(MAIN_SERVICE, request) + "/v3"

    def close(self) -> None:
        self.aix.save_unsaved()  # file changes of the last commands, before the store closes
        self.logs.close()
        self.store.close()


def _with_port(base: str, port: int) -> str:
    parts = urlsplit(base)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}"


def _directories(config: EmulatorConfig) -> tuple[Path | None, Path]:
    if config.data_dir is None:
        log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="powerbridge-emulator-logs-"))
        return None, log_dir
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return config.data_dir, config.log_dir or config.data_dir / "logs"
