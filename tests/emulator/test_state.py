"""The `Emulator` state object: directories, seeding, URLs, clock persistence."""

from __future__ import annotations

from pathlib import Path

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from tests.support.roles import KEYSTONE_AND_POWERVC_ROLES


class TestEmulatorState:
    def test_in_memory_emulator_is_seeded(self, emulator: Emulator) -> None:
        assert emulator.data_dir is None
        assert not emulator.store.is_new
        assert emulator.identity.project_by_name("ibm-default")
        assert emulator.clock.mode == "instant"

    def test_service_urls_proxied(self, tmp_path: Path) -> None:
        config = EmulatorConfig(log_dir=tmp_path, public_url="https://powervc.example.com/")
        emulator = Emulator(config)
        try:
            assert emulator.service_url("compute") == (
                "https://powervc.example.com/powervc/openstack/compute"
            )
            assert (
                emulator.identity_url()
                == "https://powervc.example.com/powervc/openstack/identity/v3"
            )
        finally:
            emulator.close()

    def test_service_urls_ports(self, tmp_path: Path) -> None:
        config = EmulatorConfig(
            log_dir=tmp_path,
            url_style="ports",
            port=5000,
            tls=True,
            service_ports={"compute": 8774, "image": 9292},
        )
        emulator = Emulator(config)
        try:
            assert emulator.base_url() == "https://127.0.0.1:5000"
            assert emulator.service_url("compute") == "https://127.0.0.1:8774"
            assert emulator.service_url("identity") == "https://127.0.0.1:5000"
        finally:
            emulator.close()

    def test_data_dir_holds_the_store_and_logs(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(data_dir=tmp_path / "data"))
        try:
            assert (tmp_path / "data" / "emulator.sqlite").exists()
            assert emulator.log_dir == tmp_path / "data" / "logs"
        finally:
            emulator.close()

    def test_restart_does_not_seed_twice(self, tmp_path: Path) -> None:
        first = Emulator(EmulatorConfig(data_dir=tmp_path))
        ids = sorted(first.identity.projects)
        first.close()
        second = Emulator(EmulatorConfig(data_dir=tmp_path))
        try:
            assert sorted(second.identity.projects) == ids
            assert len(second.identity.users) == 1
            assert {r.name for r in second.identity.roles.values()} == KEYSTONE_AND_POWERVC_ROLES
        finally:
            second.close()

    def test_manual_clock_offset_survives_a_restart(self, tmp_path: Path) -> None:
        first = Emulator(EmulatorConfig(data_dir=tmp_path, clock="manual"))
        start = first.clock.now()
        first.advance_clock(120)
        first.close()
        second = Emulator(EmulatorConfig(data_dir=tmp_path, clock="manual"))
        try:
            assert second.clock.offset == 120
            assert second.clock.now() == start + 120
        finally:
            second.close()
