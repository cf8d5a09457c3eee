"""The volume backend on a manual clock: lifecycles, attachments, capacity, restart."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_identity import volume_wwn
from powerbridge.emulator.clock import Clock
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.estate import Estate, load_estate
from powerbridge.emulator.lifecycle import Engine
from powerbridge.emulator.logs import LogContext, ServiceLogs
from powerbridge.emulator.store import Store

BASE_TIME = 1_800_000_000.0
XIV = "xiv90 base template"
REQUEST = LogContext("req-compute-1", "user-1", "project-1")


def make_caller(project_id: str = "project-1", *, admin: bool = False) -> Caller:
    roles = ("admin", "member", "reader") if admin else ("member", "reader")
    return Caller(
        token="token",
        user_id=f"user-of-{project_id}",
        user_name="someone",
        project_id=project_id,
        project_name=project_id,
        roles=roles,
        methods=("password",),
        issued_at=0.0,
        expires_at=BASE_TIME * 2,
        audit_id="audit",
    )


class World:
    """A backend over its own store, manual clock and engine, rebuildable from the store."""

    def __init__(self, store: Store, log_dir: Path, estate: Estate, offset: float = 0.0):
        self.store = store
        self.estate = estate
        self.clock = Clock(mode="manual", offset=offset, base=BASE_TIME)
        self.engine = Engine(self.clock)
        self.logs = ServiceLogs(log_dir)
        context = BackendContext(store, self.clock, self.engine, self.logs, estate)
        self.volumes = VolumeBackend(context)
        self.log_dir = log_dir

    def advance(self, seconds: float) -> int:
        self.clock.advance(seconds)
        return self.engine.run_due()

    def log_text(self, provider: str = "xiv90") -> str:
        # cinder-volume's log is named by the provider's management IP
        path = self.log_dir / "cinder" / f"volume-{self.estate.provider_ip(provider)}.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def estate() -> Estate:
    return load_estate()


@pytest.fixture
def world(tmp_path: Path, estate: Estate) -> Iterator[World]:
    instance = World(Store(":memory:"), tmp_path / "logs", estate)
    instance.volumes.seed("owner")
    instance.volumes.resume()
    yield instance
    instance.logs.close()
    instance.store.close()


def make_available(world: World, size: int = 10, metadata: dict[str, str] | None = None) -> str:
    volume = world.volumes.create(
        make_caller(), size=size, volume_type=XIV, metadata=metadata, context=REQUEST
    )
    world.advance(world.clock.duration(2))
    assert world.volumes.status(volume.id) == "available"
    return volume.id


def test_storage_templates_become_volume_types(world: World) -> None:
    xiv = world.volumes.volume_type(XIV)
    assert (xiv.provider, xiv.pool) == ("xiv90", "xiv90_pool1")
    assert xiv.extra_specs == {
        "capabilities:volume_backend_name": "xiv90",
        "drivers:storage_pool": "xiv90_pool1",
        "drivers:thin": "true",
    }
    assert world.volumes.volume_type(xiv.id) is xiv
    with pytest.raises(ApiError) as by_name:
        world.volumes.volume_type("gold")
    assert by_name.value.status == 404
    assert by_name.value.message == "Volume type with name gold could not be found."
    missing = "0b8e2e38-3b7a-4a39-9a51-7d1c3e0c8a11"
    with pytest.raises(ApiError) as by_id:
        world.volumes.volume_type(missing)
    assert by_id.value.message == f"Volume type {missing} could not be found."


def test_create_goes_available_after_the_create_duration(world: World) -> None:
    volume = world.volumes.create(
        make_caller(), size=10, name="data", volume_type=XIV, context=REQUEST
    )
    assert volume.status == "creating"
    assert not world.volumes.is_ready(volume.id)
    assert world.volumes.provider_usage()["xiv90"] == (10, 20480)
    world.advance(1)
    assert volume.status == "creating"
    world.advance(1)
    assert volume.status == "available"
    assert world.volumes.is_ready(volume.id)
    assert volume.host == "xiv90@xiv90#xiv90_pool1"
    log = world.log_text()
    assert "req-compute-1" in log
    assert f"Volume {volume.id}: created successfully." in log


def test_project_isolation(world: World) -> None:
    volume_id = make_available(world)
    with pytest.raises(ApiError) as refused:
        world.volumes.volume(volume_id, make_caller("project-2"))
    assert refused.value.status == 404
    assert refused.value.message == f"Volume {volume_id} could not be found."
    assert world.volumes.volume(volume_id, make_caller("project-2", admin=True)).id == volume_id


def test_reserve_attach_detach(world: World) -> None:
    volume_id = make_available(world)
    world.volumes.reserve(volume_id, "server-a", make_caller())
    assert world.volumes.status(volume_id) == "reserved"
    with pytest.raises(ApiError) as raced:
        world.volumes.reserve(volume_id, "server-b", make_caller())
    assert raced.value.status == 400
    assert raced.value.message == (
        f"Invalid volume: Volume {volume_id} status must be available or downloading to "
        "reserve, but the current status is reserved."
    )
    attachment_id = world.volumes.begin_attach(
        volume_id, "server-a", "8286-42A_215A0BV", "/dev/sdb", REQUEST
    )
    assert world.volumes.status(volume_id) == "attaching"
    world.advance(1)
    assert world.volumes.status(volume_id) == "in-use"
    (attachment,) = world.volumes.attachments_of_server("server-a")
    assert attachment.attachment_id == attachment_id
    assert (attachment.id, attachment.volume_id) == (volume_id, volume_id)
    assert attachment.device == "/dev/sdb"
    assert attachment.host_name == "8286-42A_215A0BV"
    assert attachment.attached_at == world.clock.now()

    world.volumes.begin_detach(volume_id, "server-a", REQUEST)
    assert world.volumes.status(volume_id) == "detaching"
    world.advance(1)
    assert world.volumes.status(volume_id) == "available"
    assert world.volumes.attachments_of_server("server-a") == []
    world.volumes.begin_detach(volume_id, "server-a", REQUEST)  # idempotent
    assert world.volumes.status(volume_id) == "available"
    assert "detached from instance server-a" in world.log_text()


def test_unreserve_rolls_back_a_refused_deploy(world: World) -> None:
    volume_id = make_available(world)
    world.volumes.reserve(volume_id, "server-a", make_caller())
    world.volumes.unreserve(volume_id, "server-a")
    assert world.volumes.status(volume_id) == "available"
    world.volumes.reserve(volume_id, "server-b", make_caller())
    assert world.volumes.status(volume_id) == "reserved"


def test_in_use_volume_cannot_attach_twice(world: World) -> None:
    volume_id = make_available(world)
    world.volumes.begin_attach(volume_id, "server-a", "host", "/dev/sdb", REQUEST)
    world.advance(1)
    with pytest.raises(ApiError) as second:
        world.volumes.reserve(volume_id, "server-b", make_caller())
    assert "the current status is in-use." in second.value.message


def test_multiattach_volume_attaches_to_two_servers(world: World) -> None:
    shared = world.volumes.create_type("shared", extra_specs={"multiattach": "<is> True"})
    volume = world.volumes.create(make_caller(), size=5, volume_type="shared", context=REQUEST)
    world.advance(2)
    assert volume.multiattach
    for server in ("node-1", "node-2"):
        world.volumes.reserve(volume.id, server, make_caller())
    assert volume.status == "reserved"
    world.volumes.begin_attach(volume.id, "node-1", "host-1", "/dev/sdb", REQUEST)
    world.volumes.begin_attach(volume.id, "node-2", "host-2", "/dev/sdb", REQUEST)
    assert volume.status == "attaching"
    world.advance(1)
    assert volume.status == "in-use"
    assert len(world.volumes.attachments_of_volume(volume.id)) == 2
    with pytest.raises(ApiError) as again:
        world.volumes.reserve(volume.id, "node-1", make_caller())
    assert again.value.message == f"Invalid volume: volume {volume.id} already attached"

    world.volumes.begin_detach(volume.id, "node-1", REQUEST)
    world.advance(1)
    assert volume.status == "in-use"  # node-2 still holds it
    world.volumes.begin_detach(volume.id, "node-2", REQUEST)
    world.advance(1)
    assert volume.status == "available"
    assert shared.multiattach


def test_multiattach_by_request_flag(world: World) -> None:
    volume = world.volumes.create(
        make_caller(), size=5, volume_type=XIV, multiattach=True, context=REQUEST
    )
    world.advance(2)
    world.volumes.begin_attach(volume.id, "node-1", "host-1", "/dev/sdb", REQUEST)
    world.advance(1)
    world.volumes.reserve(volume.id, "node-2", make_caller())
    assert volume.status == "reserved"


def test_create_beyond_capacity_ends_in_error_with_a_log_line(world: World) -> None:
    volume = world.volumes.create(make_caller(), size=30000, volume_type=XIV, context=REQUEST)
    assert world.volumes.provider_usage()["xiv90"] == (0, 20480)
    world.advance(2)
    assert volume.status == "error"
    assert not world.volumes.is_ready(volume.id)
    log = world.log_text()
    assert f"Volume {volume.id}: create failed: insufficient free capacity" in log
    assert "requested 30000 GB, free 20480 GB" in log
    assert "req-compute-1" in log
    world.volumes.delete(volume.id, make_caller(), REQUEST)  # never scheduled: gone at once
    assert volume.id not in world.volumes.volumes


def test_capacity_is_held_while_creating(world: World, tmp_path: Path) -> None:
    first = world.volumes.create(make_caller(), size=15000, volume_type=XIV, context=REQUEST)
    second = world.volumes.create(make_caller(), size=10000, volume_type=XIV, context=REQUEST)
    world.advance(2)
    assert (first.status, second.status) == ("available", "error")
    assert world.volumes.provider_usage()["xiv90"] == (15000, 20480)


def test_delete_when_detached_deletes_after_the_detach(world: World) -> None:
    volume_id = make_available(world, size=20)
    world.volumes.begin_attach(volume_id, "server-a", "host", "/dev/sdb", REQUEST)
    world.advance(1)
    world.volumes.begin_detach(volume_id, "server-a", REQUEST)
    world.volumes.delete_when_detached(volume_id, REQUEST)
    assert world.volumes.status(volume_id) == "detaching"
    world.advance(1)
    assert world.volumes.status(volume_id) == "deleting"
    world.advance(1)
    assert volume_id not in world.volumes.volumes
    assert world.volumes.provider_usage()["xiv90"] == (0, 20480)


def test_delete_when_detached_waits_for_the_create(world: World) -> None:
    volume = world.volumes.create(make_caller(), size=5, volume_type=XIV, context=REQUEST)
    world.volumes.delete_when_detached(volume.id, REQUEST)
    world.advance(2)
    assert volume.status == "deleting"
    world.advance(1)
    assert volume.id not in world.volumes.volumes


def test_delete_refused_while_attached(world: World) -> None:
    volume_id = make_available(world)
    world.volumes.begin_attach(volume_id, "server-a", "host", "/dev/sdb", REQUEST)
    world.advance(1)
    with pytest.raises(ApiError) as refused:
        world.volumes.delete(volume_id, make_caller(), REQUEST)
    assert refused.value.status == 400
    assert refused.value.message.startswith("Invalid volume: Volume status must be available")


def test_extend(world: World) -> None:
    volume_id = make_available(world, size=10)
    world.volumes.extend(volume_id, make_caller(), 25, REQUEST)
    assert world.volumes.status(volume_id) == "extending"
    world.advance(2)
    volume = world.volumes.get(volume_id)
    assert (volume.status, volume.size) == ("available", 25)
    assert world.volumes.provider_usage()["xiv90"] == (25, 20480)
    with pytest.raises(ApiError) as smaller:
        world.volumes.extend(volume_id, make_caller(), 5, REQUEST)
    assert smaller.value.message == (
        "Invalid input received: New size for extend must be greater than current size. "
        "(current: 25, extended: 5)."
    )


def test_extend_beyond_capacity_keeps_the_size(world: World) -> None:
    volume_id = make_available(world, size=10)
    world.volumes.extend(volume_id, make_caller(), 99999, REQUEST)
    world.advance(2)
    volume = world.volumes.get(volume_id)
    assert (volume.status, volume.size) == ("available", 10)
    assert "extend to 99999 GB failed" in world.log_text()


def test_state_survives_a_restart_and_steps_run_once(tmp_path: Path, estate: Estate) -> None:
    path = tmp_path / "emulator.sqlite"
    first = World(Store(path), tmp_path / "logs", estate)
    first.volumes.seed("owner")
    attached = make_available(first)
    volume = first.volumes.create(make_caller(), size=10, volume_type=XIV, context=REQUEST)
    first.volumes.begin_attach(attached, "server-a", "host", "/dev/sdb", REQUEST)
    first.advance(0.5)
    offset = first.clock.offset
    first.logs.close()
    first.store.close()

    second = World(Store(path), tmp_path / "logs", estate, offset=offset)
    restored = second.volumes.get(volume.id)
    assert restored.status == "creating"
    assert second.volumes.status(attached) == "attaching"
    second.volumes.resume()
    assert second.advance(0.5) == 1  # the attach step was due
    assert second.volumes.status(attached) == "in-use"
    assert restored.status == "creating"
    assert second.advance(1) == 1  # the create step, and only it
    assert restored.status == "available"
    assert second.advance(10) == 0
    assert second.log_text().count(f"Volume {volume.id}: created successfully.") == 1
    assert second.volumes.volume_type(XIV).provider == "xiv90"
    second.logs.close()
    second.store.close()


def test_create_from_an_image_is_bootable_and_checks_min_disk(world: World) -> None:
    world.volumes.image_metadata = lambda image_id: {"image_id": image_id, "min_disk": "20"}
    with pytest.raises(ApiError) as small:
        world.volumes.create(make_caller(), size=10, image_id="img-1", context=REQUEST)
    assert small.value.message == (
        "Invalid input received: Volume size 10GB cannot be smaller than the image minDisk "
        "size 20GB."
    )
    volume = world.volumes.create(make_caller(), size=20, image_id="img-1", context=REQUEST)
    assert volume.bootable
    assert volume.image_metadata == {"image_id": "img-1", "min_disk": "20"}
    assert world.volumes.type_name(volume) == XIV  # the default storage template


def test_a_template_on_an_unknown_provider_fails_the_create(world: World) -> None:
    world.volumes.create_type("elsewhere", extra_specs={"volume_backend_name": "ds8k"})
    volume = world.volumes.create(make_caller(), size=1, volume_type="elsewhere", context=REQUEST)
    world.advance(2)
    assert volume.status == "error"
    assert "no storage provider named ds8k" in world.log_text("ds8k")


def test_records_round_trip_through_the_store(world: World) -> None:
    volume_id = make_available(world, metadata={"role": "data"})
    stored = {body["id"]: body for body in world.store.load("volume")}
    assert stored[volume_id]["metadata"] == {"role": "data", "volume_wwn": volume_wwn(volume_id)}
    assert stored[volume_id]["status"] == "available"
    assert dataclasses.asdict(world.volumes.get(volume_id)) == stored[volume_id]


def test_delete_when_detached_releases_a_refused_deploys_reservation(world: World) -> None:
    volume_id = make_available(world)
    world.volumes.reserve(volume_id, "server-a", make_caller())
    world.volumes.delete_when_detached(volume_id, REQUEST)
    assert world.volumes.status(volume_id) == "deleting"
    world.advance(1)
    assert volume_id not in world.volumes.volumes
