"""Serve an `Emulator` over HTTP or HTTPS with uvicorn.

- `serve(config, on_ready=...)` blocks in the main thread until SIGINT or SIGTERM, then closes
  the store and the logs (`powerbridge emulator start`).
- `running_emulator(config)` runs the server in a background thread on free ports and yields
  a `RunningEmulator` with the URLs, the CA path and the `OS_*` variables (tests, the demo).

Sockets are bound here, before uvicorn starts: port 0 gets a free port without a race, a port
in use is a `StartError` with a clear message, and the config holds the bound ports before the
first request so the catalog advertises them. The ports URL style runs one uvicorn server per
service in one event loop. Signals are handled here rather than by uvicorn: several servers
share the loop, and uvicorn re-raises a caught signal after its shutdown, which would end the
process before the store is closed. uvicorn's access log stays off (the emulator writes
OpenStack-style logs itself).

The simulated AIX nodes' SSH servers (`aix.sshd`) run in the same loop: started before the
HTTP servers answer, closed after they stop; their OpenSSH client files are in `<data>/ssh`
(a temporary dir, removed at close, for an in-memory emulator).

The control channel (`control.ControlServer`, `<data>/emulator.sock`) runs in the same loop
too, apart from the HTTP ports, so `powerbridge emulator services` reaches the emulator while
httpd is stopped; the HTTP listeners drop their connections while it is (`proxy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import signal
import socket
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from powerbridge.emulator.aix.sshd import NodeSshServers
from powerbridge.emulator.app import create_app, create_port_apps
from powerbridge.emulator.backup import BackupError, Moment, take_moment
from powerbridge.emulator.client_env import openstack_env, write_powervcrc
from powerbridge.emulator.config import (
    DEFAULT_ADMIN_USER,
    DEFAULT_DOMAIN,
    DEFAULT_PROJECT,
    EmulatorConfig,
)
from powerbridge.emulator.control import SOCKET_NAME, ControlServer
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import Estate, EstateError
from powerbridge.emulator.proxy import gated_protocol
from powerbridge.emulator.services import MAIN_SERVICE, SERVICE_NAMES, SERVICES
from powerbridge.emulator.state import PROXY_PREFIX, Emulator
from powerbridge.emulator.store import StoreError
from powerbridge.emulator.tls import WILDCARD_HOSTS, TlsFiles, ensure_certificates

HEALTH_PATH = "/powervc/emulator/v1/health"
MAIN = MAIN_SERVICE  # the main port: identity, the emulator's own API, everything when proxied
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
GRACEFUL_SHUTDOWN_SECONDS = 5
BACKLOG = 2048

POWERVCRC = "powervcrc"

ReadyCallback = Callable[["RunningEmulator"], None]


class StartError(Exception):
    """The emulator cannot start: a port in use, an unusable data dir, a bad estate file."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class RunningEmulator:
    """A serving emulator: where clients reach it and how they log in."""

    emulator: Emulator
    base_url: str  # scheme://host:port of the main port, as clients use it
    auth_url: str  # Keystone v3, what OS_AUTH_URL holds
    health_url: str  # on the local address, for readiness probes
    service_urls: dict[str, str]
    ports: dict[str, int]  # service -> bound port (the same port for all when proxied)
    ca_path: Path | None
    admin_password_ok: bool  # False: the data dir (or the estate) set another root password
    ssh_config: Path | None = None  # the OpenSSH client config reaching the AIX nodes
    control_socket: Path | None = None  # `powerbridge emulator services` talks to it

    @property
    def config(self) -> EmulatorConfig:
        return self.emulator.config

    @property
    def log_dir(self) -> Path:
        return self.emulator.log_dir

    @property
    def data_dir(self) -> Path | None:
        return self.emulator.data_dir

    def env(self) -> dict[str, str]:
        """The `OS_*` variables of PowerVC's powervcrc, for this emulator's admin."""
        return openstack_env(
            self.auth_url,
            self.config.admin_password,
            region=self.emulator.estate.region,
            ca_path=self.ca_path,
        )

    def describe(self) -> dict[str, Any]:
        """Plain data about this emulator (URLs, ports, credentials, places), JSON-ready."""
        config = self.config
        return {
            "url_style": config.url_style,
            "base_url": self.base_url,
            "auth_url": self.auth_url,
            "health_url": self.health_url,
            "service_urls": dict(self.service_urls),
            "ports": dict(self.ports),
            "tls": config.tls,
            "ca_path": str(self.ca_path) if self.ca_path else None,
            "username": DEFAULT_ADMIN_USER,
            "password": config.admin_password,
            "project_name": DEFAULT_PROJECT,
            "user_domain_name": DEFAULT_DOMAIN,
            "project_domain_name": DEFAULT_DOMAIN,
            "region": self.emulator.estate.region,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            # `emulator check` loads the state with the estate it ran with (hosts, providers)
            "estate_path": str(config.estate_path) if config.estate_path else None,
            "log_dir": str(self.log_dir),
            "clock": config.clock,
            "speed": config.speed,
            "powervc_version": self.emulator.estate.powervc_version,
            "ssh_config": str(self.ssh_config) if self.ssh_config else None,
            "control_socket": str(self.control_socket) if self.control_socket else None,
            "env": self.env(),
        }


# -- the server -------------------------------------------------------------------------------
class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to `EmulatorServer` (see the module docstring)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn first closes idle keep-alive connections. Over TLS, a close waits (up to
        30 s) for the client's close_notify, which an idle pooled client never sends: those
        connections are cut instead, so a stop takes milliseconds, not the graceful timeout."""
        if not self.config.is_ssl:
            await super().shutdown(sockets=sockets)
            return
        open_before = [c for c in self.server_state.connections if not c.transport.is_closing()]
        closing = asyncio.ensure_future(super().shutdown(sockets=sockets))
        await asyncio.sleep(0)  # uvicorn closes the idle ones before its first await
        for connection in open_before:
            if connection.transport.is_closing():
                connection.transport.abort()
        await closing


class EmulatorServer:
    """Bound sockets, the `Emulator`, and one uvicorn server per listening socket."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        estate: Estate | None = None,
        configure_logging: bool = True,
    ) -> None:
        self._tls_temp: Path | None = None
        self._ssh_temp: Path | None = None
        self._control_temp: Path | None = None
        self._sockets = _bind(config)
        try:
            tls = self._certificates(config) if config.tls else None
            self.emulator = _build_emulator(config, estate)
            self.ssh = NodeSshServers(
                self.emulator.aix,
                ssh_dir=self._ssh_dir(config),
                host=config.host,
                ports=config.ssh_ports,
                behaviours=self.emulator.behaviours,
            )
            self.control = ControlServer(
                self.emulator.admin_services,
                self._control_path(config),
                after_change=self._drop_connections_if_stopped,
                backup=self._backup,
            )
        except BaseException:
            self._release()
            raise
        apps: dict[str, Any] = (
            {MAIN: create_app(self.emulator)}
            if config.url_style == "proxied"
            else dict(create_port_apps(self.emulator))
        )
        services = self.emulator.admin_services
        self._servers = [
            (
                _Server(
                    _uvicorn_config(
                        apps[name],
                        sock,
                        config,
                        tls,
                        configure_logging,
                        serving=lambda: services.proxy_running,
                    )
                ),
                sock,
            )
            for name, sock in self._sockets.items()
        ]
        for server, _ in self._servers:  # the reset_connection behaviour finds them
            self.emulator.connections.serve_from(_open_connections(server))
        self.running = dataclasses.replace(
            _describe(self.emulator, tls),
            ssh_config=self.ssh.config_path,
            control_socket=self.control.path,
        )
        if config.data_dir is not None:
            write_powervcrc(config.data_dir / POWERVCRC, self.running.env())

    def _control_path(self, config: EmulatorConfig) -> Path:
        """<data>/emulator.sock, or one in a temporary dir for an in-memory emulator."""
        if config.data_dir is not None:
            return config.data_dir / SOCKET_NAME
        self._control_temp = Path(tempfile.mkdtemp(prefix="powerbridge-emulator-control-"))
        return self._control_temp / SOCKET_NAME

    def _backup(self, target: Path) -> Moment:
        """A backup's state and files now, in the event loop: no request runs meanwhile."""
        emulator = self.emulator
        if emulator.data_dir is None:
            raise BackupError("an emulator kept in memory has no data dir to back up")
        emulator.aix.save_unsaved()  # the nodes' last file changes, into the store first
        version = emulator.estate.powervc_version
        return take_moment(emulator.store, emulator.data_dir, target, version)

    def _drop_connections_if_stopped(self) -> None:
        """httpd stopped: the connections already open go too, keep-alive ones included."""
        if self.emulator.admin_services.proxy_running:
            return
        for server, _ in self._servers:
            for connection in list(server.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()

    def _ssh_dir(self, config: EmulatorConfig) -> Path:
        """<data>/ssh, or a temporary dir (removed at close) for an in-memory emulator."""
        if config.data_dir is not None:
            return config.data_dir / "ssh"
        self._ssh_temp = Path(tempfile.mkdtemp(prefix="powerbridge-emulator-ssh-"))
        return self._ssh_temp

    def _certificates(self, config: EmulatorConfig) -> TlsFiles:
        if config.data_dir is not None:
            directory = config.data_dir / "tls"
        else:
            self._tls_temp = Path(tempfile.mkdtemp(prefix="powerbridge-emulator-tls-"))
            directory = self._tls_temp
        try:
            return ensure_certificates(directory, config.host)
        except OSError as problem:
            raise StartError(f"cannot create the TLS certificates: {_reason(problem)}") from None

    @property
    def started(self) -> bool:
        return all(server.started for server, _ in self._servers)

    async def run(self, on_ready: ReadyCallback | None = None, *, signals: bool = False) -> None:
        """Serve until `request_stop` (or, with `signals`, SIGINT/SIGTERM); call `on_ready` once
        every port answers."""
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM) if signals else ()
        for number in handled:
            loop.add_signal_handler(number, self.request_stop)
        try:
            await self.ssh.start()
            await self.control.start()
            serving = asyncio.ensure_future(self._serve_all())
            try:
                await self._until_started(serving)
                if on_ready is not None:
                    on_ready(self.running)
            except BaseException:
                self.request_stop()
                await asyncio.wait([serving])
                raise
            await serving
        finally:
            await self.control.stop()
            await self.ssh.stop()
            for number in handled:
                loop.remove_signal_handler(number)

    async def _serve_all(self) -> None:
        await asyncio.gather(*(_serve_one(server, sock) for server, sock in self._servers))

    async def _until_started(self, serving: asyncio.Future[None]) -> None:
        while not self.started:
            if serving.done():
                serving.result()  # raises what stopped it
                raise StartError("the emulator's HTTP server stopped during start-up")
            await asyncio.sleep(0.01)

    def request_stop(self) -> None:
        """First call: finish the requests in flight, then stop. Second call: stop now."""
        for server, _ in self._servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    def close(self) -> None:
        """Close the store and the logs, and release the ports."""
        self.emulator.close()
        self._release()

    def _release(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        if self._tls_temp is not None:
            shutil.rmtree(self._tls_temp, ignore_errors=True)
            self._tls_temp = None
        if self._ssh_temp is not None:
            shutil.rmtree(self._ssh_temp, ignore_errors=True)
            self._ssh_temp = None
        if self._control_temp is not None:
            shutil.rmtree(self._control_temp, ignore_errors=True)
            self._control_temp = None


async def _serve_one(server: _Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as failure:  # uvicorn's answer to a failed start-up
        raise StartError(
            f"the HTTP server on port {sock.getsockname()[1]} failed to start "
            f"(uvicorn exit status {failure.code}); see the messages above"
        ) from None


def serve(
    config: EmulatorConfig,
    *,
    estate: Estate | None = None,
    on_ready: ReadyCallback | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (call from the main thread), then close cleanly."""
    server = EmulatorServer(config, estate=estate)
    try:
        asyncio.run(server.run(on_ready, signals=True))
    finally:
        server.close()


@contextlib.contextmanager
def running_emulator(
    config: EmulatorConfig | None = None,
    *,
    estate: Estate | None = None,
    port: int = 0,
    ready_timeout: float = READY_TIMEOUT,
) -> Iterator[RunningEmulator]:
    """Run an emulator in a background thread on `port` (0: free ports) until the block ends.

    `config` is copied, not changed; the default is an in-memory emulator with the instant clock.
    """
    base = config if config is not None else EmulatorConfig()
    copy = dataclasses.replace(base, port=port, service_ports=dict(base.service_ports))
    server = EmulatorServer(copy, estate=estate, configure_logging=False)
    thread = _ServerThread(server)
    thread.start()
    try:
        thread.wait_ready(ready_timeout)
        yield server.running
    finally:
        server.request_stop()
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            server.request_stop()  # the second request stops without waiting
            thread.join(STOP_TIMEOUT)
        server.close()


class _ServerThread(threading.Thread):
    def __init__(self, server: EmulatorServer) -> None:
        super().__init__(name="powerbridge-emulator", daemon=True)
        self.server = server
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self.server.run(lambda _: self.ready.set()))
        except BaseException as failure:
            self.failure = failure
        finally:
            self.ready.set()  # wake the waiter whatever happened

    def wait_ready(self, timeout: float) -> None:
        if not self.ready.wait(timeout):
            raise StartError(f"the emulator did not start within {timeout:g} s")
        if self.failure is not None:
            if isinstance(self.failure, StartError):
                raise self.failure
            raise StartError(f"the emulator failed to start: {self.failure}") from self.failure
        if not self.server.started:
            raise StartError("the emulator stopped during start-up")


# -- building blocks --------------------------------------------------------------------------
def _bind(config: EmulatorConfig) -> dict[str, socket.socket]:
    """Listen on the main port and, in the ports style, one port per other service; record the
    bound ports in `config` so URLs and the catalog name them."""
    main = _listen(config.host, config.port, "the emulator")
    sockets = {MAIN: main}
    try:
        if config.url_style == "ports":
            for service in SERVICES:
                if service.port is not None:
                    wanted = config.service_ports.get(service.name, service.port)
                    port = 0 if config.port == 0 else wanted
                    sockets[service.name] = _listen(
                        config.host, port, f"the {service.name} service"
                    )
    except BaseException:
        for sock in sockets.values():
            sock.close()
        raise
    config.port = _port(main)
    if config.url_style == "ports":
        config.service_ports = {name: _port(sock) for name, sock in sockets.items() if name != MAIN}
    return sockets


def _listen(host: str, port: int, purpose: str) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as problem:
        raise StartError(f"cannot listen on host {host!r}: {problem.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)  # listening at once claims the port: nobody can bind it after us
    except OSError as problem:
        sock.close()
        where = f"{_connect_host(host)}:{port}"
        raise StartError(
            f"cannot listen on {where} for {purpose}: {_reason(problem)}",
            hint="stop what uses the port or choose another one (port 0 picks a free port)",
        ) from None
    return sock


def _port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


def _build_emulator(config: EmulatorConfig, estate: Estate | None) -> Emulator:
    try:
        return Emulator(config, estate)
    except (EstateError, StoreError) as problem:
        raise StartError(str(problem)) from None
    except (OSError, sqlite3.Error) as problem:
        where = config.data_dir if config.data_dir is not None else "memory"
        raise StartError(f"cannot use the data directory {where}: {_reason(problem)}") from None


def _reason(problem: Exception) -> str:
    if isinstance(problem, OSError) and problem.strerror:
        text = problem.strerror[:1].lower() + problem.strerror[1:]
        return f"{problem.filename}: {text}" if problem.filename else text
    return str(problem)


def _open_connections(server: uvicorn.Server) -> Callable[[], Iterable[Any]]:
    return lambda: server.server_state.connections


def _uvicorn_config(
    app: Any,
    sock: socket.socket,
    config: EmulatorConfig,
    tls: TlsFiles | None,
    configure_logging: bool,
    serving: Callable[[], bool],
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        # PowerVC's Apache in front: while httpd is stopped, connections are dropped
        http=gated_protocol(AutoHTTPProtocol, serving),
        host=config.host,
        port=_port(sock),
        lifespan="on",
        log_level="warning",
        access_log=False,
        # a library caller (tests, the demo) keeps its own logging configuration
        log_config=LOGGING_CONFIG if configure_logging else None,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )


def _describe(emulator: Emulator, tls: TlsFiles | None) -> RunningEmulator:
    config = emulator.config
    local = f"{config.scheme}://{_connect_host(config.host)}:{config.port}"
    public = config.public_url.rstrip("/") if config.public_url else local

    def root(service: str) -> str:
        if config.url_style == "proxied":
            return f"{public}{PROXY_PREFIX}/{service}"
        port = config.port if service == MAIN else config.service_ports[service]
        return _with_port(public, port)

    if config.url_style == "proxied":
        ports = dict.fromkeys(SERVICE_NAMES, config.port)
    else:
        ports = {MAIN: config.port, **config.service_ports}
    return RunningEmulator(
        emulator=emulator,
        base_url=public if config.url_style == "proxied" else _with_port(public, config.port),
        auth_url=root(MAIN) + "/v3",
        health_url=local + HEALTH_PATH,
        service_urls={service: root(service) for service in SERVICE_NAMES},
        ports=ports,
        ca_path=tls.ca_cert if tls else None,
        admin_password_ok=_admin_password_works(emulator),
    )


def _admin_password_works(emulator: Emulator) -> bool:
    """Whether root logs in with the configured password: it is set only when a data dir is
    created, so a restart with another --admin-password keeps the old one."""
    auth = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": DEFAULT_ADMIN_USER,
                        "domain": {"name": DEFAULT_DOMAIN},
                        "password": emulator.config.admin_password,
                    }
                },
            },
            "scope": {"project": {"name": DEFAULT_PROJECT, "domain": {"name": DEFAULT_DOMAIN}}},
        }
    }
    try:
        emulator.identity.issue(auth)
    except ApiError:
        return False
    return True


def _connect_host(host: str) -> str:
    """The host clients connect to: loopback for a wildcard address; IPv6 in brackets."""
    if host in WILDCARD_HOSTS:
        host = "::1" if host == "::" else "127.0.0.1"
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def _with_port(base: str, port: int) -> str:
    parts = urlsplit(base)
    return f"{parts.scheme}://{_connect_host(parts.hostname or '127.0.0.1')}:{port}"
