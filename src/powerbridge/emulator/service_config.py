"""PowerVC's configuration files in the data dir, written once and read when a service starts.

PowerVC keeps OpenStack's layout (IBM developerWorks, "PowerVC: bringing Power resources into
the cloud", cl-cn-powervc-power-resource-to-cloud, "PowerVC configuration files"):
`/etc/nova/nova.conf` is the template each new host's `nova-<MTM-SN>.conf` is made from, and
each host's file rules that host; `/etc/cinder/cinder.conf` is cinder's template, with one file
per managed storage provider named by its controller's IP and `fabrics.conf` for the SAN
fabrics. The emulator keeps them under `<data>/etc/` and

- writes each missing file at start from the estate (never overwriting an admin's edits);
- reads nova's when nova starts (emulator start, `services nova start|restart`) and cinder's
  when cinder does, with configparser without `%` interpolation (the templates hold `%(...)s`);
- refuses a malformed file with its path and line, so the service does not start.

A host's nova-compute reads nova.conf and then its own file, so a key in the host's file wins
for that host (oslo.config's later `--config-file` wins).
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from powerbridge.emulator.admin_services import AdminServices, ServiceStartError
from powerbridge.emulator.backend.settings import (
    CinderSettings,
    NovaSettings,
    ServiceSettings,
    template_problem,
)
from powerbridge.emulator.estate import Estate, HostSpec, StorageProviderSpec
from powerbridge.emulator.files import write_atomically
from powerbridge.emulator.logs import ServiceLogs

ETC = "etc"
NOVA_TEMPLATE = "etc/nova/nova.conf"
CINDER_TEMPLATE = "etc/cinder/cinder.conf"
FABRICS = "etc/cinder/fabrics.conf"
TEMPLATE_KEY = "instance_name_template"
# cinder's drivers for the provider types PowerVC registers (cinder.volume.drivers.ibm)
_DRIVERS = {
    "XIV": "cinder.volume.drivers.ibm.ibm_storage.ibm_storage.IBMStorageDriver",
    "DS8K": "cinder.volume.drivers.ibm.ibm_storage.ibm_storage.IBMStorageDriver",
    "SVC": "cinder.volume.drivers.ibm.storwize_svc.storwize_svc_fc.StorwizeSVCFCDriver",
    "STORWIZE": "cinder.volume.drivers.ibm.storwize_svc.storwize_svc_fc.StorwizeSVCFCDriver",
}


class ConfigFileError(Exception):
    """A configuration file a service cannot start with: the message names file and line."""


def host_file(host: str) -> str:
    return f"etc/nova/nova-{host}.conf"


def provider_file(management_ip: str) -> str:
    return f"etc/cinder/cinder-{management_ip}.conf"


class ServiceConfig:
    """Reads nova's files when nova starts and cinder's when cinder does, into `settings`; a
    malformed file keeps the service down and is named in its log."""

    def __init__(
        self, data_dir: Path, estate: Estate, settings: ServiceSettings, logs: ServiceLogs
    ) -> None:
        self.data_dir = data_dir
        self.estate = estate
        self.settings = settings
        self.logs = logs

    def attach(self, services: AdminServices) -> None:
        write_missing(self.data_dir, self.estate)
        services.on_start("nova", self.start_nova)
        services.on_start("cinder", self.start_cinder)

    def start_nova(self) -> None:
        hosts = [host.name for host in self.estate.hosts]
        try:
            self.settings.nova = read_nova(self.data_dir, hosts)
        except ConfigFileError as problem:
            self._failed("nova-api", "nova", problem, hosts, "nova-compute-", host_file)
            raise ServiceStartError(str(problem)) from None

    def start_cinder(self) -> None:
        providers = self.estate.storage_providers
        try:
            self.settings.cinder = read_cinder(self.data_dir, providers)
        except ConfigFileError as problem:
            addresses = [provider.management_ip for provider in providers]
            self._failed(
                "cinder-api", "cinder", problem, addresses, "cinder-volume-", provider_file
            )
            raise ServiceStartError(str(problem)) from None

    def _failed(
        self,
        api_log: str,
        service: str,
        problem: ConfigFileError,
        members: list[str],
        member_log: str,
        member_file: Callable[[str], str],
    ) -> None:
        """The failure in the service's API log, and in the host's (or provider's) own log
        when its file is the bad one."""
        message = f"{service} did not start: failed to parse {problem}"
        self.logs.write(api_log, "CRITICAL", service, message)
        text = str(problem)
        for member in members:
            if text.startswith(member_file(member)):
                self.logs.write(member_log + member, "CRITICAL", service, message)


# -- writing, at start ------------------------------------------------------------------------
def write_missing(data_dir: Path, estate: Estate) -> list[str]:
    """Write each configuration file the data dir lacks; the paths written."""
    files = {
        NOVA_TEMPLATE: _nova_template(estate),
        CINDER_TEMPLATE: _cinder_template(estate.storage_providers),
        FABRICS: _fabrics(),
    }
    for host in estate.hosts:
        files[host_file(host.name)] = _nova_host(host)
    for provider in estate.storage_providers:
        files[provider_file(provider.management_ip)] = _cinder_provider(provider)
    written = []
    for relative, text in files.items():
        path = data_dir / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, text.encode("utf-8"), 0o640)
            written.append(relative)
    return written


def _nova_template(estate: Estate) -> str:
    template = estate.instance_name_template
    return (
        "# PowerVC's nova configuration template: a new host's nova-<MTM-SN>.conf is made\n"
        "# from it. Changes apply at `powerbridge emulator services nova restart`.\n"
        "[DEFAULT]\n"
        f"{TEMPLATE_KEY} = {template}\n"
        "log_dir = logs/nova\n"
        "state_path = /var/lib/nova\n"
    )


def _nova_host(host: HostSpec) -> str:
    return (
        f"# nova-compute of host {host.name}: read after nova.conf, so its keys win for\n"
        "# this host (e.g. [DEFAULT] instance_name_template names its new LPARs).\n"
        "[DEFAULT]\n"
        f"host = {host.name}\n"
        f"log_file = nova-compute-{host.name}.log\n"
    )


def _cinder_template(providers: Iterable[StorageProviderSpec]) -> str:
    backends = ",".join(provider.name for provider in providers)
    return (
        "# PowerVC's cinder configuration template; each storage provider has its own\n"
        "# cinder-<controller IP>.conf.\n"
        "[DEFAULT]\n"
        f"enabled_backends = {backends}\n"
        "log_dir = logs/cinder\n"
    )


def _cinder_provider(provider: StorageProviderSpec) -> str:
    driver = _DRIVERS.get(provider.type.upper(), "cinder.volume.drivers.ibm")
    return (
        f"# cinder-volume of storage provider {provider.name} ({provider.type})\n"
        "[DEFAULT]\n"
        f"host = {provider.name}\n"
        f"volume_backend_name = {provider.name}\n"
        f"volume_driver = {driver}\n"
        f"san_ip = {provider.management_ip}\n"
        f"storage_pools = {','.join(provider.pools)}\n"
        f"log_file = volume-{provider.management_ip}.log\n"
    )


def _fabrics() -> str:
    return (
        "# The SAN fabrics PowerVC manages, one section per fabric (none registered).\n[DEFAULT]\n"
    )


# -- reading, when a service starts -----------------------------------------------------------
def read_nova(data_dir: Path, hosts: Iterable[str]) -> NovaSettings:
    """nova.conf and each host's file; a ConfigFileError names the first bad one."""
    template = _read(data_dir, NOVA_TEMPLATE)
    default = template.get("DEFAULT", TEMPLATE_KEY, fallback=None)
    if default is None:
        raise ConfigFileError(f"{NOVA_TEMPLATE}: [DEFAULT] has no {TEMPLATE_KEY}")
    _check_template(data_dir, NOVA_TEMPLATE, default)
    per_host = {}
    for host in hosts:
        relative = host_file(host)
        if not (data_dir / relative).exists():
            continue  # a host without a file of its own runs with the template's settings
        value = _read(data_dir, relative).get("DEFAULT", TEMPLATE_KEY, fallback=None)
        if value is not None:
            _check_template(data_dir, relative, value)
            per_host[host] = value
    return NovaSettings(default, per_host)


def read_cinder(data_dir: Path, providers: Iterable[StorageProviderSpec]) -> CinderSettings:
    """cinder.conf, fabrics.conf and each provider's file."""
    _read(data_dir, CINDER_TEMPLATE)
    _read(data_dir, FABRICS)
    addresses = {}
    for provider in providers:
        relative = provider_file(provider.management_ip)
        if (data_dir / relative).exists():
            parsed = _read(data_dir, relative)
            addresses[provider.name] = parsed.get("DEFAULT", "san_ip", fallback="")
    return CinderSettings(addresses)


def _read(data_dir: Path, relative: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    path = data_dir / relative
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{relative}: the file is missing") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise ConfigFileError(f"{relative}: cannot be read ({problem})") from None
    try:
        parser.read_string(text, source=relative)
    except configparser.Error as problem:
        raise ConfigFileError(_parse_error(relative, text.splitlines(), problem)) from None
    return parser


def _parse_error(relative: str, lines: list[str], problem: configparser.Error) -> str:
    def text(number: int) -> str:
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""

    if isinstance(problem, configparser.MissingSectionHeaderError):
        number = problem.lineno
        return f"{relative}, line {number}: a key before any [section]: {text(number)!r}"
    if isinstance(problem, configparser.ParsingError) and problem.errors:
        number = problem.errors[0][0]
        return f"{relative}, line {number}: not a key = value line: {text(number)!r}"
    if isinstance(problem, configparser.DuplicateOptionError):
        return (
            f"{relative}, line {problem.lineno}: {problem.option!r} is set twice in "
            f"[{problem.section}]"
        )
    if isinstance(problem, configparser.DuplicateSectionError):
        return f"{relative}, line {problem.lineno}: [{problem.section}] appears twice"
    return f"{relative}: {problem.message}"


def _check_template(data_dir: Path, relative: str, template: str) -> None:
    problem = template_problem(template)
    if problem is not None:
        line = _key_line(data_dir / relative, TEMPLATE_KEY)
        raise ConfigFileError(f"{relative}, line {line}: [DEFAULT] {TEMPLATE_KEY}: {problem}")


def _key_line(path: Path, key: str) -> int:
    pattern = re.compile(rf"\s*{re.escape(key)}\s*[=:]")
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((number for number, text in enumerate(lines, 1) if pattern.match(text)), 0)
