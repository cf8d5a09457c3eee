"""The portal's SSH key in the shared job store (keys.py), on SQLite and on a real PostgreSQL:
portals starting at once on one store all end up with the one key the first inserted, the
private half is sealed, a key file of the data dir from before schema 5 is imported once,
and a portal whose secret key is another's gets one line saying which file to copy."""

from __future__ import annotations

import itertools
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import psycopg
import pytest
import sqlalchemy as sa

from powerbridge.client import CloudConfig
from powerbridge.ha.identity import IdentityError
from powerbridge.jobs import JobStore
from powerbridge.jobs.schema import portal_ssh_keys
from powerbridge.portal.app import open_state
from powerbridge.portal.cipher import KEY_FILE as CIPHER_FILE
from powerbridge.portal.cipher import CipherError, portal_cipher
from powerbridge.portal.keys import LEGACY_KEY_FILE, portal_identity
from powerbridge.portal.settings import PortalSettings
from powerbridge.portal.state import PortalState
from tests.jobs.postgres import find_binaries, postgres_cluster
from tests.support.clirun import Shell

PORTALS = 4  # started at the same moment on one store
CLOUD = CloudConfig(auth_url="https://powervc.invalid:5000/v3")  # a startup reaches no cloud
_numbers = itertools.count(1)


@pytest.fixture(scope="module", name="postgres_server")
def postgres_server_fixture() -> Iterator[str]:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's binaries are absent: apt-get install postgresql")
    with postgres_cluster(binaries) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"], name="store_url")
def store_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    server = str(request.getfixturevalue("postgres_server"))
    name = f"keys_{next(_numbers)}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return server.replace("/postgres?", f"/{name}?")


def rows(store_url: str) -> list[sa.RowMapping]:
    store = JobStore.open(store_url)
    try:
        with store.engine.connect() as db:
            return list(db.execute(sa.select(portal_ssh_keys)).mappings())
    finally:
        store.close()


def data_dirs(tmp_path: Path, count: int) -> list[Path]:
    """`count` data dirs holding one secret key (copied, as an operator copies it)."""
    first = tmp_path / "portal-1"
    portal_cipher(first)
    made = [first]
    for number in range(2, count + 1):
        other = tmp_path / f"portal-{number}"
        other.mkdir(mode=0o700)
        shutil.copy2(first / CIPHER_FILE, other / CIPHER_FILE)
        made.append(other)
    return made


def start_at_once(store_url: str, directories: list[Path]) -> list[PortalState]:
    """The portals' startup (`app.open_state`), every one released at the same moment."""
    gate = threading.Barrier(len(directories))
    states: list[PortalState] = []
    problems: list[BaseException] = []

    def start(directory: Path) -> None:
        settings = PortalSettings(CLOUD, store_url=store_url, data_dir=directory)
        gate.wait()
        try:
            states.append(open_state(settings))
        except BaseException as problem:  # reported below, with the others
            problems.append(problem)

    threads = [threading.Thread(target=start, args=(d,)) for d in directories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert problems == []
    return states


def test_portals_starting_at_once_share_the_first_key(store_url: str, tmp_path: Path) -> None:
    states = start_at_once(store_url, data_dirs(tmp_path, PORTALS))
    try:
        [row] = rows(store_url)  # one insert won; the others read it
        assert len(states) == PORTALS
        assert {state.identity.public_key for state in states} == {row["public_key"]}
        assert row["origin"] == "generated"
        assert row["public_key"].startswith("ssh-ed25519 ")
    finally:
        for state in states:
            state.store.close()


def test_a_restarted_portal_reads_the_key_it_made(store_url: str, tmp_path: Path) -> None:
    [directory] = data_dirs(tmp_path, 1)
    first = start_at_once(store_url, [directory])[0]
    first.store.close()
    again = start_at_once(store_url, [directory])[0]
    again.store.close()
    assert again.identity.public_key == first.identity.public_key
    assert again.identity.fingerprint == first.identity.fingerprint
    assert not (directory / LEGACY_KEY_FILE).exists()  # no key file on disk any more


def test_the_stored_private_key_is_sealed(store_url: str, tmp_path: Path) -> None:
    [directory] = data_dirs(tmp_path, 1)
    state = start_at_once(store_url, [directory])[0]
    state.store.close()
    [row] = rows(store_url)
    sealed = row["private_key"]
    assert "PRIVATE KEY" not in sealed
    assert sealed.startswith("gAAAAA")  # a Fernet token (version byte 0x80)
    opened = portal_cipher(directory).open(sealed)
    assert opened.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    key = asyncssh.import_private_key(opened)
    public = " ".join(bytes(key.export_public_key()).decode().split()[:2])
    assert public == state.identity.public_key == row["public_key"]
    body = "".join(opened.splitlines()[1:-1])
    assert body[:40] not in sealed


def test_a_portal_with_another_secret_key_is_told_which_file(
    store_url: str, tmp_path: Path
) -> None:
    first, other = tmp_path / "first", tmp_path / "other"
    store = JobStore.open(store_url)
    try:
        portal_identity(store, portal_cipher(first), first)
        with pytest.raises(CipherError) as refused:
            portal_identity(store, portal_cipher(other), other)  # a key of its own
    finally:
        store.close()
    message = str(refused.value)
    assert message.startswith("the job store's portal SSH key: a stored secret does not open")
    assert "every portal on the store needs the same portal.key" in message


def test_a_data_dir_key_of_an_older_release_is_imported_once(
    store_url: str, tmp_path: Path
) -> None:
    first, second = data_dirs(tmp_path, 2)
    old = asyncssh.generate_private_key("ssh-ed25519")
    old.write_private_key(str(first / LEGACY_KEY_FILE))
    other = asyncssh.generate_private_key("ssh-ed25519")  # another host's old key: not taken
    other.write_private_key(str(second / LEGACY_KEY_FILE))
    wanted = " ".join(bytes(old.export_public_key()).decode().split()[:2])
    store = JobStore.open(store_url)
    try:
        imported = portal_identity(store, portal_cipher(first), first)
        later = portal_identity(store, portal_cipher(second), second)
    finally:
        store.close()
    assert imported.public_key == later.public_key == wanted
    [row] = rows(store_url)
    assert row["origin"] == f"imported from {first / LEGACY_KEY_FILE}"


def test_an_unreadable_old_key_file_names_the_file(store_url: str, tmp_path: Path) -> None:
    [directory] = data_dirs(tmp_path, 1)
    (directory / LEGACY_KEY_FILE).write_text("not a key\n")
    store = JobStore.open(store_url)
    try:
        with pytest.raises(IdentityError) as refused:
            portal_identity(store, portal_cipher(directory), directory)
    finally:
        store.close()
    assert str(refused.value).startswith(f"{directory / LEGACY_KEY_FILE} cannot be imported")
    assert "move it away, and the portal makes a new key" in str(refused.value)
    assert rows(store_url) == []  # nothing half made


def test_the_command_says_which_secret_key_to_copy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = str(tmp_path / "jobs.db")
    opened = JobStore.open(store)
    try:
        portal_identity(opened, portal_cipher(tmp_path / "first"), tmp_path / "first")
    finally:
        opened.close()
    shell = Shell(monkeypatch, capsys)
    result = shell("portal", "--emulator", "--data-dir", str(tmp_path / "other"), "--store", store)
    assert result.code == 1
    assert "Traceback" not in result.err
    [line] = result.error_lines
    assert line.startswith("error: the job store's portal SSH key: a stored secret does not")
    assert "hint: give --data-dir the portal.key every portal on this store uses" in result.err
