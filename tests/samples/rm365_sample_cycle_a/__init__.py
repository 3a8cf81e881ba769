"""Requires cycle_b, which requires it back: both missing-dependency."""
