"""Emulator backends: state and rules as plain Python, no HTTP."""
