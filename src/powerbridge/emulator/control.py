"""The emulator's control channel: a unix socket, apart from the HTTP ports.

`powerbridge emulator services ...` must reach the emulator while httpd (and with it every
HTTP port) is stopped, as `powervc-services` runs on the PowerVC host itself. So the emulator
listens on `<data>/emulator.sock` (mode 0600: only its owner may control it; an in-memory
emulator uses a temporary directory, named in `emulator.json` as `control_socket`).

One request per connection: a JSON line `{"operation": "stop", "services": ["nova"]}` (no
services: all of them), answered by one JSON line `{"services": [status, ...]}` or
`{"error": "..."}`; `{"operation": "backup", "targetdir": DIR}` takes a backup's state and
files in the running emulator's loop (so the store is snapshot between two requests),
compresses them in a worker thread and answers `{"archive": PATH}`. A path longer than a unix
socket address allows is reached through `/proc/self/fd/<dir fd>/` (Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from powerbridge.emulator.admin_services import OPERATIONS, AdminServices, ServiceNameError
from powerbridge.emulator.backup import BackupError, Moment, write_archive

SOCKET_NAME = "emulator.sock"
MAX_REQUEST = 64 * 1024
_MAX_ADDRESS = 100  # sun_path holds 108 bytes on Linux, fewer elsewhere


class ControlError(Exception):
    """The control socket cannot be reached or gave no answer."""


class ControlServer:
    """Answers service operations on a unix socket; `after_change` runs after each one (the
    server drops its HTTP connections when httpd stopped)."""

    def __init__(
        self,
        services: AdminServices,
        path: Path,
        after_change: Callable[[], None],
        backup: Callable[[Path], Moment] | None = None,
    ) -> None:
        self.services = services
        self.path = path
        self.after_change = after_change
        self.backup = backup
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with _address(self.path) as address:
            self._server = await asyncio.start_unix_server(
                self._handle, path=address, limit=MAX_REQUEST
            )
        os.chmod(self.path, 0o600)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            answer = self.answer(line)
            if isinstance(answer.get("moment"), Moment):  # compressed off the loop
                answer = await asyncio.to_thread(self._archive, answer["moment"])
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, ValueError):  # a client gone, or a line over the limit
            pass
        finally:
            writer.close()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError:
            return {"error": "the request is not a JSON line"}
        operation = request.get("operation") if isinstance(request, dict) else None
        if operation == "backup":
            return self._backup(request.get("targetdir"))
        names = request.get("services", []) if isinstance(request, dict) else None
        if operation not in OPERATIONS:
            return {"error": f"the operation must be one of {'|'.join(OPERATIONS)}"}
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return {"error": "services must be a list of service names"}
        try:
            statuses = getattr(self.services, operation)(names)
        except ServiceNameError as problem:
            return {"error": str(problem)}
        if operation != "status":
            self.after_change()
        return {"services": [status.to_wire() for status in statuses]}

    def _backup(self, target: Any) -> dict[str, Any]:
        if self.backup is None:
            return {"error": "this emulator makes no backups"}
        if not isinstance(target, str) or not target:
            return {"error": "targetdir must be a directory path"}
        try:
            return {"moment": self.backup(Path(target))}
        except BackupError as problem:
            return {"error": str(problem)}

    @staticmethod
    def _archive(moment: Moment) -> dict[str, Any]:
        try:
            return {"archive": str(write_archive(moment))}
        except OSError as problem:
            return {"error": f"cannot write the archive in {moment.folder}: {problem}"}


def request(path: Path, operation: str, services: list[str], *, timeout: float = 10.0) -> Any:
    """Send one request to the control socket at `path`; its answer (a ControlError when
    nothing listens there)."""
    return exchange(path, {"operation": operation, "services": services}, timeout=timeout)


def exchange(path: Path, message: dict[str, Any], *, timeout: float = 10.0) -> Any:
    """Send `message` as one JSON line to the control socket at `path`; the answer."""
    payload = json.dumps(message).encode() + b"\n"
    try:
        with (
            _address(path) as address,
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock,
        ):
            sock.settimeout(timeout)
            sock.connect(address)
            sock.sendall(payload)
            answer = _read_line(sock)
    except (FileNotFoundError, ConnectionRefusedError):
        raise ControlError(f"nothing listens on the control socket {path}") from None
    except OSError as problem:
        raise ControlError(f"the control socket {path}: {problem.strerror or problem}") from None
    try:
        return json.loads(answer)
    except ValueError:
        raise ControlError(f"the control socket {path} gave no answer") from None


def _read_line(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """`path` as a unix socket address: itself, or through the directory's descriptor when
    too long."""
    if len(os.fsencode(path)) <= _MAX_ADDRESS:
        yield str(path)
        return
    descriptor = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{descriptor}/{path.name}"
    finally:
        os.close(descriptor)
