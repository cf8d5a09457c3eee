"""The image backend without HTTP: seeding, visibility, policy, data, snapshots."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_records import GIB, Change, Image, ImageQuery
from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.errors import ApiError
from powerbridge.emulator.logs import LogContext
from powerbridge.emulator.state import Emulator

CONTEXT = LogContext("req-test", "user", "project")


def caller(project_id: str | None, *roles: str, user_id: str = "u1") -> Caller:
    now = time.time()
    return Caller(
        token="t",
        user_id=user_id,
        user_name=user_id,
        project_id=project_id,
        project_name=project_id,
        roles=roles or ("member", "reader"),
        methods=("password",),
        issued_at=now,
        expires_at=now + 3600,
        audit_id="a",
    )


ADMIN = caller("admin-project", "admin", "member", "reader", user_id="root")
ALICE = caller("project-a", user_id="alice")
BOB = caller("project-b", user_id="bob")
READER = caller("project-a", "reader", user_id="reader")


@pytest.fixture
def images(emulator: Emulator) -> ImageBackend:
    return emulator.images


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[Emulator]:
    instance = Emulator(EmulatorConfig(clock="manual", data_dir=tmp_path / "data"))
    yield instance
    instance.close()


def seeded(images: ImageBackend, name: str) -> Image:
    (image,) = images.image_by_name(name, ADMIN)
    return image


def create(images: ImageBackend, who: Caller, **body: object) -> Image:
    return images.create(who, {"name": "img", **body}, CONTEXT)


def error_of(call: object) -> ApiError:
    assert callable(call)
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


# -- seeding --------------------------------------------------------------------------
def test_seed_creates_public_active_powervc_images(emulator: Emulator) -> None:
    images = emulator.images
    owner = emulator.identity.project_by_name("ibm-default").id
    names = [spec.name for spec in emulator.estate.images]
    assert sorted(i.name or "" for i in images.images.values()) == sorted(names)
    rhel = seeded(images, "RHEL84-LE")
    assert (rhel.status, rhel.visibility, rhel.owner) == ("active", "public", owner)
    assert (rhel.disk_format, rhel.container_format) == ("raw", "bare")
    assert rhel.size == rhel.virtual_size == 30 * GIB
    assert rhel.min_disk == 30
    assert len(rhel.checksum or "") == 32
    assert rhel.os_hash_algo == "sha512"
    assert rhel.properties == {
        "hypervisor_type": "phyp",
        "architecture": "ppc64",
        "os_distro": "rhel",
        "os_version": "8.4",
        "endianness": "little-endian",
    }
    powerha = seeded(images, "PowerHA713")
    assert powerha.properties["description"].startswith("AIX 7.2 TL5")
    assert powerha.properties["endianness"] == "big-endian"


def test_seeded_images_list_in_estate_order_by_default(emulator: Emulator) -> None:
    page = emulator.images.list_images(ALICE, ImageQuery())
    assert [i.name for i in page.images] == [s.name for s in emulator.estate.images]
    assert not page.has_more


# -- visibility and policy ------------------------------------------------------------
def test_private_image_is_invisible_to_other_projects(images: ImageBackend) -> None:
    image = create(images, ALICE, visibility="private")
    assert images.get(image.id, ALICE) is image
    assert images.get(image.id, ADMIN) is image
    missing = error_of(lambda: images.get(image.id, BOB))
    assert (missing.status, missing.message) == (404, f"No image found with ID {image.id}")
    for_nova = error_of(lambda: images.image(image.id, BOB))
    assert for_nova.kind == "itemNotFound"
    assert for_nova.message == f"Image {image.id} could not be found."
    assert image not in images.list_images(BOB, ImageQuery()).images
    assert images.image_by_name("img", BOB) == []


def test_shared_image_is_listed_for_members_once_accepted(images: ImageBackend) -> None:
    image = create(images, ALICE)
    assert image.visibility == "shared"
    assert error_of(lambda: images.get(image.id, BOB)).status == 404
    images.add_member(ALICE, image.id, "project-b")
    assert images.get(image.id, BOB) is image  # a pending member may look
    assert image not in images.list_images(BOB, ImageQuery()).images
    pending = images.list_images(BOB, ImageQuery(member_status="pending")).images
    assert image in pending
    images.update_member(BOB, image.id, "project-b", "accepted")
    assert image in images.list_images(BOB, ImageQuery()).images
    refused = error_of(lambda: images.update_member(ALICE, image.id, "project-b", "rejected"))
    assert refused.status == 403


def test_community_images_are_listed_only_when_asked(images: ImageBackend) -> None:
    image = create(images, ALICE, visibility="community")
    assert images.get(image.id, BOB) is image
    assert image not in images.list_images(BOB, ImageQuery()).images
    assert image in images.list_images(BOB, ImageQuery(visibility="community")).images
    assert image in images.list_images(ALICE, ImageQuery()).images  # the owner's own


def test_readers_cannot_create_and_members_cannot_publicize(images: ImageBackend) -> None:
    denied = error_of(lambda: create(images, READER))
    assert (denied.status, denied.message) == (
        403,
        "You are not authorized to complete add_image action.",
    )
    public = error_of(lambda: create(images, ALICE, visibility="public"))
    assert public.message == "You are not authorized to complete publicize_image action."
    assert create(images, ADMIN, visibility="public").visibility == "public"


def test_only_the_owner_or_admin_modifies(images: ImageBackend) -> None:
    image = seeded(images, "AIX72")
    rename = [Change("replace", "name", "mine")]
    refused = error_of(lambda: images.update(ALICE, image.id, rename, CONTEXT))
    assert refused.message == "You are not authorized to complete modify_image action."
    assert images.update(ADMIN, image.id, rename, CONTEXT).name == "mine"


def test_update_applies_all_changes_or_none(images: ImageBackend) -> None:
    image = create(images, ALICE, os_distro="aix")
    changes = [Change("replace", "name", "renamed"), Change("replace", "missing", "x")]
    failed = error_of(lambda: images.update(ALICE, image.id, changes, CONTEXT))
    assert (failed.status, failed.message) == (409, "Property missing does not exist.")
    assert images.get(image.id, ALICE).name == "img"
    updated = images.update(
        ALICE,
        image.id,
        [Change("add", "os_version", "7.3"), Change("remove", "os_distro"), *changes[:1]],
        CONTEXT,
    )
    assert updated is image  # callers holding the record see the change
    assert updated.name == "renamed"
    assert updated.properties == {"os_version": "7.3"}


def test_core_values_are_checked_with_glance_messages(images: ImageBackend) -> None:
    bad_format = error_of(lambda: create(images, ALICE, disk_format="vfat"))
    assert bad_format.status == 400
    assert bad_format.message.startswith(
        "Provided object does not match schema 'image': 'vfat' is not one of [None, 'ami'"
    )
    negative = error_of(lambda: create(images, ALICE, min_disk=-1))
    assert negative.message == (
        "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value."
    )
    read_only = error_of(lambda: create(images, ALICE, status="active"))
    assert (read_only.status, read_only.message) == (403, "Attribute 'status' is read-only.")
    not_text = error_of(lambda: create(images, ALICE, os_distro=7))
    assert not_text.message == (
        "Provided object does not match schema 'image': 7 is not of type 'string'"
    )


def test_protected_image_cannot_be_deleted(images: ImageBackend) -> None:
    image = create(images, ALICE, protected=True)
    refused = error_of(lambda: images.delete(ALICE, image.id, CONTEXT))
    assert (refused.status, refused.message) == (
        403,
        f"Image {image.id} is protected and cannot be deleted.",
    )
    images.update(ALICE, image.id, [Change("replace", "protected", False)], CONTEXT)
    images.delete(ALICE, image.id, CONTEXT)
    assert image.id not in images.images


# -- data -----------------------------------------------------------------------------
def test_upload_stores_a_file_and_delete_removes_it(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "data"))
    try:
        images = emulator.images
        image = create(images, ALICE, disk_format="raw", container_format="bare")
        data = b"\x00powervm" * 1000
        images.upload(ALICE, image.id, data, CONTEXT)
        stored = tmp_path / "data" / "images" / image.id
        assert stored.read_bytes() == data
        assert image.status == "active"
        assert image.size == len(data)
        assert image.checksum == hashlib.md5(data).hexdigest()
        assert image.os_hash_value == hashlib.sha512(data).hexdigest()
        assert images.download(ALICE, image.id) == (image, data)
        again = error_of(lambda: images.upload(ALICE, image.id, b"x", CONTEXT))
        assert (again.status, again.message) == (
            409,
            "Image status transition from active to saving is not allowed",
        )
        images.delete(ALICE, image.id, CONTEXT)
        assert not stored.exists()
    finally:
        emulator.close()


def test_upload_needs_formats_and_ownership(images: ImageBackend) -> None:
    image = create(images, ALICE)
    unformatted = error_of(lambda: images.upload(ALICE, image.id, b"x", CONTEXT))
    assert unformatted.message == (
        "Properties disk_format, container_format must be set prior to saving data."
    )
    images.add_member(ALICE, image.id, "project-b")
    foreign = error_of(lambda: images.upload(BOB, image.id, b"x", CONTEXT))
    assert (foreign.status, foreign.message) == (
        403,
        f"Not allowed to upload image data for image {image.id}",
    )


def test_deactivated_images_refuse_downloads_to_users(images: ImageBackend) -> None:
    image = seeded(images, "AIX72")
    assert error_of(lambda: images.deactivate(ALICE, image.id, CONTEXT)).status == 403
    images.deactivate(ADMIN, image.id, CONTEXT)
    assert image.status == "deactivated"
    assert error_of(lambda: images.download(ALICE, image.id)).status == 403
    assert images.download(ADMIN, image.id) == (image, None)  # seeded images carry no bytes
    images.reactivate(ADMIN, image.id, CONTEXT)
    assert image.status == "active"


# -- snapshots (nova createImage) -----------------------------------------------------
def snapshot(emulator: Emulator, base: Image | None) -> Image:
    return emulator.images.create_snapshot(
        ALICE,
        name="capture-1",
        server_id="server-1",
        base_image=base,
        properties={"purpose": "backup"},
        block_device_mapping=[{"boot_index": 0, "source_type": "snapshot"}],
        context=LogContext("req-capture", "alice", "project-a"),
    )


def test_snapshot_becomes_active_after_the_capture_time(manual: Emulator) -> None:
    base = seeded(manual.images, "AIX72")
    done: list[str] = []
    manual.images.on_capture_done(lambda image: done.append(image.id))
    image = snapshot(manual, base)
    assert (image.status, image.visibility, image.owner) == ("queued", "private", "project-a")
    assert image.size is None
    assert image.checksum is None
    properties = image.properties
    assert properties["os_distro"] == "aix"
    assert properties["hypervisor_type"] == "phyp"
    assert properties["image_type"] == "snapshot"
    assert properties["instance_uuid"] == "server-1"
    assert properties["bdm_v2"] == "True"
    assert properties["root_device_name"] == "/dev/sda"
    assert properties["image_location"] == "snapshot"
    assert properties["purpose"] == "backup"
    assert json.loads(properties["block_device_mapping"]) == [
        {"boot_index": 0, "source_type": "snapshot"}
    ]
    assert image.min_disk == base.min_disk
    manual.advance_clock(4)
    assert image.status == "queued"
    assert done == []
    manual.advance_clock(1)
    assert image.status == "active"
    assert (image.size, image.checksum) == (0, hashlib.md5(b"").hexdigest())
    assert done == [image.id]
    log = (manual.logs.path("glance-api")).read_text()
    assert f"[req-capture alice project-a - - -] Snapshot image {image.id}" in log
    assert "is active" in log


def test_snapshot_capture_resumes_after_a_restart(tmp_path: Path) -> None:
    config = EmulatorConfig(clock="manual", data_dir=tmp_path / "data")
    first = Emulator(config)
    image_id = snapshot(first, None).id
    first.advance_clock(2)
    first.close()
    second = Emulator(config)
    try:
        assert second.images.images[image_id].status == "queued"
        second.advance_clock(3)
        assert second.images.images[image_id].status == "active"
    finally:
        second.close()


def test_deleted_snapshot_is_not_revived_by_its_capture(manual: Emulator) -> None:
    image = snapshot(manual, None)
    manual.images.delete(ALICE, image.id, CONTEXT)
    manual.advance_clock(10)
    assert image.id not in manual.images.images
