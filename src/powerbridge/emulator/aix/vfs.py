"""A node's virtual file system: paths and contents in memory, never a path on the host.

Paths are normalised against `/` (`..` stops at the root, as on a real system), so no command
line can name anything outside the node. Every change calls `on_change(path)`, which the
owner uses to persist the node and mirror its files read-only under the data dir.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

FILE, DIRECTORY = "file", "dir"
# root's default `ulimit -f` on AIX is 2 GB; a simulated node keeps its files in memory
MAX_FILE_SIZE = 8 * 1024 * 1024
TOO_LARGE = "A file cannot be larger than the value set by ulimit."


class FsError(Exception):
    """What AIX prints after the command name, e.g. `/x: No such file or directory`."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def no_such(path: str) -> FsError:
    return FsError(path, "No such file or directory")


@dataclass
class Entry:
    kind: str
    mode: int
    owner: str = "root"
    group: str = "system"
    data: str = ""
    mtime: float = 0.0

    @property
    def is_dir(self) -> bool:
        return self.kind == DIRECTORY

    @property
    def executable(self) -> bool:
        return bool(self.mode & 0o111)


class VirtualFS:
    def __init__(
        self,
        entries: dict[str, Entry] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._entries = entries if entries is not None else {}
        self._entries.setdefault("/", Entry(DIRECTORY, 0o755))
        self._clock = clock
        self.on_change = on_change

    # -- paths ---------------------------------------------------------------------------
    @staticmethod
    def normalize(path: str, cwd: str = "/") -> str:
        """An absolute, normalised path; `..` above `/` stays at `/`."""
        joined = posixpath.join(cwd or "/", path) if path else (cwd or "/")
        parts: list[str] = []
        for part in joined.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(part)
        return "/" + "/".join(parts)

    def stat(self, path: str) -> Entry | None:
        return self._entries.get(self.normalize(path))

    def exists(self, path: str) -> bool:
        return self.stat(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and entry.is_dir

    def is_file(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and not entry.is_dir

    # -- reading -------------------------------------------------------------------------
    def read_text(self, path: str) -> str:
        entry = self.stat(path)
        if entry is None:
            raise no_such(path)
        if entry.is_dir:
            raise FsError(path, "Is a directory")
        return entry.data

    def listdir(self, path: str) -> list[str]:
        where = self.normalize(path)
        entry = self._entries.get(where)
        if entry is None:
            raise no_such(path)
        if not entry.is_dir:
            raise FsError(path, "Not a directory")
        prefix = where.rstrip("/") + "/"
        return sorted(
            name[len(prefix) :]
            for name in self._entries
            if name.startswith(prefix) and "/" not in name[len(prefix) :] and name != where
        )

    def walk(self) -> Iterator[tuple[str, Entry]]:
        """Every path and its entry, parents before children."""
        yield from sorted(self._entries.items())

    # -- writing -------------------------------------------------------------------------
    def write_text(self, path: str, text: str, *, append: bool = False, mode: int = 0o644) -> None:
        where = self.normalize(path)
        self._require_parent(where, path)
        entry = self._entries.get(where)
        if entry is not None and entry.is_dir:
            raise FsError(path, "Is a directory")
        size = (len(entry.data) if entry is not None and append else 0) + len(text)
        if size > MAX_FILE_SIZE:
            raise FsError(path, TOO_LARGE)
        if entry is None:
            entry = self._entries[where] = Entry(FILE, mode)
        entry.data = entry.data + text if append else text
        self._touched(where, entry)

    def mkdir(self, path: str, *, parents: bool = False, mode: int = 0o755) -> None:
        where = self.normalize(path)
        entry = self._entries.get(where)
        if entry is not None:
            if entry.is_dir and parents:
                return
            raise FsError(path, "File exists" if entry.is_dir else "Not a directory")
        if parents and where != "/":
            self.mkdir(posixpath.dirname(where), parents=True, mode=mode)
        self._require_parent(where, path)
        self._entries[where] = Entry(DIRECTORY, mode, mtime=self._clock())
        self._changed(where)

    def remove(self, path: str, *, recursive: bool = False) -> None:
        where = self.normalize(path)
        entry = self._entries.get(where)
        if entry is None:
            raise no_such(path)
        if where == "/":
            raise FsError(path, "Device busy")
        if entry.is_dir:
            inside = [name for name in self._entries if name.startswith(where + "/")]
            if inside and not recursive:
                raise FsError(path, "Directory not empty")
            for name in inside:
                del self._entries[name]
        del self._entries[where]
        self._changed(where)

    def chmod(self, path: str, mode: int) -> None:
        entry = self._existing(path)
        entry.mode = mode & 0o7777
        self._touched(self.normalize(path), entry)

    def chown(self, path: str, owner: str, group: str | None = None) -> None:
        entry = self._existing(path)
        entry.owner = owner
        if group is not None:
            entry.group = group
        self._touched(self.normalize(path), entry)

    def _existing(self, path: str) -> Entry:
        entry = self.stat(path)
        if entry is None:
            raise no_such(path)
        return entry

    def _require_parent(self, where: str, path: str) -> None:
        parent = self._entries.get(posixpath.dirname(where))
        if parent is None:
            raise no_such(path)
        if not parent.is_dir:
            raise FsError(path, "Not a directory")

    def _touched(self, where: str, entry: Entry) -> None:
        entry.mtime = self._clock()
        self._changed(where)

    def _changed(self, where: str) -> None:
        if self.on_change is not None:
            self.on_change(where)

    # -- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {path: asdict(entry) for path, entry in self._entries.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any], **kwargs: Any) -> VirtualFS:
        return cls({path: Entry(**entry) for path, entry in data.items()}, **kwargs)
