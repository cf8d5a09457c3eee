"""Helpers shared by several test packages (the emulator's wire recorder)."""
