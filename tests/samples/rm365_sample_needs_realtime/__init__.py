"""Requires broken_realtime, which fails only after loading: it must be withdrawn too."""
