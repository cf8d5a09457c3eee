"""`powerbridge emulator`: run the embedded PowerVC emulator and find it again.

A running emulator with a data dir keeps two files there: `emulator.pid` and `emulator.json`
(pid, URLs, ports, CA path and the admin credentials, hence mode 0600). `status`, `env` and
`stop` find the emulator through them; a clean stop removes them. `start --detach` runs the
same `start` command in a new session with its output in `emulator.out`.

Only typer and modules typer already loads are imported here at start-up; the emulator,
uvicorn, httpx and yaml are imported inside the commands, so `powerbridge --help` stays fast.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from powerbridge.cli.emulator_backup import backup, restore
from powerbridge.cli.emulator_check import check
from powerbridge.cli.emulator_services import services
from powerbridge.cli.errors import CliError, UsageProblem
from powerbridge.cli.lazy import EMULATOR_HELP, lazy_group
from powerbridge.cli.output import OutputFormat, render

if TYPE_CHECKING:
    from powerbridge.emulator.config import EmulatorConfig
    from powerbridge.emulator.server import RunningEmulator

PID_FILE = "emulator.pid"
INFO_FILE = "emulator.json"
OUT_FILE = "emulator.out"
MEMORY = ":memory:"
DETACH_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
KILL_TIMEOUT = 5.0
HEALTH_TIMEOUT = 2.0
PASSWORD_ENV = "POWERBRIDGE_EMULATOR_PASSWORD"
DATA_ENV = "POWERBRIDGE_EMULATOR_DATA"
SSH_CONFIG_ENV = "POWERBRIDGE_SSH_CONFIG"
# emulator.config.DEFAULT_SSH_PORTS, spelled out: `--help` must not import the emulator
DEFAULT_SSH_PORTS = "22000-22999"

HELP = EMULATOR_HELP
# the commands, built only when `powerbridge emulator ...` runs; `app` (what the root
# registers) is a lazy group standing for them, so `powerbridge --help` does not build them
commands = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)
app = lazy_group("powerbridge.cli.emulator:commands", HELP)


class Clock(enum.StrEnum):
    instant = "instant"
    real = "real"
    manual = "manual"


class UrlStyle(enum.StrEnum):
    proxied = "proxied"
    ports = "ports"


class EnvFormat(enum.StrEnum):
    sh = "sh"
    clouds_yaml = "clouds-yaml"


DataOption = Annotated[
    str | None,
    typer.Option(
        "--data",
        metavar="DIR",
        envvar=DATA_ENV,
        help="The emulator's data directory, or :memory: to keep nothing "
        "(default: ~/.local/share/powerbridge/emulator).",
    ),
]


# -- start ------------------------------------------------------------------------------------
@commands.command()
def start(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="Main port: identity (and every service with proxied URLs); 0 picks a free one.",
        ),
    ] = 5000,
    data: DataOption = None,
    estate: Annotated[
        str | None,
        typer.Option(
            metavar="FILE", help="Estate YAML (hosts, networks, images...); default: packaged."
        ),
    ] = None,
    clock: Annotated[
        Clock, typer.Option(help="instant: final states at once; real: timed; manual: ticks.")
    ] = Clock.instant,
    speed: Annotated[float, typer.Option(help="With --clock real: run this many times faster.")] = (
        1.0
    ),
    admin_password: Annotated[
        str | None,
        typer.Option(
            envvar=PASSWORD_ENV,
            show_envvar=False,
            help="root's password when a data dir is created (default: passw0rd).",
        ),
    ] = None,
    token_ttl: Annotated[
        float | None,
        typer.Option(metavar="SECONDS", help="Token lifetime (default: 6 hours, as PowerVC)."),
    ] = None,
    tls: Annotated[
        bool, typer.Option("--tls", help="Serve HTTPS with a generated CA (printed at start).")
    ] = False,
    url_style: Annotated[
        UrlStyle,
        typer.Option(
            # the declared default ports (emulator.services), spelled out: `--help` must not
            # import the emulator package; a test checks that they agree
            help="proxied: one port, /powervc/openstack/<service> paths; "
            "ports: a port per service (8774, 9292, 9696, 9000)."
        ),
    ] = UrlStyle.proxied,
    public_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Base URL clients use, when behind a proxy."),
    ] = None,
    ssh_ports: Annotated[
        str,
        typer.Option(
            metavar="LOW-HIGH",
            help="Ports of the simulated AIX nodes' SSH servers (each node keeps its own); "
            "0: any free port.",
        ),
    ] = DEFAULT_SSH_PORTS,
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background; stop with `stop`.")
    ] = False,
) -> None:
    """Start the emulator and print how to reach it (Ctrl-C stops it)."""
    config = _config(
        host=host,
        port=port,
        data=data,
        estate=estate,
        clock=clock,
        speed=speed,
        admin_password=admin_password,
        token_ttl=token_ttl,
        tls=tls,
        url_style=url_style,
        public_url=public_url,
        ssh_ports=ssh_ports,
    )
    if detach:
        _start_detached(config, debug=bool(getattr(ctx.obj, "debug", False)))
    else:
        _start_foreground(config)


def _config(
    *,
    host: str,
    port: int,
    data: str | None,
    estate: str | None,
    clock: Clock,
    speed: float,
    admin_password: str | None,
    token_ttl: float | None,
    tls: bool,
    url_style: UrlStyle,
    public_url: str | None,
    ssh_ports: str = "",
) -> EmulatorConfig:
    from powerbridge.emulator.config import EmulatorConfig

    if speed <= 0:
        raise UsageProblem(f"--speed must be positive, not {speed:g}")
    if token_ttl is not None and token_ttl <= 0:
        raise UsageProblem(f"--token-ttl must be a positive number of seconds, not {token_ttl:g}")
    if admin_password == "":
        raise UsageProblem("--admin-password must not be empty")
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise UsageProblem(f"--public-url must start with http:// or https://, not {public_url!r}")
    config = EmulatorConfig(
        host=host,
        port=port,
        data_dir=_data_dir(data),
        estate_path=Path(estate).expanduser().resolve() if estate else None,
        clock=clock.value,
        speed=speed,
        tls=tls,
        url_style=url_style.value,
        public_url=public_url,
    )
    if ssh_ports:
        config.ssh_ports = _port_range(ssh_ports)
    if admin_password is not None:
        config.admin_password = admin_password
    if token_ttl is not None:
        config.token_ttl = token_ttl
    return config


def _port_range(text: str) -> tuple[int, int]:
    """`LOW-HIGH` (or one port, or 0 for any free port) as (low, high)."""
    low_text, _, high_text = text.partition("-")
    try:
        low, high = int(low_text), int(high_text or low_text)
    except ValueError:
        low, high = -1, -1
    if (low, high) == (0, 0):
        return 0, 0
    if not 1 <= low <= high <= 65535:
        raise UsageProblem(
            f"--ssh-ports must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535, or 0, not {text!r}"
        )
    return low, high


def _start_foreground(config: EmulatorConfig) -> None:
    from powerbridge.emulator import server

    data_dir = config.data_dir
    if data_dir is not None:
        _refuse_if_running(data_dir)

    def ready(running: RunningEmulator) -> None:
        info = {**running.describe(), "pid": os.getpid(), "started_at": _now_iso()}
        # how it was started, so `emulator restore` starts it again the same way
        info["start_arguments"] = _start_arguments(running.config)
        if data_dir is not None:
            _write_private(data_dir / INFO_FILE, json.dumps(info, indent=2) + "\n")
            _write_private(data_dir / PID_FILE, f"{os.getpid()}\n")
        if not running.admin_password_ok:
            typer.echo(
                "warning: root does not log in with this admin password: it is set only when "
                "a data dir is created (or by the estate); the old one still applies",
                err=True,
            )
        _print_summary(info, detached=False)

    try:
        server.serve(config, on_ready=ready)
    except server.StartError as problem:
        raise CliError(problem.message, hint=problem.hint) from None
    finally:
        if data_dir is not None:
            _remove_runtime_files(data_dir, only_pid=os.getpid())
    typer.echo("Emulator stopped.")


def _start_detached(config: EmulatorConfig, *, debug: bool) -> None:
    data_dir = config.data_dir
    if data_dir is None:
        raise UsageProblem(
            "--detach needs a data directory: an emulator kept in memory in the background "
            "could not be found again by status, env or stop",
            hint="leave out --data :memory: (the default data dir is used) or pass --data DIR",
        )
    _prepare_data_dir(data_dir)
    _refuse_if_running(data_dir)
    _check_estate(config)
    _remove_runtime_files(data_dir)
    command = [sys.executable, "-m", "powerbridge", *(["--debug"] if debug else [])]
    command += ["emulator", "start", *_start_arguments(config)]
    # the password goes through the environment, not the command line `ps` shows
    env = {**os.environ, PASSWORD_ENV: config.admin_password, "PYTHONUNBUFFERED": "1"}
    out_path = data_dir / OUT_FILE
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # Ctrl-C in this terminal must not reach it
        )
    _write_private(data_dir / PID_FILE, f"{process.pid}\n")
    info = _wait_until_serving(process, data_dir, out_path)
    _print_summary(info, detached=True)


def _start_arguments(config: EmulatorConfig) -> list[str]:
    arguments = ["--host", config.host, "--port", str(config.port)]
    arguments += ["--data", str(config.data_dir), "--clock", config.clock]
    arguments += ["--speed", repr(config.speed), "--token-ttl", repr(config.token_ttl)]
    arguments += ["--url-style", config.url_style]
    arguments += ["--ssh-ports", "-".join(str(port) for port in config.ssh_ports)]
    if config.estate_path is not None:
        arguments += ["--estate", str(config.estate_path)]
    if config.tls:
        arguments.append("--tls")
    if config.public_url:
        arguments += ["--public-url", config.public_url]
    return arguments


def _check_estate(config: EmulatorConfig) -> None:
    """Read the estate here too, so a bad file is one line now, not a failed background
    start."""
    from powerbridge.emulator.estate import EstateError, load_estate

    try:
        load_estate(config.estate_path)
    except EstateError as problem:
        raise CliError(str(problem)) from None


def _wait_until_serving(
    process: subprocess.Popen[bytes], data_dir: Path, out_path: Path
) -> dict[str, Any]:
    deadline = time.monotonic() + DETACH_TIMEOUT
    while time.monotonic() < deadline:
        status = process.poll()
        if status is not None:
            _remove_runtime_files(data_dir, only_pid=process.pid)
            raise _start_failure(out_path, f"the emulator exited during start-up (status {status})")
        info = _read_info(data_dir)
        if info is not None and info.get("pid") == process.pid and _healthy(info):
            return info
        time.sleep(0.1)
    process.terminate()
    try:
        process.wait(KILL_TIMEOUT)
    except subprocess.TimeoutExpired:  # still there: it does not get another chance
        process.kill()
        process.wait(KILL_TIMEOUT)
    _remove_runtime_files(data_dir, only_pid=process.pid)
    raise _start_failure(
        out_path, f"the emulator did not answer its health check within {DETACH_TIMEOUT:g} s"
    )


def _start_failure(out_path: Path, summary: str) -> CliError:
    """The child's own `error:` line when it printed one, else the summary and the output's
    tail."""
    try:
        tail = out_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
    except OSError:
        tail = []
    errors = [i for i, line in enumerate(tail) if line.startswith("error: ")]
    if errors:
        first = errors[-1]
        hints = [line for line in tail[first + 1 :] if line.startswith("hint: ")]
        hint = hints[0].removeprefix("hint: ") if hints else f"output in {out_path}"
        return CliError(tail[first].removeprefix("error: "), hint=hint)
    if tail:
        typer.echo(f"last lines of {out_path}:", err=True)
        for line in tail:
            typer.echo(f"  {line}", err=True)
    return CliError(summary, hint=f"output in {out_path}")


def _print_summary(info: dict[str, Any], *, detached: bool) -> None:
    clock = info["clock"] if info["clock"] != "real" else f"real, x{info['speed']:g} speed"
    lines = [
        f"PowerVC emulator running (PowerVC {info['powervc_version']} APIs, "
        f"{info['url_style']} URLs)",
        f"  Auth URL:  {info['auth_url']}",
        f"  User:      {info['username']}",
        f"  Password:  {info['password']}",
        f"  Project:   {info['project_name']}",
        f"  Domain:    {info['user_domain_name']}",
        f"  Region:    {info['region']}",
        f"  Ports:     {_ports_text(info)}",
        f"  Data:      {info['data_dir'] or 'in memory (nothing is kept after it stops)'}",
        f"  Logs:      {info['log_dir']}",
        f"  Clock:     {clock}",
    ]
    if info.get("ca_path"):
        lines.append(f"  CA cert:   {info['ca_path']}  (for --os-cacert or OS_CACERT)")
    if info.get("ssh_config"):
        lines.append(
            f"  SSH:       ssh -F {info['ssh_config']} <AIX node>  (POWERBRIDGE_SSH_CONFIG)"
        )
    if info.get("data_dir"):
        powervcrc = Path(info["data_dir"]) / "powervcrc"
        lines.append(f"  powervcrc: source {powervcrc}  (then the openstack CLI works)")
    if detached:
        data = _data_argument(Path(info["data_dir"]))
        lines += [
            f"Running in the background (pid {info['pid']}); output in "
            f"{Path(info['data_dir']) / OUT_FILE}",
            f'Use it:      eval "$(powerbridge emulator env{data})"',
            f"Stop it:     powerbridge emulator stop{data}",
        ]
    else:
        lines.append("Press Ctrl-C to stop")
    typer.echo("\n".join(lines))


def _ports_text(info: dict[str, Any]) -> str:
    ports: dict[str, int] = info["ports"]
    if len(set(ports.values())) == 1:
        return f"{next(iter(ports.values()))} (all services)"
    return ", ".join(f"{service} {port}" for service, port in ports.items())


def _data_argument(data_dir: Path) -> str:
    from powerbridge.emulator.config import default_data_dir

    return "" if data_dir.resolve() == default_data_dir().resolve() else f" --data {data_dir}"


# -- status, stop, env ------------------------------------------------------------------------
@commands.command()
def status(
    data: DataOption = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.table,
) -> None:
    """Show whether the emulator of a data dir is running, and where (exit 1: not running)."""
    data_dir = _existing_data_dir(data)
    state, info = _probe(data_dir)
    record: dict[str, Any] = {"state": state, "data_dir": str(data_dir)}
    if info is not None and state != "not running":
        record.update({key: info.get(key) for key in STATUS_FIELDS})
        if output_format is OutputFormat.table and isinstance(info.get("ports"), dict):
            record["ports"] = _ports_text(info)
    if state != "running" and output_format is OutputFormat.table:
        typer.echo(f"The emulator of {data_dir} is {state}.")
    else:
        render(record, output_format, title="PowerVC emulator")
    if state != "running":
        raise typer.Exit(1)


STATUS_FIELDS = (
    "pid",
    "auth_url",
    "url_style",
    "ports",
    "tls",
    "ca_path",
    "log_dir",
    "clock",
    "ssh_config",
    "started_at",
)


@commands.command()
def stop(data: DataOption = None) -> None:
    """Stop the emulator of a data dir (SIGTERM; SIGKILL after 10 s)."""
    data_dir = _existing_data_dir(data)
    pid = _recorded_pid(data_dir)
    if pid is None or not _is_emulator(pid):
        _remove_runtime_files(data_dir)
        stale = f" (removed the stale pid file of pid {pid})" if pid is not None else ""
        raise CliError(f"no emulator is running for {data_dir}{stale}")
    killed = _terminate(pid)
    _remove_runtime_files(data_dir)
    how = f"; it did not stop within {STOP_TIMEOUT:g} s and was killed" if killed else ""
    typer.echo(f"Stopped the emulator (pid {pid}){how}.")


def _terminate(pid: int) -> bool:
    """SIGTERM, then SIGKILL if it is still there after STOP_TIMEOUT; True if it was killed."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    if _wait_for_exit(pid, STOP_TIMEOUT):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    if not _wait_for_exit(pid, KILL_TIMEOUT):
        raise CliError(f"the emulator (pid {pid}) did not exit, even after SIGKILL")
    return True


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


@commands.command()
def env(
    data: DataOption = None,
    output_format: Annotated[
        EnvFormat,
        typer.Option("--format", help="sh: export lines (like powervcrc); clouds-yaml."),
    ] = EnvFormat.sh,
    cloud_name: Annotated[
        str, typer.Option(help="The cloud's name in clouds.yaml (for --os-cloud).")
    ] = "powervc-emulator",
) -> None:
    """Print how clients reach the running emulator: OS_* variables or a clouds.yaml."""
    data_dir = _existing_data_dir(data)
    state, info = _probe(data_dir)
    if state != "running" or info is None:
        raise CliError(
            f"the emulator of {data_dir} is {state}",
            hint=f"start it with: powerbridge emulator start --detach{_data_argument(data_dir)}",
        )
    if output_format is EnvFormat.sh:
        typer.echo(_sh_exports(info), nl=False)
    else:
        typer.echo(_clouds_yaml(info, cloud_name), nl=False)


def _sh_exports(info: dict[str, Any]) -> str:
    import shlex

    variables: dict[str, str] = info["env"]
    lines = [f"# PowerVC emulator at {info['auth_url']}, like PowerVC's powervcrc"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    if info.get("ssh_config"):
        lines.append(f"export {SSH_CONFIG_ENV}={shlex.quote(str(info['ssh_config']))}")
    return "\n".join(lines) + "\n"


def _clouds_yaml(info: dict[str, Any], cloud_name: str) -> str:
    import yaml

    cloud: dict[str, Any] = {
        "auth": {
            "auth_url": info["auth_url"],
            "username": info["username"],
            "password": info["password"],
            "project_name": info["project_name"],
            "user_domain_name": info["user_domain_name"],
            "project_domain_name": info["project_domain_name"],
        },
        "region_name": info["region"],
        "interface": "public",
        "identity_api_version": 3,
    }
    if info.get("ca_path"):
        cloud["cacert"] = info["ca_path"]
    document: str = yaml.safe_dump({"clouds": {cloud_name: cloud}}, sort_keys=False)
    return document


# -- the runtime files and the process --------------------------------------------------------
def _data_dir(data: str | None) -> Path | None:
    from powerbridge.emulator.config import default_data_dir

    if data == MEMORY:
        return None
    return Path(data).expanduser().resolve() if data else default_data_dir()


def _existing_data_dir(data: str | None) -> Path:
    data_dir = _data_dir(data)
    if data_dir is None:
        raise UsageProblem(
            "an emulator kept in memory has no data dir to find it by",
            hint="start it with a --data DIR to use status, env and stop",
        )
    return data_dir


def _prepare_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise CliError(f"cannot use the data directory {data_dir}: {problem.strerror}") from None


def _refuse_if_running(data_dir: Path) -> None:
    pid = _recorded_pid(data_dir)
    if pid is not None and pid != os.getpid() and _is_emulator(pid):
        raise CliError(
            f"an emulator is already running for {data_dir} (pid {pid})",
            hint=f"stop it with: powerbridge emulator stop{_data_argument(data_dir)}",
        )


def _probe(data_dir: Path) -> tuple[str, dict[str, Any] | None]:
    """("running" | "not responding" | "not running", emulator.json's content)."""
    info = _read_info(data_dir)
    pid = _recorded_pid(data_dir)
    if pid is None or not _is_emulator(pid):
        return "not running", info
    if info is None or info.get("pid") != pid or not _healthy(info):
        return "not responding", info
    return "running", info


def _healthy(info: dict[str, Any]) -> bool:
    import ssl

    import httpx

    try:
        verify: ssl.SSLContext | bool = True
        if info.get("ca_path"):
            verify = ssl.create_default_context(cafile=info["ca_path"])
        response = httpx.get(
            info["health_url"], timeout=HEALTH_TIMEOUT, verify=verify, trust_env=False
        )
    except (httpx.HTTPError, OSError, KeyError):
        return _httpd_stopped(info)
    return response.status_code == 200


def _httpd_stopped(info: dict[str, Any]) -> bool:
    """Whether the control socket answers that httpd is stopped: the emulator runs, its HTTP
    ports drop connections on purpose (`emulator services httpd stop`)."""
    from powerbridge.emulator.control import ControlError, request

    path = info.get("control_socket")
    if not isinstance(path, str):
        return False
    try:
        answer = request(Path(path), "status", ["httpd"], timeout=HEALTH_TIMEOUT)
    except ControlError:
        return False
    records = answer.get("services") if isinstance(answer, dict) else None
    return isinstance(records, list) and bool(records) and records[0].get("active") is False


def _recorded_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        info = _read_info(data_dir)
        pid = info.get("pid") if info else None
        return pid if isinstance(pid, int) else None


def _read_info(data_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((data_dir / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie nobody reaped yet has exited too
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def _is_emulator(pid: int) -> bool:
    """Alive and a powerbridge process: a pid file can outlive its process and the pid be
    reused."""
    if not _alive(pid):
        return False
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc here: trust the pid file
    return b"powerbridge" in command_line


def _remove_runtime_files(data_dir: Path, *, only_pid: int | None = None) -> None:
    """Remove emulator.pid and emulator.json (with `only_pid`: only if they name that pid)."""
    if only_pid is not None and _recorded_pid(data_dir) not in (only_pid, None):
        return
    for name in (PID_FILE, INFO_FILE):
        with contextlib.suppress(OSError):  # never hide the error that stopped the emulator
            (data_dir / name).unlink(missing_ok=True)


def _write_private(path: Path, text: str) -> None:
    """Write with mode 0600, whole (readers never see half of it)."""
    from powerbridge.emulator.files import write_atomically

    write_atomically(path, text.encode("utf-8"), 0o600)


def _now_iso() -> str:
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# PowerVC's powervc-services, through the control socket (cli/emulator_services.py)
commands.command(name="services", no_args_is_help=True)(services)
# PowerVC's powervc-backup and powervc-restore (cli/emulator_backup.py)
commands.command(name="backup")(backup)
commands.command(name="restore")(restore)
# the integrity check of a stopped emulator's state (cli/emulator_check.py)
commands.command(name="check")(check)
