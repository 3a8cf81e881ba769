"""Requires broken_realtime, which fails in register_realtime: it must not be enabled."""
