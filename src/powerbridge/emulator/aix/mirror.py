"""The read-only copy of every node's files under `<data_dir>/logs/nodes/<node>/`, so a person
can read a node's /etc/hosts or /var/hacmp/log/hacmp.out with ordinary tools.

Files are written atomically (a temporary file renamed over the old one) with mode 0444;
a file or directory removed on the node is removed here. Nothing is ever written outside the
mirror's root: node paths are normalised (`..` stops at the node's `/`) and every host path is
checked to lie below the root before it is touched.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from powerbridge.emulator.aix.vfs import VirtualFS
from powerbridge.emulator.files import write_atomically

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node

logger = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
READ_ONLY = 0o444


class FileMirror:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def node_root(self, node: Node) -> Path:
        """The node's directory: its host name when that is a safe file name, else its id."""
        name = node.name if SAFE_NAME.match(node.name) else node.server_id
        if not SAFE_NAME.match(name):
            name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "node"
        return self.root / name

    def host_path(self, node: Node, path: str) -> Path | None:
        """Where a node path is mirrored, or None when it would leave the mirror or cannot
        name a host file (a NUL in it: the host's open() refuses it)."""
        base = self.node_root(node)
        relative = VirtualFS.normalize(path).lstrip("/")
        if "\0" in relative:
            return None
        target = Path(os.path.normpath(base / relative)) if relative else base
        if target != base and base not in target.parents:
            return None
        if any(part in ("", ".", "..") for part in Path(relative).parts):
            return None
        return target

    def update(self, node: Node, path: str) -> None:
        """Bring the mirror of one node path in line with the node (written, changed, gone)."""
        target = self.host_path(node, path)
        if target is None:
            logger.warning("not mirroring %r of %s: not a file of the mirror", path, node.name)
            return
        try:
            self._apply(node, path, target)
        except (OSError, ValueError):
            logger.exception("could not mirror %s of %s", path, node.name)

    def sync(self, node: Node) -> None:
        """Mirror every file of a node (at load, after a restart)."""
        for path, _entry in node.fs.walk():
            self.update(node, path)

    def forget(self, node: Node) -> None:
        """A deleted node's mirror goes with it (its files no longer exist anywhere)."""
        try:
            self._remove(self.node_root(node))
        except OSError:
            logger.exception("could not remove the mirror of %s", node.name)

    def _apply(self, node: Node, path: str, target: Path) -> None:
        entry = node.fs.stat(path)
        if entry is None:
            self._remove(target)
            return
        if entry.is_dir:
            if target.is_file() or target.is_symlink():
                target.unlink()
            target.mkdir(parents=True, exist_ok=True)
            return
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._write(target, entry.data)

    def _write(self, target: Path, data: str) -> None:
        write_atomically(target, data.encode("utf-8", "surrogateescape"), READ_ONLY)

    def _remove(self, target: Path) -> None:
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
