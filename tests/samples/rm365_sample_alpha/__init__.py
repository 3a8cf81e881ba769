"""Sorts first by name but declares ``after = ["omega"]``, so it loads after omega."""
