"""Requires a plugin that is not installed: missing-dependency."""
