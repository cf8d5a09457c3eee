"""SFTP on a node: asyncssh's `SFTPServer` over the node's `VirtualFS`.

Every method asyncssh's base class implements with the host's `os` calls is overridden here,
so no request reaches the machine the emulator runs on: paths are the node's (normalised, `..`
stops at `/`), file contents live in the node's record. Files are read and written as bytes
(kept as text with surrogate escapes, so any byte survives); a file opened for writing is
stored when it is closed. Links, locks and file system statistics are not supported.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncssh

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.vfs import Entry, FsError, VirtualFS
from powerbridge.emulator.aix.world import AixWorld

ENCODING, ERRORS = "utf-8", "surrogateescape"
T = TypeVar("T")


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


@dataclass
class OpenFile:
    path: str
    data: bytearray
    writable: bool
    append: bool
    changed: bool = False

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """What asyncssh's ranges extension asks of a file: one data range, no holes."""
        if whence == getattr(os, "SEEK_DATA", -1):
            if offset >= len(self.data):
                raise OSError(errno.ENXIO, "no data after this offset")
            return offset
        if whence == getattr(os, "SEEK_HOLE", -1):
            return len(self.data)
        return offset


class NodeSftpServer(asyncssh.SFTPServer):
    def __init__(
        self, chan: asyncssh.SSHServerChannel[bytes], world: AixWorld, server_id: str
    ) -> None:
        super().__init__(chan)
        self._world = world
        self._server_id = server_id

    # -- the node ------------------------------------------------------------------------
    @property
    def _node(self) -> Node:
        node = self._world.node(self._server_id)
        if node is None or not node.is_up:
            raise asyncssh.SFTPConnectionLost("the node is down")
        return node

    @property
    def _fs(self) -> VirtualFS:
        return self._node.fs

    def _path(self, path: bytes) -> str:
        return VirtualFS.normalize(decode(path))

    def _entry(self, path: bytes) -> tuple[str, Entry]:
        where = self._path(path)
        entry = self._fs.stat(where)
        if entry is None:
            raise asyncssh.SFTPNoSuchFile(f"{where}: No such file or directory")
        return where, entry

    # -- files ---------------------------------------------------------------------------
    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> OpenFile:
        where = self._path(path)
        entry = self._fs.stat(where)
        writable = bool(pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND))
        if entry is not None and entry.is_dir:
            raise asyncssh.SFTPFailure(f"{where}: Is a directory")
        if entry is not None and pflags & asyncssh.FXF_EXCL and pflags & asyncssh.FXF_CREAT:
            raise asyncssh.SFTPFileAlreadyExists(f"{where}: File exists")
        if entry is None:
            if not pflags & asyncssh.FXF_CREAT:
                raise asyncssh.SFTPNoSuchFile(f"{where}: No such file or directory")
            mode = attrs.permissions & 0o7777 if attrs.permissions is not None else 0o644
            _call(lambda: self._fs.write_text(where, "", mode=mode))
            data = bytearray()
        else:
            data = bytearray() if pflags & asyncssh.FXF_TRUNC else bytearray(encode(entry.data))
        opened = OpenFile(where, data, writable, bool(pflags & asyncssh.FXF_APPEND))
        opened.changed = bool(writable and pflags & asyncssh.FXF_TRUNC)
        return opened

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        return bytes(_open_file(file_obj).data[offset : offset + size])

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        opened = _open_file(file_obj)
        if not opened.writable:
            raise asyncssh.SFTPPermissionDenied(f"{opened.path}: not opened for writing")
        if opened.append:
            offset = len(opened.data)
        if offset > len(opened.data):
            opened.data.extend(b"\0" * (offset - len(opened.data)))
        opened.data[offset : offset + len(data)] = data
        opened.changed = True
        return len(data)

    def close(self, file_obj: object) -> None:
        opened = _open_file(file_obj)
        if opened.changed:
            _call(lambda: self._fs.write_text(opened.path, decode(bytes(opened.data))))

    def fstat(self, file_obj: object) -> asyncssh.SFTPAttrs:
        opened = _open_file(file_obj)
        attrs = _attrs(self._entry(encode(opened.path))[1])
        attrs.size = len(opened.data)
        return attrs

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        self.setstat(encode(_open_file(file_obj).path), attrs)

    def fsync(self, file_obj: object) -> None:
        self.close(file_obj)

    # -- paths ---------------------------------------------------------------------------
    def realpath(self, path: bytes) -> bytes:
        return encode(self._path(path))

    def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return _attrs(self._entry(path)[1])

    def lstat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return self.stat(path)

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        where, _ = self._entry(path)
        permissions = attrs.permissions
        if permissions is not None:
            _call(lambda: self._fs.chmod(where, permissions & 0o7777))
        if attrs.size is not None:
            text = encode(self._fs.read_text(where))[: attrs.size]
            _call(lambda: self._fs.write_text(where, decode(text)))

    def lsetstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self.setstat(path, attrs)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        where, entry = self._entry(path)
        if not entry.is_dir:
            raise asyncssh.SFTPNoSuchFile(f"{where}: Not a directory")
        yield asyncssh.SFTPName(b".", attrs=_attrs(entry))
        parent = self._fs.stat(posixpath.dirname(where)) or entry
        yield asyncssh.SFTPName(b"..", attrs=_attrs(parent))
        for name in _call(lambda: self._fs.listdir(where)):
            child = self._fs.stat(posixpath.join(where, name))
            if child is not None:
                yield asyncssh.SFTPName(encode(name), attrs=_attrs(child))

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        mode = attrs.permissions & 0o7777 if attrs.permissions is not None else 0o755
        where = self._path(path)
        _call(lambda: self._fs.mkdir(where, mode=mode))

    def remove(self, path: bytes) -> None:
        where, entry = self._entry(path)
        if entry.is_dir:
            raise asyncssh.SFTPFailure(f"{where}: Is a directory")
        _call(lambda: self._fs.remove(where))

    def rmdir(self, path: bytes) -> None:
        where, entry = self._entry(path)
        if not entry.is_dir:
            raise asyncssh.SFTPFailure(f"{where}: Not a directory")
        _call(lambda: self._fs.remove(where))

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        source, _ = self._entry(oldpath)
        target = self._path(newpath)
        if self._fs.exists(target):
            raise asyncssh.SFTPFileAlreadyExists(f"{target}: File exists")
        if target == source or target.startswith(source.rstrip("/") + "/"):
            raise asyncssh.SFTPFailure(f"{target}: Invalid argument")
        _call(lambda: _move(self._fs, source, target))

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        target = self._path(newpath)
        if self._fs.is_file(target):
            _call(lambda: self._fs.remove(target))
        self.rename(oldpath, newpath)

    def exit(self) -> None:
        """End the session with exit status 0, as OpenSSH's sftp-server does (scp checks)."""
        with contextlib.suppress(OSError, asyncssh.Error):
            self.channel.exit(0)

    # -- what a node does not offer over SFTP --------------------------------------------
    def readlink(self, path: bytes) -> bytes:
        raise asyncssh.SFTPNoSuchFile(f"{self._path(path)}: Not a symbolic link")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("symbolic links are not supported")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("hard links are not supported")

    def statvfs(self, path: bytes) -> asyncssh.SFTPVFSAttrs:
        raise asyncssh.SFTPOpUnsupported("file system statistics are not supported")

    def fstatvfs(self, file_obj: object) -> asyncssh.SFTPVFSAttrs:
        raise asyncssh.SFTPOpUnsupported("file system statistics are not supported")

    def lock(self, file_obj: object, offset: int, length: int, flags: int) -> None:
        raise asyncssh.SFTPOpUnsupported("locks are not supported")

    def unlock(self, file_obj: object, offset: int, length: int) -> None:
        raise asyncssh.SFTPOpUnsupported("locks are not supported")

    def open56(
        self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs
    ) -> object:
        raise asyncssh.SFTPOpUnsupported("SFTP version 5 and later opens are not supported")


def _open_file(file_obj: object) -> OpenFile:
    if not isinstance(file_obj, OpenFile):
        raise asyncssh.SFTPInvalidHandle("invalid handle")
    return file_obj


def _attrs(entry: Entry) -> asyncssh.SFTPAttrs:
    kind = stat.S_IFDIR if entry.is_dir else stat.S_IFREG
    mtime = int(entry.mtime)
    return asyncssh.SFTPAttrs(
        type=asyncssh.FILEXFER_TYPE_DIRECTORY if entry.is_dir else asyncssh.FILEXFER_TYPE_REGULAR,
        size=0 if entry.is_dir else len(encode(entry.data)),
        uid=0,
        gid=0,
        owner=entry.owner,
        group=entry.group,
        permissions=kind | entry.mode,
        atime=mtime,
        mtime=mtime,
        nlink=1,
    )


def _call(action: Callable[[], T]) -> T:
    try:
        return action()
    except FsError as problem:
        if problem.reason == "No such file or directory":
            raise asyncssh.SFTPNoSuchFile(str(problem)) from None
        raise asyncssh.SFTPFailure(str(problem)) from None


def _move(fs: VirtualFS, source: str, target: str) -> None:
    """Rename a file or a directory tree (the file system has no rename of its own)."""
    moved = [
        (path, entry)
        for path, entry in fs.walk()
        if path == source or path.startswith(source + "/")
    ]
    for path, entry in moved:
        new = target + path[len(source) :]
        if entry.is_dir:
            fs.mkdir(new, mode=entry.mode)
        else:
            fs.write_text(new, entry.data, mode=entry.mode)
        fs.chown(new, entry.owner, entry.group)
    fs.remove(source, recursive=True)
