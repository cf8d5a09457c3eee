"""HTTP edge of the emulator: thin translators between OpenStack wire format and backends."""
