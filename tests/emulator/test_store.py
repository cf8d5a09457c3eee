"""The emulator's SQLite store: records, meta, schema version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from powerbridge.emulator.config import EmulatorConfig
from powerbridge.emulator.state import Emulator
from powerbridge.emulator.store import SCHEMA_VERSION, Store, StoreError


class TestStore:
    def test_put_load_delete(self) -> None:
        store = Store(":memory:")
        store.put("server", "s1", {"id": "s1", "name": "a"})
        store.put("server", "s2", {"id": "s2", "name": "b"})
        store.put("volume", "s1", {"id": "s1", "size": 1})  # same id, another kind
        assert sorted(r["name"] for r in store.load("server")) == ["a", "b"]
        store.put("server", "s1", {"id": "s1", "name": "renamed"})
        assert sorted(r["name"] for r in store.load("server")) == ["b", "renamed"]
        store.delete("server", "s1")
        assert [r["id"] for r in store.load("server")] == ["s2"]
        assert list(store.load("volume")) == [{"id": "s1", "size": 1}]
        store.delete("server", "missing")  # deleting nothing is fine
        assert list(store.load("nothing")) == []
        store.close()

    def test_meta(self) -> None:
        store = Store(":memory:")
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.get_meta("absent") is None
        fresh = store.is_new
        store.set_meta("seeded", "1")
        store.set_meta("seeded", "2")
        assert store.get_meta("seeded") == "2"
        assert (fresh, store.is_new) == (True, False)
        store.close()

    def test_records_survive_reopening_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "e.sqlite"
        store = Store(path)
        store.put("user", "u1", {"id": "u1", "nested": {"list": [1, 2]}})
        store.set_meta("seeded", "yes")
        store.close()
        again = Store(path)
        assert list(again.load("user")) == [{"id": "u1", "nested": {"list": [1, 2]}}]
        assert not again.is_new
        again.close()

    def test_other_schema_version_is_a_store_error(self, tmp_path: Path) -> None:
        path = tmp_path / "e.sqlite"
        Store(path).close()
        db = sqlite3.connect(path)
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
        db.commit()
        db.close()
        with pytest.raises(StoreError, match="schema version"):
            Store(path)

    def test_emulator_refuses_a_data_dir_of_another_schema(self, tmp_path: Path) -> None:
        emulator = Emulator(EmulatorConfig(data_dir=tmp_path))
        emulator.close()
        db = sqlite3.connect(tmp_path / "emulator.sqlite")
        db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
        db.commit()
        db.close()
        with pytest.raises(StoreError):
            Emulator(EmulatorConfig(data_dir=tmp_path))
