"""PowerVC's backup archive for the emulator: `powervc-backup` and `powervc-restore`'s data.

`powervc-backup [--noprompt] [--targetdir LOCATION]` saves PowerVC's data to an archive .tgz
file (default location /var/opt/ibm/powervc/backups); `powervc-restore` restores from one,
by default the most recent (the commands' help, as IBM developerWorks' "PowerVC: bringing
Power resources into the cloud" prints it). The emulator's archive is
`<targetdir>/<UTC timestamp>/powervc_backup.tgz` holding

- `manifest.json` first: the format, the powerbridge and PowerVC versions, the store's schema
  version, the time, and each file's size and SHA-256;
- `data/emulator.sqlite`: a consistent snapshot of the store (every record: servers, volumes,
  the nodes' file systems, the services' state), taken with SQLite's online backup;
- `data/...`: the rest of the data dir (etc/, logs/ with the nodes' mirrored files, ssh/,
  tls/, powervcrc), not the runtime files (socket, pid, emulator.json) nor `backups/`.

`take_moment` runs inside the emulator, on its event loop (through the control socket), so no
request changes the store while the snapshot and the files are taken: the archive is one
moment; `write_archive` then compresses it in a worker thread while the emulator serves.
`extract_backup` checks an archive whole into a staging directory before anything of the
current state is touched: not a gzip'd tar (corrupt), cut short (truncated), without this
format's manifest (foreign), a newer format, powerbridge or schema (newer), or a file whose
checksum or size differs, is a `BackupError` saying which.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from powerbridge import __version__
from powerbridge.emulator.store import SCHEMA_VERSION, Store

FORMAT = "powerbridge-emulator-backup"
FORMAT_VERSION = 1
ARCHIVE = "powervc_backup.tgz"
MANIFEST = "manifest.json"
BACKUPS = "backups"  # the default target directory, inside the data dir
STATE = "emulator.sqlite"
DATA = "data"
# never archived: the runtime files of a running emulator, the live database (a snapshot is)
RUNTIME = (
    "emulator.sock",
    "emulator.pid",
    "emulator.json",
    "emulator.out",
    STATE,
    f"{STATE}-wal",
    f"{STATE}-shm",
    f"{STATE}-journal",
)


class BackupError(Exception):
    """A backup cannot be made, or an archive cannot be restored: the message says why."""


# -- writing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Moment:
    """What a backup holds, taken at one moment: the store's snapshot and the files' bytes."""

    folder: Path  # where the archive goes
    created: str
    powervc_version: str
    contents: dict[str, bytes]


def take_moment(store: Store, data_dir: Path, target_dir: Path, powervc_version: str) -> Moment:
    """The state and files now (call it where nothing changes them meanwhile: the loop)."""
    stamp = datetime.datetime.now(datetime.UTC)
    folder = target_dir / stamp.strftime("%Y%m%d%H%M%S%f")
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except OSError as problem:
        raise BackupError(f"cannot create {folder}: {problem.strerror}") from None
    snapshot = folder / f".{STATE}"
    store.snapshot(snapshot)
    try:
        contents = {STATE: snapshot.read_bytes()}
        contents.update(_data_files(data_dir, skip=(target_dir, folder)))
    finally:
        snapshot.unlink(missing_ok=True)
    return Moment(folder, stamp.isoformat(timespec="seconds"), powervc_version, contents)


def write_archive(moment: Moment) -> Path:
    """The archive of `moment` (compressing may run off the loop); its path."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "powerbridge_version": __version__,
        "powervc_version": moment.powervc_version,
        "schema_version": SCHEMA_VERSION,
        "created": moment.created,
        "files": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in moment.contents.items()
        },
    }
    archive = moment.folder / ARCHIVE
    partial = moment.folder / f".{ARCHIVE}.part"
    with tarfile.open(partial, "w:gz") as tar:
        _add(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
        for name, data in moment.contents.items():
            _add(tar, f"{DATA}/{name}", data)
    partial.rename(archive)
    return archive


def _data_files(data_dir: Path, skip: tuple[Path, ...]) -> dict[str, bytes]:
    """Every regular file under `data_dir` but the runtime files, staging directories and the
    `skip` directories (the backups), by its path relative to `data_dir`."""
    root = os.path.realpath(data_dir)
    skipped = {os.path.relpath(os.path.realpath(p), root) for p in (*skip, data_dir / BACKUPS)}
    files = {}
    for directory, subdirectories, names in os.walk(root):
        relative_dir = os.path.relpath(directory, root)
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".restore-")
            and os.path.normpath(os.path.join(relative_dir, name)) not in skipped
        )
        for name in sorted(names):
            relative = os.path.normpath(os.path.join(relative_dir, name))
            path = os.path.join(directory, name)
            if relative in RUNTIME or os.path.islink(path) or not os.path.isfile(path):
                continue
            files[Path(relative).as_posix()] = Path(path).read_bytes()
    return files


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


# -- reading ---------------------------------------------------------------------------------
def extract_backup(archive: Path, staging: Path) -> dict[str, Any]:
    """Check `archive` whole and write its data files under `staging`; its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return _extract(tar, archive, staging)
    except (tarfile.ReadError, EOFError, zlib.error, OSError) as problem:
        if isinstance(problem, OSError) and problem.strerror:  # the file cannot be read at all
            raise BackupError(f"cannot read {archive}: {problem.strerror}") from None
        truncated = isinstance(problem, EOFError) or "unexpected end" in str(problem).lower()
        what = (
            "is truncated (it ends before its last file)"
            if truncated
            else ("is corrupt: not a gzip-compressed tar archive")
        )
        raise BackupError(f"{archive} {what}") from None


def _extract(tar: tarfile.TarFile, archive: Path, staging: Path) -> dict[str, Any]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError(f"{archive} is not a powerbridge emulator backup: no {MANIFEST} first")
    manifest = _manifest(tar, first, archive)
    expected: dict[str, dict[str, Any]] = manifest["files"]
    seen = set()
    for member in tar:  # the members read so far come first again: the manifest
        if member is first:
            continue
        name = _data_name(member, archive)
        if name not in expected:
            raise BackupError(f"{archive}: {member.name} is not listed in its manifest")
        handle = tar.extractfile(member)
        data = handle.read() if handle is not None else b""
        listed = expected[name]
        if len(data) != listed.get("size") or hashlib.sha256(data).hexdigest() != listed.get(
            "sha256"
        ):
            raise BackupError(f"{archive}: {member.name} does not match its checksum (corrupt)")
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        seen.add(name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive} is truncated: {DATA}/{missing[0]} is missing")
    return manifest


def _manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> dict[str, Any]:
    handle = tar.extractfile(member)
    try:
        manifest = json.loads(handle.read() if handle is not None else b"")
    except ValueError:
        raise BackupError(f"{archive}: {MANIFEST} is not JSON (corrupt)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a powerbridge emulator backup (format {FORMAT!r})")
    if not isinstance(manifest.get("files"), dict) or not isinstance(
        manifest.get("format_version"), int
    ):
        raise BackupError(f"{archive}: {MANIFEST} lacks its files or format_version (corrupt)")
    _check_versions(manifest, archive)
    return manifest


def _check_versions(manifest: dict[str, Any], archive: Path) -> None:
    made_by = str(manifest.get("powerbridge_version", "?"))
    if manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(
            f"{archive} has backup format {manifest['format_version']} (powerbridge {made_by}); "
            f"this powerbridge ({__version__}) reads format {FORMAT_VERSION}: upgrade powerbridge"
        )
    if _version(made_by) > _version(__version__):
        raise BackupError(
            f"{archive} was made by powerbridge {made_by}, newer than this one ({__version__}): "
            "upgrade powerbridge to restore it"
        )
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise BackupError(
            f"{archive} holds store schema {manifest.get('schema_version')}, this emulator uses "
            f"{SCHEMA_VERSION}"
        )


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _data_name(member: tarfile.TarInfo, archive: Path) -> str:
    path = PurePosixPath(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or path.parts[:1] != (DATA,)
        or len(path.parts) < 2
    ):
        raise BackupError(f"{archive}: {member.name} is not a data file of a backup (foreign)")
    return PurePosixPath(*path.parts[1:]).as_posix()


def newest_archive(directory: Path) -> Path | None:
    """`directory`'s own archive, or the newest in its timestamped subdirectories."""
    if (directory / ARCHIVE).is_file():
        return directory / ARCHIVE
    if not directory.is_dir():
        return None
    found = [sub / ARCHIVE for sub in directory.iterdir() if (sub / ARCHIVE).is_file()]
    return max(found, key=lambda path: (path.parent.name, path.stat().st_mtime), default=None)
