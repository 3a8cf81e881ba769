"""Requires a member of a cycle: missing-dependency too."""
