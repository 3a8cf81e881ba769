"""Requires cycle_a, which requires it back: both missing-dependency."""
