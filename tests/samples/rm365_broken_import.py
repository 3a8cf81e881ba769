"""Raises while being imported: quarantined as failed with the error."""

raise RuntimeError("broken_import cannot find its configuration")
