"""Requires broken_import, which fails on import: missing-dependency."""
